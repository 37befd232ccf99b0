// End to end in Chromium: the live board, call history with a handoff, and callbacks.
//
// A new owner (through the app) invites an agent. A phone call is written into the database
// the way the agent worker writes one (an active calls row with heartbeats and transcript
// lines: no LiveKit room is needed for the board), and the handoff is driven through the real
// routing SQL (public.request_human, as the worker calls it) and the console API (presence,
// accept, hand back, wrap-up, as the agent's console calls it). The owner's Live page follows
// every step through Realtime, without reloading: AI -> waiting for a person -> ringing the
// agent -> with the agent -> back with the AI -> gone when the call ends; the team panel shows
// the agent Offline -> Available -> On a call -> Wrap-up -> Available. Then the call's history
// page shows the handoff, the offers timeline, the agent's lines under their name and the
// wrap-up; and a callback task is marked done on the Callbacks page.
//
// Run: cd tests/js && node --test browser-live.test.mjs   (the platform must be up: ./dev up)

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { newPerson, rand, stepper, suiteBrowser } from "./lib/browser.mjs";
import { inviteAgent, newOwnerWorkspace, transcript } from "./lib/calls.mjs";
import { accessToken, sql, workspaceApi } from "./lib/console.mjs";

/** Shorter than the board's safety-net reload (15 s): what the board shows in time came through Realtime. */
const REALTIME_MS = 10_000;

/** The board's call card for `callId` once its state is `state`. */
async function liveCall(page, callId, state) {
  const card = page.locator(`[data-testid="live-call"][data-call-id="${callId}"][data-state="${state}"]`);
  await card.waitFor({ timeout: REALTIME_MS });
  return card;
}

async function teamAgent(page, email, status) {
  const row = page.locator(`[data-testid="team-agent"][data-email="${email}"][data-status="${status}"]`);
  await row.waitFor({ timeout: REALTIME_MS });
  return row;
}

const suite = suiteBrowser();

