// Handoff latency, measured in the browsers: `node bench/handoff-latency.mjs --runs 8`.
//
// Sets up a team (owner = customer, invited agent on the console, each in their own Chromium),
// then repeats: the customer's test call asks for a person; the agent joins; both speak; the agent
// hands back, wraps up, and the customer hangs up. Prints p50/p95 of
//   (a) offer on screen: calls.handoff_requested_at (the AI's decision, from the API's call detail)
//       to the moment the offer card entered the agent's page (a MutationObserver's Date.now());
//   (b) join to audio both ways: the Join click to the moment both received-audio level meters
//       (the caller's voice at the agent, the agent's voice at the caller) went above the speech
//       threshold, with both people speaking from the click on.
// Both browsers and the database run on this machine, so their clocks agree.
//
// Needs the whole platform (./dev up). Options: --runs N (default 8), --json (one JSON line at the end).

import { parseArgs } from "node:util";

import { MAIL_URL, WEB_URL, rand, reachable } from "../lib/browser.mjs";
import {
  newCallPerson,
  openConsoleAvailable,
  placeTestCall,
  setUpTeam,
  SPEECH_LEVEL,
  speechFor,
  waitForOffer,
} from "../lib/handoff.mjs";
import { launchCallBrowser, silence, speak, speakInLoop, whenLevelAbove } from "../lib/microphone.mjs";

const AUDIO_TIMEOUT_MS = 30_000;

const { values: options } = parseArgs({
  options: { runs: { type: "string", default: "8" }, json: { type: "boolean", default: false } },
});
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, not ${options.runs}`);

/** Nearest-rank percentile of a list of numbers. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function watchOfferCards() {
  window.__offerSeenAt = {};
  const record = () => {
    for (const card of document.querySelectorAll('[data-testid="offer-card"][data-call-id]')) {
      const callId = card.getAttribute("data-call-id");
      if (!(callId in window.__offerSeenAt)) window.__offerSeenAt[callId] = Date.now();
    }
  };
  new MutationObserver(record).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-call-id"] });
}

/** The API origin and the customer's bearer token, taken from the request that placed the call. */
async function placeAndCapture(page, workspaceId) {
  const request = page.waitForRequest((item) => /\/test-calls$/.test(new URL(item.url()).pathname));
  const callId = await placeTestCall(page, workspaceId);
  const placed = await request;
  return { callId, apiOrigin: new URL(placed.url()).origin, authorization: placed.headers().authorization };
}

async function handoffRequestedAt({ apiOrigin, authorization }, workspaceId, callId) {
  const response = await fetch(`${apiOrigin}/v1/workspaces/${workspaceId}/calls/${callId}`, { headers: { Authorization: authorization } });
  if (!response.ok) throw new Error(`call detail answered ${response.status}`);
  const detail = await response.json();
  if (!detail.handoff_requested_at) throw new Error("the call has no handoff_requested_at");
  return Date.parse(detail.handoff_requested_at);
}

async function oneRun({ customer, human, workspaceId, said }) {
  const placed = await placeAndCapture(customer.page, workspaceId);
  const { callId } = placed;
  await speak(customer.page, said.askForPerson);
  await waitForOffer(human.page, callId);
  const seenAt = await human.page.evaluate((id) => window.__offerSeenAt[id], callId);
  const requestedAt = await handoffRequestedAt(placed, workspaceId, callId);

  // Both people speak from the click on; each page reports when the other's voice crossed the threshold.
  await speakInLoop(customer.page, said.customerTalks);
  await speakInLoop(human.page, said.humanGreets);
  const callerHeard = whenLevelAbove(human.page, "caller-audio-level", SPEECH_LEVEL, AUDIO_TIMEOUT_MS);
  const agentHeard = whenLevelAbove(customer.page, "agent-audio-level", SPEECH_LEVEL, AUDIO_TIMEOUT_MS);
  const clickedAt = await human.page.evaluate(() => Date.now());
  await human.page.getByTestId("offer-join").click();
  const [callerAt, agentAt] = await Promise.all([callerHeard, agentHeard]);
  await silence(customer.page);
  await silence(human.page);

  await human.page.getByTestId("call-hand-back").click();
  await human.page.locator(`[data-testid="wrap-up"][data-call-id="${callId}"]`).waitFor({ timeout: 30_000 });
  await human.page.getByTestId("wrap-up-submit").click();
  await human.page.locator('[data-testid="presence-status"][data-status="available"]').waitFor();
  await customer.page.getByTestId("test-call-hang-up").click();
  await customer.page.locator('[data-testid="test-call"][data-state="ended"]').waitFor();
  return { callId, offerShownMs: seenAt - requestedAt, audioBothWaysMs: Math.max(callerAt, agentAt) - clickedAt };
}

async function main() {
  for (const [name, url] of [
    ["web app", `${WEB_URL}/login`],
    ["mail catcher", `${MAIL_URL}/api/messages`],
  ]) {
    if (!(await reachable(url))) throw new Error(`the ${name} is not reachable at ${url} (run ./dev up)`);
  }
  const speech = await speechFor({
    askForPerson: "I would like to talk to a person, please.",
    customerTalks: "Hello? Is anyone there? I am still waiting on the line.",
    humanGreets: "Hi, this is Sam from the support team. I can help you with that.",
  });
  const customerBrowser = await launchCallBrowser();
  const humanBrowser = await launchCallBrowser();
  const results = [];
  try {
    const id = rand();
    const password = `Pw-${rand(6)}-long`;
    const owner = { name: "Bench Customer", email: `bench-${id}@${id}-bench.com`, password };
    const agent = { name: "Bench Agent", email: `agent-${id}@${id}-bench.com`, password };
    const customer = await newCallPerson(customerBrowser);
    const human = await newCallPerson(humanBrowser);
    await human.context.addInitScript(watchOfferCards);
    const workspaceId = await setUpTeam(customer.page, human.page, { id, owner, agent });
    await openConsoleAvailable(human.page, workspaceId);
    for (let run = 1; run <= runs; run += 1) {
      const result = await oneRun({ customer, human, workspaceId, said: speech.said });
      results.push(result);
      console.log(`run ${run}/${runs}: offer on screen ${result.offerShownMs} ms, join to audio both ways ${result.audioBothWaysMs} ms`);
    }
  } finally {
    await customerBrowser.close();
    await humanBrowser.close();
    await speech.cleanup();
  }

  const rows = [
    ["handoff decision -> offer card on screen", results.map((result) => result.offerShownMs)],
    ["Join click -> audio both ways", results.map((result) => result.audioBothWaysMs)],
  ];
  console.log(`\n${"measure".padEnd(42)} ${"runs".padStart(5)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)} ${"max ms".padStart(8)}`);
  for (const [label, values] of rows) {
    console.log(
      `${label.padEnd(42)} ${String(values.length).padStart(5)} ${String(percentile(values, 50)).padStart(8)} ${String(percentile(values, 95)).padStart(8)} ${String(Math.max(...values)).padStart(8)}`,
    );
  }
  if (options.json) {
    console.log(
      JSON.stringify({
        runs: results,
        offer_shown_ms: { p50: percentile(rows[0][1], 50), p95: percentile(rows[0][1], 95) },
        audio_both_ways_ms: { p50: percentile(rows[1][1], 50), p95: percentile(rows[1][1], 95) },
      }),
    );
  }
}

await main();
