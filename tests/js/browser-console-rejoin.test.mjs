// End to end in two Chromium processes: a person on a handed-off call reloads the console, switches
// microphones, then loses the page altogether.
//
// The customer (the workspace owner placing a browser test call) asks for a person; the invited agent,
// Available on the console, joins. Then:
// - a reload mid-call brings the call panel back (GET /console restores the connected call, the page
//   rejoins the room with POST /calls/{id}/join) within the drop grace: both sides hear each other
//   again and the AI does not take the caller back;
// - the microphone menu lists Chromium's fake inputs and switching keeps the agent's voice flowing;
// - closing the page without hanging up: after the grace the AI tells the caller it is back, the call
//   returns to the AI (handoff_status 'returned') and the agent owes a wrap-up (presence 'wrap_up').
//
// Needs the whole platform (./dev up: web, API, realtime, livekit-server, the agent worker).

import assert from "node:assert/strict";
import { test } from "node:test";

import { stepper } from "./lib/browser.mjs";
import { transcript } from "./lib/calls.mjs";
import { handoffRow, presenceOf } from "./lib/console.mjs";
import {
  levelsWhileSpeaking,
  handoffCast,
  openConsoleAvailable,
  placeTestCall,
  setUpTeam,
  SPEECH_LEVEL,
  transcriptLineAfter,
  twoCallBrowsers,
  waitForOffer,
} from "./lib/handoff.mjs";
import { eventually } from "./lib/knowledge.mjs";
import { speak } from "./lib/microphone.mjs";

/** Settings.human_reconnect_grace_seconds (the agent worker's default). */
const GRACE_SECONDS = 10;
/** What the AI says when it takes the caller back after the person's line dropped (handoff_lines.DROPPED). */
const TAKES_BACK = /line dropped|back with you/i;
/** Partway into the grace the AI asks the caller to hold on (handoff_lines.HOLD_ON). */
const HOLD_ON = /one moment|reconnecting/i;

const suite = twoCallBrowsers();

/** The caller hears the agent and the agent hears the caller: each level meter rises while the other speaks. */
async function assertAudioBothWays(t, customerPage, humanPage, label) {
  const atCaller = await levelsWhileSpeaking(customerPage, "agent-audio-level", humanPage, suite.speech.said.humanGreets);
  t.diagnostic(`${label}: agent's voice at the caller: quiet ${atCaller.quiet.toFixed(4)}, speaking ${atCaller.loud.toFixed(4)}`);
  assert.ok(atCaller.quiet < SPEECH_LEVEL, `${label}: silence at the caller before the agent speaks (${atCaller.quiet})`);
  assert.ok(atCaller.loud > SPEECH_LEVEL, `${label}: the agent's voice arrives at the caller (${atCaller.loud})`);
  const atAgent = await levelsWhileSpeaking(humanPage, "caller-audio-level", customerPage, suite.speech.said.lockerQuestion);
  t.diagnostic(`${label}: caller's voice at the agent: quiet ${atAgent.quiet.toFixed(4)}, speaking ${atAgent.loud.toFixed(4)}`);
  assert.ok(atAgent.quiet < SPEECH_LEVEL, `${label}: silence at the agent before the caller speaks (${atAgent.quiet})`);
  assert.ok(atAgent.loud > SPEECH_LEVEL, `${label}: the caller's voice arrives at the agent (${atAgent.loud})`);
}

function inCallConnected(page, callId) {
  return page.locator(`[data-testid="in-call"][data-call-id="${callId}"][data-connection="connected"]`);
}

