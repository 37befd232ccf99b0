// End to end in Chromium: how an offer moves between two agents' consoles.
//
// An owner invites two agents; both open the console and go Available, Ada first. Phone calls are
// written into the database as the agent worker writes them (no LiveKit room: the console shows an
// offer without one) and handed to a person through the real routing SQL (public.request_human).
// Then, each asserted on the agents' consoles and the owner's Live board:
//   1. the call rings for the longest idle agent (Ada) with what the AI learned; a reload keeps it;
//   2. Ada declines: her card goes, Ben's console rings for the same call;
//   3. Ben lets it ring out (5 s ring time): his card goes with a notice, he is Away, and the call
//      waits again (Ada declined it under a minute ago, so it is not offered back to her);
//   4. a second call rings for Ada; the caller hangs up while it rings: the card is withdrawn;
//   5. meanwhile an agent of another business cannot accept that offer (404), and it keeps ringing.
//
// Run: cd tests/js && node --test browser-console-offers.test.mjs   (the platform must be up: ./dev up)

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { newPerson, rand, stepper, suiteBrowser } from "./lib/browser.mjs";
import { inviteAgent, newOwnerWorkspace } from "./lib/calls.mjs";
import {
  accessToken,
  apiRequest,
  endCall,
  heartbeatCalls,
  offerStatuses,
  requestHuman,
  seedPhoneCall,
  setRingTimeout,
  workspaceApi,
} from "./lib/console.mjs";
import { openConsoleAvailable } from "./lib/handoff.mjs";

/** How long a console or the board may take to show a change (Realtime; the 10 s heartbeat refresh behind it). */
const REALTIME_MS = 10_000;
/** A 5 s ring expires at the next dispatch: a console heartbeat (every 10 s) or the supervisor's sweep. */
const RING_OUT_MS = 30_000;
const LONG_RING_SECONDS = 60;
const SHORT_RING_SECONDS = 5;

function offerCard(page, callId) {
  return page.locator(`[data-testid="offer-card"][data-call-id="${callId}"]`);
}

async function presence(page, status) {
  await page.locator(`[data-testid="presence-status"][data-status="${status}"]`).waitFor({ timeout: REALTIME_MS });
}

async function boardState(page, callId, state, text) {
  const card = page.locator(`[data-testid="live-call"][data-call-id="${callId}"][data-state="${state}"]`);
  await card.waitFor({ timeout: REALTIME_MS });
  if (text) await card.getByTestId("live-state").filter({ hasText: text }).waitFor({ timeout: REALTIME_MS });
  return card;
}

/** The console shows nothing ringing: the idle "waiting for calls" card and no offer card. */
async function idle(page) {
  await page.getByTestId("console-waiting").waitFor({ timeout: REALTIME_MS });
  assert.equal(await page.getByTestId("offer-card").count(), 0, "no offer card");
}

const suite = suiteBrowser();

