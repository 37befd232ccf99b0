// End to end in two Chromium processes: a handoff from the AI to a person, and back.
//
// The customer (the workspace owner placing a browser test call) asks for a person. The invited
// agent, Available on the console in a second browser, gets the offer live with the context the AI
// gathered; Join puts them in the call's room. Each side hears the other (the received-audio level
// meters rise while the other side speaks, and stay low before); the AI transcribes the person (a
// 'human' transcript line); the caller asks a question from the knowledge and the copilot suggests
// an answer to the person only; the person hands back to the AI, which answers the caller again;
// the wrap-up makes the person Available again.
//
// Needs the whole platform (./dev up: web, API, realtime, livekit-server, the agent worker).
// Each person speaks through lib/microphone.mjs (a microphone the test speaks into on demand).

import assert from "node:assert/strict";
import { test } from "node:test";

import { stepper } from "./lib/browser.mjs";
import { transcript } from "./lib/calls.mjs";
import {
  LOCKER_FACT,
  handoffCast,
  openConsoleAvailable,
  placeTestCall,
  setUpTeam,
  SPEECH_LEVEL,
  transcriptLineAfter,
  twoCallBrowsers,
  waitForOffer,
  writeArticle,
} from "./lib/handoff.mjs";
import { peakLevel, speak } from "./lib/microphone.mjs";

const suite = twoCallBrowsers();

