// The handoff scenario's steps, shared by the browser test and the latency benchmark: a team (an
// owner who plays the customer, an invited agent in a second Chromium), an article the copilot can
// answer from, the agent's console, and a browser test call whose caller asks for a person.

import { after, before } from "node:test";

import { assertPlatformUp, newPerson, rand } from "./browser.mjs";
import { inviteAgent, newOwnerWorkspace, spokenQuestion, transcript } from "./calls.mjs";
import { eventually, sourceRow, waitForStatus } from "./knowledge.mjs";
import { launchCallBrowser, peakLevel, speak, useSpeakableMicrophone, wavBase64 } from "./microphone.mjs";

/** RMS of received speech sits around 0.05-0.2; silence after Opus is below 0.005. */
export const SPEECH_LEVEL = 0.02;

export const LOCKER_FACT = "Parcel lockers keep a parcel for 72 hours before it goes back to the depot.";

/** What the people on the call say, as piper speech (base64 WAVs for speak()). */
export const LINES = {
  askForPerson: "I would like to talk to a person, please.",
  humanGreets: "Hi, this is Sam from the support team. I can help you with that.",
  lockerQuestion: "How long does a parcel locker keep my parcel?",
};

export async function speechFor(lines = LINES) {
  const said = {};
  const cleanups = [];
  for (const [key, text] of Object.entries(lines)) {
    const audio = await spokenQuestion(text, { leadingSeconds: 0, trailingSeconds: 0.6 });
    said[key] = await wavBase64(audio.file);
    cleanups.push(audio.cleanup);
  }
  return { said, cleanup: () => Promise.all(cleanups.map((cleanup) => cleanup())) };
}

/**
 * A suite's two Chromium processes, one per person (their audio stacks must not share anything), and the
 * people's speech: ready in before(), closed in after().
 */
export function twoCallBrowsers() {
  const suite = { customerBrowser: undefined, humanBrowser: undefined, speech: undefined };
  before(async () => {
    await assertPlatformUp({ livekit: true });
    suite.speech = await speechFor();
    suite.customerBrowser = await launchCallBrowser();
    suite.humanBrowser = await launchCallBrowser();
  });
  after(async () => {
    await suite.customerBrowser?.close();
    await suite.humanBrowser?.close();
    await suite.speech?.cleanup();
  });
  return suite;
}

/**
 * The people of a handoff scenario, each in their own browser with a speakable microphone: the owner plays
 * the customer, the agent (to be invited) takes the call. `pages` is for the stepper's screenshots.
 */
export async function handoffCast(suite) {
  const id = rand();
  const domain = `${id}-lockly.com`;
  const password = `Pw-${rand(6)}-long`;
  const customer = await newCallPerson(suite.customerBrowser);
  const human = await newCallPerson(suite.humanBrowser);
  return {
    id,
    owner: { name: "Cora Customer", email: `cora-${id}@${domain}`, password },
    agent: { name: "Sam Support", email: `sam-${id}@${domain}`, password },
    customer,
    human,
    pages: { customer: customer.page, human: human.page },
  };
}

/** A person with the speakable microphone, in the given browser. */
export async function newCallPerson(browser) {
  const person = await newPerson(browser);
  await useSpeakableMicrophone(person.context);
  return person;
}

/** The owner (customer side) creates the business; the agent (human side) is invited and joins. */
export async function setUpTeam(customerPage, humanPage, { id, owner, agent }) {
  const workspaceId = await newOwnerWorkspace(customerPage, owner, `Lockly ${id}`);
  await inviteAgent(customerPage, humanPage, workspaceId, agent);
  return workspaceId;
}

/** Writes an article through the Knowledge page and waits until it is searchable. */
export async function writeArticle(page, workspaceId, title, body) {
  await page.goto(`/w/${workspaceId}/knowledge`);
  await page.getByTestId("add-tab-article").click();
  await page.getByTestId("article-title").fill(title);
  await page.getByTestId("article-body").fill(body);
  const created = page.waitForResponse(
    (response) => response.request().method() === "POST" && /\/knowledge\/articles$/.test(new URL(response.url()).pathname),
  );
  await page.getByTestId("article-submit").click();
  const articleId = (await (await created).json()).id;
  await waitForStatus(sourceRow(page, { id: articleId }), "ready");
  return articleId;
}

/** Opens the console with Realtime subscribed and sets the agent Available. */
export async function openConsoleAvailable(page, workspaceId) {
  await page.goto(`/w/${workspaceId}/console`);
  await page.locator('[data-testid="console-page"][data-realtime="live"]').waitFor({ timeout: 30_000 });
  await page.getByTestId("presence-status").waitFor();
  if ((await page.getByTestId("presence-status").getAttribute("data-status")) !== "available") {
    await page.getByTestId("presence-available").click();
  }
  await page.locator('[data-testid="presence-status"][data-status="available"]').waitFor();
}

/** Places a browser test call from the calls page and waits for the AI's greeting; returns the call id. */
export async function placeTestCall(page, workspaceId) {
  await page.goto(`/w/${workspaceId}/calls`);
  const placed = page.waitForResponse((response) => /\/test-calls$/.test(new URL(response.url()).pathname));
  await page.getByTestId("test-call-button").first().click();
  const response = await placed;
  if (response.status() !== 201) throw new Error(`placing the test call answered ${response.status()}: ${await response.text()}`);
  const callId = (await response.json()).call_id;
  await page.waitForURL(new RegExp(`/w/${workspaceId}/calls/${callId}$`));
  await page.locator('[data-testid="test-call"][data-state="talking"]').waitFor({ timeout: 60_000 });
  const greeting = await eventually(async () => (await transcript(page)).find((line) => line.speaker === "ai") ?? null, 60_000);
  if (!greeting) throw new Error("the AI did not greet within 60 s");
  return callId;
}

/** Waits for the offer card of `callId` on the console. */
export async function waitForOffer(page, callId, timeout = 90_000) {
  const card = page.locator(`[data-testid="offer-card"][data-call-id="${callId}"]`);
  await card.waitFor({ timeout });
  return card;
}

/** Lines of the transcript after index `from` matching `predicate`, waited for up to `timeout`. */
export async function transcriptLineAfter(page, from, predicate, timeout) {
  return eventually(async () => {
    const lines = await transcript(page);
    return lines.slice(from).find(predicate) ?? null;
  }, timeout);
}

/** The loudest the `meterTestId` level meter on `listener` gets while `speaker` says `wav` (base64), and the
 * quietest-case peak over `quietMs` just before (nobody speaking). */
export async function levelsWhileSpeaking(listener, meterTestId, speaker, wav, { quietMs = 1000, loudMs = 3000 } = {}) {
  const quiet = await peakLevel(listener, meterTestId, quietMs);
  const [, loud] = await Promise.all([speak(speaker, wav), peakLevel(listener, meterTestId, loudMs)]);
  return { quiet, loud };
}