test("the live board follows a call through a handoff; history and callbacks show it", { timeout: 300_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-boardly.com`;
  const password = `Pw-${rand(6)}-long`;
  const owner = { name: "Olga Owner", email: `olga-${id}@${domain}`, password };
  const agent = { name: "Sam Agent", email: `sam-${id}@${domain}`, password };
  const callId = randomUUID();
  const caller = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`;
  const pages = {};
  const step = stepper(t, pages);
  const ownerSide = await newPerson(suite.browser);
  const agentSide = await newPerson(suite.browser);
  const page = (pages.owner = ownerSide.page);
  pages.agent = agentSide.page;
  let workspaceId;
  let agentApi;
  let offerId;
  let agentUserId = null;
  // As in production: the worker heartbeats the call, and the agent's open console heartbeats their presence.
  let beating = null;
  function heartbeats() {
    void sql("update public.calls set agent_heartbeat_at = now() where id = :'call' and status = 'active'", {
      call: callId,
    }).catch(() => undefined);
    if (agentUserId) void agentApi("POST", "/presence/me/heartbeat").catch(() => undefined);
  }

  t.after(async () => {
    if (beating) clearInterval(beating);
    await sql("update public.calls set status = 'ended', ended_at = now() where id = :'call' and status = 'active'", {
      call: callId,
    }).catch(() => undefined);
    await ownerSide.context.close();
    await agentSide.context.close();
  });

  await step("the owner finds Live in the navigation: no calls, the team offline", async () => {
    workspaceId = await newOwnerWorkspace(page, owner, `Boardly ${id}`);
    await inviteAgent(page, agentSide.page, workspaceId, agent);
    await agentSide.context.close();
    delete pages.agent;
    agentApi = workspaceApi(await accessToken(agent.email, agent.password), workspaceId);

    const nav = page.getByRole("navigation", { name: "Workspace sections" });
    for (const name of ["Console", "Live", "Callbacks"]) assert.equal(await nav.getByRole("link", { name }).count(), 1, name);
    await nav.getByRole("link", { name: "Live" }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/live$`));
    await page.getByTestId("live-empty").waitFor();
    await page.locator('[data-testid="live-page"][data-realtime="live"]').waitFor();
    await teamAgent(page, agent.email, "offline");
    await teamAgent(page, owner.email, "offline");
  });

  await step("a call with the AI appears live, with its analysis and latest line", async () => {
    await sql(
      `insert into public.calls (id, workspace_id, business_id, room_name, channel, caller_number, status, answered_at,
                                 agent_worker_id, agent_heartbeat_at, intent, topic, sentiment_label, sentiment_score,
                                 sentiment_trend)
       select :'call', w.id, w.business_id, 'call-' || :'call', 'phone', :'caller', 'active', now(), 'board-test', now(),
              'billing question', 'refunds', 'negative', -0.4, 'worsening'
       from public.workspaces w where w.id = :'ws'`,
      { call: callId, ws: workspaceId, caller },
    );
    beating = setInterval(heartbeats, 5_000);
    const card = await liveCall(page, callId, "ai");
    assert.equal(await card.getByTestId("live-caller").innerText(), caller);
    assert.match(await card.getByTestId("live-state").innerText(), /^AI$/);
    assert.equal(await card.getByTestId("live-intent").innerText(), "billing question");
    assert.equal(await card.getByTestId("live-topic").innerText(), "refunds");
    assert.equal(await card.getByTestId("live-sentiment").getAttribute("data-trend"), "worsening");

    await sql(
      `insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
       values (gen_random_uuid(), :'call', :'ws', 'customer', 'I was charged twice for my order.', now(), now())`,
      { call: callId, ws: workspaceId },
    );
    await card.getByTestId("live-last-line").filter({ hasText: "I was charged twice for my order." }).waitFor();
    // The duration ticks.
    const first = await card.getByTestId("live-duration").innerText();
    await page.waitForFunction(
      ([selector, before]) => document.querySelector(selector)?.textContent !== before,
      [`[data-call-id="${callId}"] [data-testid="live-duration"]`, first],
    );
  });

  await step("the AI asks for a person while nobody is available: the call waits", async () => {
    const [state] = await sql(
      `select handoff_status from public.request_human(:'call', 'requested_person',
         jsonb_build_object('summary', 'Charged twice', 'unanswered_question', 'Why was I charged twice?'))`,
      { call: callId },
    );
    assert.equal(state, "waiting");
    const card = await liveCall(page, callId, "waiting");
    assert.match(await card.getByTestId("live-state").innerText(), /Waiting for a person/);
    await card.getByTestId("live-waiting").waitFor();
    assert.match(await page.getByTestId("live-counts").innerText(), /1 waiting/);
  });

  await step("the agent goes Available from the console: the team panel shows it and the call rings them", async () => {
    const presence = await agentApi("PUT", "/presence/me", { status: "available" });
    assert.equal(presence.status, "available");
    agentUserId = presence.user_id;
    await teamAgent(page, agent.email, "available");
    const card = await liveCall(page, callId, "offered");
    assert.match(await card.getByTestId("live-state").innerText(), /Ringing/);
    const consoleState = await agentApi("GET", "/console");
    assert.ok(consoleState.offer, "the agent's console has the offer");
    offerId = consoleState.offer.offer_id;
  });

  await step("the agent joins: the board shows the call with them, and them on a call", async () => {
    await agentApi("POST", `/offers/${offerId}/accept`);
    const card = await liveCall(page, callId, "human");
    assert.equal(await card.getByTestId("live-state").innerText(), `With ${agent.name}`);
    await teamAgent(page, agent.email, "on_call");
    await sql(
      `insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, speaker_identity, text, started_at, ended_at)
       values (gen_random_uuid(), :'call', :'ws', 'human', 'human-' || :'agent', 'I can refund the second charge now.',
               now(), now())`,
      { call: callId, ws: workspaceId, agent: agentUserId },
    );
    await card.getByTestId("live-last-line").filter({ hasText: "I can refund the second charge now." }).waitFor();
  });

  await step("the agent hands back: the AI has the caller again, the agent is in wrap-up", async () => {
    const answer = await agentApi("POST", `/calls/${callId}/hand-back`);
    assert.equal(answer.handoff_status, "returned");
    await liveCall(page, callId, "ai");
    await teamAgent(page, agent.email, "wrap_up");
    await agentApi("POST", `/calls/${callId}/wrap-up`, {
      disposition: "resolved",
      summary: "",
      notes: "Refunded the duplicate charge.",
    });
    await teamAgent(page, agent.email, "available");
  });

  await step("the call ends: it leaves the board", async () => {
    await sql("update public.calls set status = 'ended', ended_at = now() where id = :'call'", { call: callId });
    await page.locator(`[data-testid="live-call"][data-call-id="${callId}"]`).waitFor({ state: "detached", timeout: REALTIME_MS });
    await page.getByTestId("live-empty").waitFor();
  });

  await step("history: the calls list names the agent; the call shows the handoff, offers, their lines and the wrap-up", async () => {
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Calls" }).click();
    const row = page.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
    await row.waitFor();
    assert.match(await row.getByTestId("call-person").innerText(), new RegExp(agent.name));
    await row.getByTestId("call-open").click();
    await page.waitForURL(new RegExp(`/calls/${callId}$`));
    const history = page.getByTestId("handoff-history");
    await history.waitFor();
    assert.equal(await history.getAttribute("data-handoff-status"), "returned");
    assert.match(await history.getByTestId("handoff-reason").innerText(), /asked for a person/);
    assert.equal(await history.getByTestId("handoff-human").innerText(), agent.name);
    assert.match(await history.getByTestId("handoff-times").innerText(), /Joined .* left /);
    const offers = await history.getByTestId("offer-event").evaluateAll((items) =>
      items.map((item) => ({ status: item.dataset.status, agent: item.querySelector('[data-testid="offer-agent"]')?.textContent })),
    );
    assert.deepEqual(offers, [{ status: "accepted", agent: agent.name }]);
    const lines = await transcript(page);
    assert.deepEqual(
      lines.map((line) => line.speaker),
      ["customer", "human"],
    );
    const humanLabel = await page.locator('[data-testid="transcript-line"][data-speaker="human"]').innerText();
    assert.match(humanLabel, new RegExp(agent.name));
    const wrapUp = page.getByTestId("wrap-up");
    assert.equal(await wrapUp.getAttribute("data-disposition"), "resolved");
    assert.equal(await wrapUp.getByTestId("wrap-up-notes").innerText(), "Refunded the duplicate charge.");
  });

  await step("callbacks: an open callback task is marked done with notes", async () => {
    const note = `Call back about the refund (${id})`;
    const [taskId] = await sql("select public.create_callback_task(:'call', :'note')", { call: callId, note });
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Callbacks" }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/callbacks$`));
    const task = page.locator(`[data-testid="callback-task"][data-task-id="${taskId}"]`);
    await task.waitFor();
    assert.equal(await task.getByTestId("callback-caller").innerText(), caller);
    assert.equal(await task.getByTestId("callback-note").innerText(), note);
    assert.equal(
      await task.getByTestId("callback-call-link").getAttribute("href"),
      `/w/${workspaceId}/calls/${callId}`,
    );
    await task.getByTestId("callback-mark-done").click();
    await task.getByTestId("callback-notes").fill("Called back; refund confirmed.");
    await task.getByTestId("callback-complete").click();
    await task.waitFor({ state: "detached" });
    await page.getByTestId("callbacks-empty").waitFor();
    await page.getByTestId("callbacks-tab-done").click();
    const done = page.locator(`[data-testid="callback-task"][data-task-id="${taskId}"][data-status="done"]`);
    await done.waitFor();
    assert.match(await done.getByTestId("callback-completed").innerText(), /Done/);
  });

  assert.deepEqual(ownerSide.problems, [], "no page errors on the owner's pages");
});