test("a caller asks for a person: offer, join, audio both ways, copilot, hand back, wrap-up", { timeout: 900_000 }, async (t) => {
  const { id, owner, agent, customer, human, pages } = await handoffCast(suite);
  const step = stepper(t, pages);
  const said = suite.speech.said;
  let workspaceId;
  let callId;
  let handBackIndex = 0;

  try {
    await step("the team is set up and the knowledge holds the answer", async () => {
      workspaceId = await setUpTeam(customer.page, human.page, { id, owner, agent });
      await writeArticle(customer.page, workspaceId, "Parcel lockers", `## How long a locker keeps a parcel\n\n${LOCKER_FACT}`);
    });

    await step("the agent is Available on the console, with nothing ringing", async () => {
      await openConsoleAvailable(human.page, workspaceId);
      await human.page.getByTestId("console-waiting").waitFor();
      assert.equal(await human.page.getByTestId("offer-card").count(), 0);
    });

    await step("the caller asks for a person and the offer rings on the console with the context", async () => {
      callId = await placeTestCall(customer.page, workspaceId);
      await speak(customer.page, said.askForPerson);
      const card = await waitForOffer(human.page, callId);
      assert.match(await card.getByTestId("context-reason").innerText(), /asked for a person/i);
      assert.match(await card.getByTestId("offer-caller").innerText(), /Cora Customer/);
      const seconds = Number(await card.getByTestId("offer-countdown").getAttribute("data-seconds"));
      assert.ok(seconds > 0 && seconds <= 20, `the ring countdown runs (${seconds} s left)`);
      const lines = await card.getByTestId("context-transcript").locator("li").evaluateAll((items) =>
        items.map((item) => ({ speaker: item.dataset.speaker, text: item.textContent ?? "" })),
      );
      assert.ok(
        lines.some((line) => line.speaker === "customer" && /person/i.test(line.text)),
        `the card shows the caller's request: ${JSON.stringify(lines)}`,
      );
      assert.ok(lines.some((line) => line.speaker === "ai"), "the card shows what the AI said");
    });

    await step("Join connects the agent; the caller sees who joined", async () => {
      const accepted = human.page.waitForResponse((response) => /\/offers\/[^/]+\/accept$/.test(new URL(response.url()).pathname));
      await human.page.getByTestId("offer-join").click();
      const response = await accepted;
      assert.equal(response.status(), 200, await response.text());
      await human.page.locator(`[data-testid="in-call"][data-call-id="${callId}"][data-connection="connected"]`).waitFor({ timeout: 30_000 });
      assert.equal(await human.page.getByTestId("call-mic-error").count(), 0, "the microphone is allowed");
      await human.page.locator('[data-testid="presence-status"][data-status="on_call"]').waitFor();
      const joined = customer.page.locator('[data-testid="test-call-human"][data-present="true"]');
      await joined.waitFor({ timeout: 30_000 });
      assert.match(await joined.innerText(), /Sam Support joined the call/);
    });

    await step("the caller hears the agent: the level meter rises only while the agent speaks", async () => {
      await customer.page.locator('[data-testid="agent-audio-level"][data-receiving="true"]').waitFor({ timeout: 30_000 });
      // The AI tells the caller who is joining, then listens: speak once it has said so.
      const announced = await transcriptLineAfter(customer.page, 0, (line) => line.speaker === "ai" && /Sam Support/.test(line.text), 60_000);
      assert.ok(announced, `the AI announces the agent: ${JSON.stringify(await transcript(customer.page))}`);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const quiet = await peakLevel(customer.page, "agent-audio-level", 1500);
      const [, loud] = await Promise.all([
        speak(human.page, said.humanGreets),
        peakLevel(customer.page, "agent-audio-level", 3000),
      ]);
      t.diagnostic(`agent's voice at the caller: quiet ${quiet.toFixed(4)}, speaking ${loud.toFixed(4)}`);
      assert.ok(quiet < SPEECH_LEVEL, `silence before the agent speaks (${quiet})`);
      assert.ok(loud > SPEECH_LEVEL, `the agent's voice arrives (${loud})`);
    });

    await step("the AI transcribes the agent into the live transcript", async () => {
      const line = await transcriptLineAfter(customer.page, 0, (item) => item.speaker === "human", 60_000);
      assert.ok(line, `a 'human' line: ${JSON.stringify(await transcript(customer.page))}`);
      assert.match(line.text, /support|help/i);
      await human.page.locator('[data-testid="transcript-line"][data-speaker="human"]').first().waitFor({ timeout: 30_000 });
    });

    await step("the agent hears the caller, and the copilot suggests an answer to the question", async () => {
      await human.page.locator('[data-testid="caller-audio-level"][data-receiving="true"]').waitFor({ timeout: 10_000 });
      const quiet = await peakLevel(human.page, "caller-audio-level", 1000);
      const [, loud] = await Promise.all([
        speak(customer.page, said.lockerQuestion),
        peakLevel(human.page, "caller-audio-level", 3000),
      ]);
      t.diagnostic(`caller's voice at the agent: quiet ${quiet.toFixed(4)}, speaking ${loud.toFixed(4)}`);
      assert.ok(quiet < SPEECH_LEVEL, `silence before the caller speaks (${quiet})`);
      assert.ok(loud > SPEECH_LEVEL, `the caller's voice arrives (${loud})`);
      const suggestion = human.page.getByTestId("copilot-suggestion").first();
      await suggestion.waitFor({ timeout: 60_000 });
      const text = await suggestion.innerText();
      assert.match(text, /72 hours|Parcel lockers/i, `the suggestion uses the article: ${text}`);
      assert.equal(await customer.page.getByTestId("copilot-suggestion").count(), 0, "the caller's page never shows suggestions");
    });

    await step("hand back: the AI has the caller again and answers", async () => {
      handBackIndex = (await transcript(customer.page)).length;
      const handedBack = human.page.waitForResponse((response) => /\/hand-back$/.test(new URL(response.url()).pathname));
      await human.page.getByTestId("call-hand-back").click();
      assert.equal((await handedBack).status(), 200);
      await human.page.locator(`[data-testid="wrap-up"][data-call-id="${callId}"]`).waitFor({ timeout: 30_000 });
      await customer.page.locator('[data-testid="test-call-human"][data-present="false"]').waitFor({ timeout: 30_000 });
      await human.page.locator('[data-testid="presence-status"][data-status="wrap_up"]').waitFor();
      // Let the AI say it is back before asking.
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const askedAt = (await transcript(customer.page)).length;
      await speak(customer.page, said.lockerQuestion);
      const answer = await transcriptLineAfter(customer.page, Math.max(askedAt, handBackIndex), (line) => line.speaker === "ai" && /72/.test(line.text), 90_000);
      assert.ok(answer, `the AI answers after the hand back: ${JSON.stringify((await transcript(customer.page)).slice(handBackIndex))}`);
      const greetings = (await transcript(customer.page)).slice(handBackIndex).filter((line) => line.speaker === "ai" && /thanks for calling/i.test(line.text));
      assert.equal(greetings.length, 0, "no new greeting after the hand back");
    });

    await step("the wrap-up makes the agent Available again", async () => {
      const summary = human.page.getByTestId("wrap-up-summary");
      if (!(await summary.inputValue()).trim()) await summary.fill("Caller asked about parcel lockers.");
      await human.page.getByTestId("wrap-up-disposition").selectOption("resolved");
      await human.page.getByTestId("wrap-up-notes").fill("Explained the 72 hour locker hold.");
      const sent = human.page.waitForResponse((response) => /\/wrap-up$/.test(new URL(response.url()).pathname));
      await human.page.getByTestId("wrap-up-submit").click();
      assert.equal((await sent).status(), 204);
      await human.page.locator('[data-testid="presence-status"][data-status="available"]').waitFor();
      await human.page.getByTestId("console-waiting").waitFor();
    });

    await step("the caller hangs up", async () => {
      await customer.page.getByTestId("test-call-hang-up").click();
      await customer.page.locator('[data-testid="test-call"][data-state="ended"]').waitFor();
    });
  } finally {
    await customer.context.close();
    await human.context.close();
  }
});