test("the agent reloads mid-call, switches microphones, then drops: the AI takes the caller back after the grace", { timeout: 300_000 }, async (t) => {
  const { id, owner, agent, customer, human, pages } = await handoffCast(suite);
  const step = stepper(t, pages);
  let workspaceId;
  let callId;
  let hungUp = false;

  try {
    await step("the caller asks for a person, the agent joins, and they hear each other", async (st) => {
      workspaceId = await setUpTeam(customer.page, human.page, { id, owner, agent });
      await openConsoleAvailable(human.page, workspaceId);
      callId = await placeTestCall(customer.page, workspaceId);
      await speak(customer.page, suite.speech.said.askForPerson);
      const card = await waitForOffer(human.page, callId);
      await card.getByTestId("offer-join").click();
      await inCallConnected(human.page, callId).waitFor({ timeout: 30_000 });
      await customer.page.locator('[data-testid="test-call-human"][data-present="true"]').waitFor({ timeout: 30_000 });
      // The AI says who is joining, then goes silent: measure once it has said so.
      const announced = await transcriptLineAfter(customer.page, 0, (line) => line.speaker === "ai" && /Sam Support/.test(line.text), 60_000);
      assert.ok(announced, `the AI announces the agent: ${JSON.stringify(await transcript(customer.page))}`);
      await customer.page.locator('[data-testid="agent-audio-level"][data-receiving="true"]').waitFor({ timeout: 30_000 });
      await human.page.locator('[data-testid="caller-audio-level"][data-receiving="true"]').waitFor({ timeout: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await assertAudioBothWays(st, customer.page, human.page, "after Join");
    });

    await step("a reload mid-call rejoins within the grace: the call is still the agent's and the AI stays silent", async (st) => {
      const linesBefore = (await transcript(customer.page)).length;
      const rejoined = human.page.waitForResponse(
        (response) => response.request().method() === "POST" && new URL(response.url()).pathname.endsWith(`/calls/${callId}/join`),
        { timeout: 30_000 },
      );
      const reloadedAt = Date.now();
      await human.page.reload();
      const join = await rejoined;
      assert.equal(join.status(), 200, await join.text());
      await inCallConnected(human.page, callId).waitFor({ timeout: 30_000 });
      st.diagnostic(`the call panel was back and connected ${((Date.now() - reloadedAt) / 1000).toFixed(1)} s after the reload`);
      await human.page.locator('[data-testid="presence-status"][data-status="on_call"]').waitFor();
      await customer.page.locator('[data-testid="test-call-human"][data-present="true"]').waitFor({ timeout: 30_000 });
      await customer.page.locator('[data-testid="agent-audio-level"][data-receiving="true"]').waitFor({ timeout: 30_000 });
      await human.page.locator('[data-testid="caller-audio-level"][data-receiving="true"]').waitFor({ timeout: 30_000 });
      await assertAudioBothWays(st, customer.page, human.page, "after the reload");

      // Past the grace (and a margin), the worker would have taken the call back by now if the reload counted as a drop.
      const waitMore = reloadedAt + (GRACE_SECONDS + 4) * 1000 - Date.now();
      if (waitMore > 0) await new Promise((resolve) => setTimeout(resolve, waitMore));
      const row = await handoffRow(callId);
      assert.equal(row.handoffStatus, "connected", `the call is still with the agent: ${JSON.stringify(row)}`);
      assert.equal(row.humanLeftAt, null, "no one left the call for good");
      const since = (await transcript(customer.page)).slice(linesBefore);
      // A slow reload may get "one moment please" from the AI; never a take-back or a second announcement.
      const aiLines = since.filter((line) => line.speaker === "ai" && !HOLD_ON.test(line.text));
      assert.deepEqual(aiLines, [], `the AI did not take the call back or announce again: ${JSON.stringify(since)}`);
      assert.equal(await human.page.getByTestId("call-problem").count(), 0, "no connection problem after the rejoin");
    });

    await step("the microphone menu lists the inputs, and switching keeps the agent's voice flowing", async (st) => {
      const menu = human.page.getByTestId("call-device");
      const options = await menu.locator("option").evaluateAll((items) => items.map((item) => ({ value: item.value, label: item.textContent ?? "" })));
      st.diagnostic(`microphones: ${JSON.stringify(options.map((option) => option.label))}`);
      assert.ok(options.length > 1, `Chromium's fake devices give more than one input: ${JSON.stringify(options)}`);
      const chosen = await menu.getAttribute("data-device-id");
      const other = options.find((option) => option.value !== chosen && option.value !== "default") ?? options.find((option) => option.value !== chosen);
      await menu.selectOption(other.value);
      await human.page.locator(`[data-testid="call-device"][data-device-id="${other.value}"]`).waitFor();
      assert.equal(await menu.inputValue(), other.value, `${other.label} is the chosen microphone`);
      assert.equal(await human.page.getByTestId("call-mic-error").count(), 0, "switching raised no microphone problem");
      const atCaller = await levelsWhileSpeaking(customer.page, "agent-audio-level", human.page, suite.speech.said.humanGreets);
      st.diagnostic(`on ${other.label}: agent's voice at the caller: quiet ${atCaller.quiet.toFixed(4)}, speaking ${atCaller.loud.toFixed(4)}`);
      assert.ok(atCaller.loud > SPEECH_LEVEL, `the agent's voice still arrives after switching (${atCaller.loud})`);
      // The caller's page offers the same menu.
      assert.ok((await customer.page.getByTestId("test-call-device").locator("option").count()) > 1, "the test call lists the inputs too");
    });

    await step("closing the agent's page without hanging up: after the grace the AI takes the caller back", async (st) => {
      const linesBefore = (await transcript(customer.page)).length;
      const closedAt = Date.now();
      await human.page.close();
      await customer.page.locator('[data-testid="test-call-human"][data-present="false"]').waitFor({ timeout: 30_000 });
      st.diagnostic(`the caller saw the agent leave ${((Date.now() - closedAt) / 1000).toFixed(1)} s after the page closed`);
      const back = await eventually(
        async () => (await transcript(customer.page)).slice(linesBefore).find((line) => line.speaker === "ai" && TAKES_BACK.test(line.text)) ?? null,
        GRACE_SECONDS * 1000 + 30_000,
        250,
      );
      const seconds = (Date.now() - closedAt) / 1000;
      assert.ok(back, `the AI tells the caller it is back: ${JSON.stringify((await transcript(customer.page)).slice(linesBefore))}`);
      st.diagnostic(`the AI was back ${seconds.toFixed(1)} s after the page closed: "${back.text}"`);
      assert.ok(seconds >= GRACE_SECONDS - 1, `the AI waited for the grace before taking the caller back (${seconds.toFixed(1)} s)`);
      const said = (await transcript(customer.page)).slice(linesBefore).filter((line) => line.speaker === "ai");
      const held = said.findIndex((line) => HOLD_ON.test(line.text));
      assert.ok(held >= 0 && held < said.findIndex((line) => TAKES_BACK.test(line.text)), `the caller was asked to hold on first: ${JSON.stringify(said)}`);

      const row = await handoffRow(callId);
      assert.equal(row.handoffStatus, "returned", `the call is back with the AI: ${JSON.stringify(row)}`);
      assert.ok(row.humanLeftAt, "the person's leaving is recorded");
      assert.equal(row.status, "active", "the caller is still on the line");
      const presence = await presenceOf(workspaceId, agent.email);
      assert.deepEqual(presence, { status: "wrap_up", currentCallId: callId }, "the agent owes a wrap-up for the call");
    });

    await step("the caller hangs up", async () => {
      await customer.page.getByTestId("test-call-hang-up").click();
      await customer.page.locator('[data-testid="test-call"][data-state="ended"]').waitFor();
      hungUp = true;
    });
  } finally {
    if (!hungUp && !customer.page.isClosed()) {
      await customer.page.getByTestId("test-call-hang-up").click({ timeout: 5_000 }).catch(() => undefined);
    }
    await customer.context.close();
    await human.context.close();
  }
});
