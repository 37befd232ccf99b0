// End to end in Chromium: the Calls page's filters.
//
// A new owner (through the app) gets three finished calls written into the database the way the agent
// worker writes them: one the AI handled alone, one a person took over (and handed back), and one whose
// request for a person nobody answered. Opening /calls?handled_by=human shows only the handed call; changing
// "Handled by" in the filter bar rewrites the URL and the list; a search with no match shows the "no calls
// match" state; Clear brings every call back. While a filter is on, a call that changes in the database
// (Realtime) appears only once it matches the filter.
//
// Run: cd tests/js && node --test browser-call-filters.test.mjs   (the platform must be up: ./dev up)

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { newPerson, rand, stepper, suiteBrowser } from "./lib/browser.mjs";
import { newOwnerWorkspace } from "./lib/calls.mjs";
import { sql } from "./lib/console.mjs";

/** Shorter than any safety-net reload: what the list shows in time came through Realtime. */
const REALTIME_MS = 10_000;

/** Inserts a finished phone call `minutesAgo` minutes old; `columns` are extra calls columns (psql vars). */
async function seedCall(workspaceId, minutesAgo, caller, columns = {}) {
  const callId = randomUUID();
  const names = Object.keys(columns);
  await sql(
    `insert into public.calls (id, workspace_id, business_id, room_name, channel, caller_number, status,
                               started_at, ended_at${names.map((name) => `, ${name}`).join("")})
     select :'call', w.id, w.business_id, 'call-' || :'call', 'phone', :'caller', 'ended',
            now() - make_interval(mins => :'ago'), now() - make_interval(mins => :'ago') + interval '2 minutes'
            ${names.map((name) => `, :'${name}'`).join("")}
     from public.workspaces w where w.id = :'ws'`,
    { call: callId, ws: workspaceId, caller, ago: minutesAgo, ...columns },
  );
  return callId;
}

/** The ids of the calls the list shows, once the page shows exactly `expected` (in any order). */
async function shownCalls(page, expected, timeout = REALTIME_MS) {
  const want = [...expected].sort().join(",");
  await page.waitForFunction(
    (ids) =>
      !document.querySelector('[aria-busy="true"]') &&
      [...document.querySelectorAll('[data-testid="call-row"]')]
        .map((row) => row.getAttribute("data-call-id"))
        .sort()
        .join(",") === ids,
    want,
    { timeout },
  );
}

function query(page) {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

const suite = suiteBrowser();

test("the Calls page filters by the URL, follows filter changes, and clears", { timeout: 180_000 }, async (t) => {
  const id = rand();
  const owner = { name: "Fay Filter", email: `fay-${id}@${id}-filterly.com`, password: `Pw-${rand(6)}-long` };
  const pages = {};
  const step = stepper(t, pages);
  const person = await newPerson(suite.browser);
  const page = (pages.owner = person.page);
  const calls = {};
  let workspaceId;

  t.after(async () => {
    await person.context.close();
  });

  await step("an owner with three finished calls", async () => {
    workspaceId = await newOwnerWorkspace(page, owner, `Filterly ${id}`);
    const [ownerId] = await sql("select id from auth.users where email = :'email'", { email: owner.email });
    calls.ai = await seedCall(workspaceId, 30, "+15550100001", { intent: "opening hours" });
    calls.handed = await seedCall(workspaceId, 20, "+15550100002", {
      handoff_reason: "requested_person",
      handoff_status: "returned",
      human_user_id: ownerId,
      human_name: owner.name,
      disposition: "resolved",
    });
    calls.missed = await seedCall(workspaceId, 10, "+15550100003", {
      handoff_reason: "requested_person",
      handoff_status: "missed",
      topic: "billing",
    });
  });

  await step("a link with handled_by=human shows only the call a person took", async () => {
    await page.goto(`/w/${workspaceId}/calls?handled_by=human`);
    await shownCalls(page, [calls.handed]);
    assert.equal(await page.getByTestId("call-filter-handled_by").inputValue(), "human");
  });

  await step("a call that starts matching the filter appears through Realtime, one that does not stays out", async () => {
    await page.locator('[data-testid="calls-page"][data-realtime="live"]').waitFor({ timeout: REALTIME_MS });
    const refetched = page.waitForResponse((response) => response.url().includes(`/v1/workspaces/${workspaceId}/calls?`), {
      timeout: REALTIME_MS,
    });
    calls.late = await seedCall(workspaceId, 5, "+15550100004");
    // The AI call just written does not match "A person": once the list has re-fetched, it is still not there.
    await refetched;
    await shownCalls(page, [calls.handed]);
    await sql(
      `update public.calls set handoff_status = 'connected', human_user_id = (select id from auth.users where email = :'email')
       where id = :'call'`,
      { call: calls.late, email: owner.email },
    );
    await shownCalls(page, [calls.late, calls.handed]);
  });

  await step("changing a filter in the bar rewrites the URL and the list", async () => {
    await page.getByTestId("call-filter-handled_by").selectOption("missed");
    await page.waitForURL((url) => url.searchParams.get("handled_by") === "missed");
    await shownCalls(page, [calls.missed]);
    await page.getByTestId("call-filter-handled_by").selectOption("ai");
    await page.waitForURL((url) => url.searchParams.get("handled_by") === "ai");
    await shownCalls(page, [calls.ai]);
    // A search on top of it (intent "opening hours"), then one that matches nothing.
    await page.getByTestId("call-filter-q").fill("opening");
    await page.waitForURL((url) => url.searchParams.get("q") === "opening");
    await shownCalls(page, [calls.ai]);
    await page.getByTestId("call-filter-q").fill("nothing-like-this");
    await page.getByTestId("call-filter-q").press("Enter");
    await page.getByTestId("calls-no-match").waitFor();
    assert.deepEqual(query(page), { handled_by: "ai", q: "nothing-like-this" });
  });

  await step("the filtered view survives a reload", async () => {
    await page.reload();
    await page.getByTestId("calls-no-match").waitFor();
    assert.equal(await page.getByTestId("call-filter-q").inputValue(), "nothing-like-this");
  });

  await step("Clear brings every call back", async () => {
    await page.getByTestId("call-filters-clear").click();
    await page.waitForURL((url) => url.search === "");
    await shownCalls(page, [calls.ai, calls.handed, calls.missed, calls.late]);
    assert.equal(await page.getByTestId("call-filter-q").inputValue(), "");
    assert.equal(await page.getByTestId("call-filters-clear").count(), 0);
    assert.deepEqual(person.problems, []);
  });
});