test("offers ring the longest idle agent, survive a reload, move on when declined or missed, go when the caller hangs up", { timeout: 300_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-ringly.com`;
  const password = `Pw-${rand(6)}-long`;
  const owner = { name: "Olive Owner", email: `olive-${id}@${domain}`, password };
  const ada = { name: "Ada Agent", email: `ada-${id}@${domain}`, password };
  const ben = { name: "Ben Agent", email: `ben-${id}@${domain}`, password };
  const outsider = { name: "Otto Outsider", email: `otto-${id}@other-${domain}`, password };
  const firstCall = { id: randomUUID(), caller: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}` };
  const secondCall = { id: randomUUID(), caller: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}` };
  const liveCalls = new Set();
  const stopHeartbeats = heartbeatCalls(() => liveCalls);

  const ownerSide = await newPerson(suite.browser);
  const adaSide = await newPerson(suite.browser);
  const benSide = await newPerson(suite.browser);
  const pages = { owner: ownerSide.page, ada: adaSide.page, ben: benSide.page };
  const step = stepper(t, pages);
  let workspaceId;
  let ownerApi;
  let agentIds;
  let outsiderToken;
  let outsiderWorkspaceId;
  let secondOfferId;

  t.after(async () => {
    stopHeartbeats();
    for (const callId of liveCalls) await endCall(callId).catch(() => undefined);
    for (const side of [ownerSide, adaSide, benSide]) await side.context.close();
  });

  await step("an owner, two invited agents, and an agent of another business", async () => {
    workspaceId = await newOwnerWorkspace(ownerSide.page, owner, `Ringly ${id}`);
    await inviteAgent(ownerSide.page, adaSide.page, workspaceId, ada);
    await inviteAgent(ownerSide.page, benSide.page, workspaceId, ben);
    ownerApi = workspaceApi(await accessToken(owner.email, owner.password), workspaceId);
    await setRingTimeout(ownerApi, LONG_RING_SECONDS);

    const outsiderSide = await newPerson(suite.browser);
    try {
      outsiderWorkspaceId = await newOwnerWorkspace(outsiderSide.page, outsider, `Elsewhere ${id}`);
    } finally {
      await outsiderSide.context.close();
    }
    outsiderToken = await accessToken(outsider.email, outsider.password);

    const { agents } = await ownerApi("GET", "/presence");
    agentIds = Object.fromEntries(agents.map((agent) => [agent.email, agent.user_id]));
    assert.ok(agentIds[ada.email] && agentIds[ben.email], JSON.stringify(agents));
  });

  await step("both agents go Available on the console, Ada first; the owner watches Live", async () => {
    await openConsoleAvailable(adaSide.page, workspaceId);
    await idle(adaSide.page);
    await openConsoleAvailable(benSide.page, workspaceId);
    await idle(benSide.page);
    await ownerSide.page.goto(`/w/${workspaceId}/live`);
    await ownerSide.page.locator('[data-testid="live-page"][data-realtime="live"]').waitFor({ timeout: 30_000 });
    for (const email of [ada.email, ben.email]) {
      await ownerSide.page.locator(`[data-testid="team-agent"][data-email="${email}"][data-status="available"]`).waitFor();
    }
  });

  await step("1. the call rings for the longest idle agent with its context, and a reload keeps it ringing", async () => {
    await seedPhoneCall({
      callId: firstCall.id,
      workspaceId,
      caller: firstCall.caller,
      analysis: {
        intent: "cancel a subscription",
        topic: "billing",
        sentiment_label: "negative",
        sentiment_score: -0.5,
        sentiment_trend: "worsening",
      },
      lines: [
        ["ai", "Hello, this is Ringly support. How can I help?"],
        ["customer", "I want to cancel and talk to a real person."],
      ],
    });
    liveCalls.add(firstCall.id);
    const handoff = await requestHuman(firstCall.id, {
      summary: "Wants to cancel the yearly plan.",
      unanswered_question: "Can I get a refund for the unused months?",
    });
    assert.deepEqual(handoff, { status: "offered", offeredTo: agentIds[ada.email] }, "Ada went Available first");

    const card = offerCard(adaSide.page, firstCall.id);
    await card.waitFor({ timeout: REALTIME_MS });
    const offerId = await card.getAttribute("data-offer-id");
    assert.equal(await card.getByTestId("offer-caller").innerText(), firstCall.caller);
    assert.equal(await card.getByTestId("context-reason").innerText(), "The caller asked for a person");
    assert.equal(await card.getByTestId("context-intent").innerText(), "cancel a subscription");
    assert.equal(await card.getByTestId("context-topic").innerText(), "billing");
    assert.equal(await card.getByTestId("context-summary").innerText(), "Wants to cancel the yearly plan.");
    assert.equal(await card.getByTestId("context-unanswered").innerText(), "Can I get a refund for the unused months?");
    const lines = await card.getByTestId("context-transcript").locator("li").evaluateAll((items) =>
      items.map((item) => item.dataset.speaker),
    );
    assert.deepEqual(lines, ["ai", "customer"]);
    const seconds = Number(await card.getByTestId("offer-countdown").getAttribute("data-seconds"));
    assert.ok(seconds > LONG_RING_SECONDS - 15 && seconds <= LONG_RING_SECONDS, `the ring countdown runs (${seconds} s left)`);
    await idle(benSide.page);
    await boardState(ownerSide.page, firstCall.id, "offered", `Ringing ${ada.name}`);

    await adaSide.page.reload();
    await adaSide.page.locator('[data-testid="console-page"][data-realtime="live"]').waitFor({ timeout: 30_000 });
    const again = adaSide.page.locator(`[data-testid="offer-card"][data-offer-id="${offerId}"][data-call-id="${firstCall.id}"]`);
    await again.waitFor({ timeout: REALTIME_MS });
    assert.equal(await again.getByTestId("context-intent").innerText(), "cancel a subscription");
    await presence(adaSide.page, "available");
    assert.deepEqual(await offerStatuses(firstCall.id), [[agentIds[ada.email], "ringing"]], "the reload did not answer the offer");
  });

  await step("2. Ada declines: her card goes, and Ben's console rings for the same call", async () => {
    // Ben's offer will ring for 5 s only (step 3); the ring time applies to offers made from now on.
    await setRingTimeout(ownerApi, SHORT_RING_SECONDS);
    await offerCard(adaSide.page, firstCall.id).getByTestId("offer-decline").click();
    const card = offerCard(benSide.page, firstCall.id);
    await card.waitFor({ timeout: REALTIME_MS });
    assert.equal(await card.getByTestId("offer-caller").innerText(), firstCall.caller);
    const seconds = Number(await card.getByTestId("offer-countdown").getAttribute("data-seconds"));
    assert.ok(seconds <= SHORT_RING_SECONDS, `Ben's offer rings for the short ring time (${seconds} s left)`);
    await offerCard(adaSide.page, firstCall.id).waitFor({ state: "detached", timeout: REALTIME_MS });
    await idle(adaSide.page);
    await presence(adaSide.page, "available");
    assert.equal(await adaSide.page.getByTestId("console-notice").count(), 0, "declining says nothing more");
    await boardState(ownerSide.page, firstCall.id, "offered", `Ringing ${ben.name}`);
  });

  await step("3. Ben lets it ring out: his card goes with a notice, he is Away, and the call waits again", async () => {
    await offerCard(benSide.page, firstCall.id).waitFor({ state: "detached", timeout: RING_OUT_MS });
    const notice = benSide.page.getByTestId("console-notice");
    await notice.filter({ hasText: "The offer timed out, so you were set to Away." }).waitFor({ timeout: REALTIME_MS });
    await presence(benSide.page, "away");
    await benSide.page.getByTestId("console-unavailable").waitFor({ timeout: REALTIME_MS });

    const board = await boardState(ownerSide.page, firstCall.id, "waiting", "Waiting for a person");
    await board.getByTestId("live-waiting").waitFor();
    await ownerSide.page.locator(`[data-testid="team-agent"][data-email="${ben.email}"][data-status="away"]`).waitFor({
      timeout: REALTIME_MS,
    });
    const live = await ownerApi("GET", "/live");
    const call = live.calls.find((item) => item.call_id === firstCall.id);
    assert.equal(call?.state, "waiting", JSON.stringify(call));
    assert.equal(call?.offered_to ?? null, null, "nobody is rung");
    // Ada declined this call under a minute ago: it is not offered back to her.
    await idle(adaSide.page);
    assert.deepEqual(await offerStatuses(firstCall.id), [
      [agentIds[ada.email], "declined"],
      [agentIds[ben.email], "expired"],
    ]);

    // The caller gives up waiting; the board lets the call go.
    await endCall(firstCall.id);
    liveCalls.delete(firstCall.id);
    await ownerSide.page
      .locator(`[data-testid="live-call"][data-call-id="${firstCall.id}"]`)
      .waitFor({ state: "detached", timeout: REALTIME_MS });
  });

  await step("4a. a second call rings for Ada (still Available)", async () => {
    await setRingTimeout(ownerApi, LONG_RING_SECONDS);
    await seedPhoneCall({
      callId: secondCall.id,
      workspaceId,
      caller: secondCall.caller,
      analysis: {
        intent: "change delivery address",
        topic: "orders",
        sentiment_label: "neutral",
        sentiment_score: 0,
        sentiment_trend: "steady",
      },
      lines: [["customer", "Can a person change my delivery address?"]],
    });
    liveCalls.add(secondCall.id);
    const handoff = await requestHuman(secondCall.id, { summary: "Wants a new delivery address." });
    assert.deepEqual(handoff, { status: "offered", offeredTo: agentIds[ada.email] });
    const card = offerCard(adaSide.page, secondCall.id);
    await card.waitFor({ timeout: REALTIME_MS });
    secondOfferId = await card.getAttribute("data-offer-id");
    assert.equal(await card.getByTestId("context-intent").innerText(), "change delivery address");
    assert.equal(await benSide.page.getByTestId("offer-card").count(), 0, "Ben is Away: nothing rings for him");
  });

  await step("5. an agent of another business cannot accept the offer (404) and it keeps ringing", async () => {
    // Through Ada's workspace, and through the outsider's own one.
    for (const workspace of [workspaceId, outsiderWorkspaceId]) {
      const answer = await apiRequest(outsiderToken, "POST", `/v1/workspaces/${workspace}/offers/${secondOfferId}/accept`);
      assert.equal(answer.status, 404, `${workspace}: ${JSON.stringify(answer.body)}`);
    }
    assert.deepEqual(await offerStatuses(secondCall.id), [[agentIds[ada.email], "ringing"]]);
    await adaSide.page.waitForTimeout(1000);
    assert.equal(await offerCard(adaSide.page, secondCall.id).count(), 1, "the card still rings for Ada");
  });

  await step("4b. the caller hangs up while it rings: Ada's card is withdrawn with a notice", async () => {
    await endCall(secondCall.id);
    liveCalls.delete(secondCall.id);
    await offerCard(adaSide.page, secondCall.id).waitFor({ state: "detached", timeout: REALTIME_MS });
    await adaSide.page
      .getByTestId("console-notice")
      .filter({ hasText: "The caller hung up before anyone answered." })
      .waitFor({ timeout: REALTIME_MS });
    await idle(adaSide.page);
    await presence(adaSide.page, "available");
    assert.deepEqual(await offerStatuses(secondCall.id), [[agentIds[ada.email], "withdrawn"]]);
    await ownerSide.page
      .locator(`[data-testid="live-call"][data-call-id="${secondCall.id}"]`)
      .waitFor({ state: "detached", timeout: REALTIME_MS });
  });
});
