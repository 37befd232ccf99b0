// End to end in Chromium: the AI agent's settings and a browser test call.
//
// 1. A new owner finds Agent in the navigation, edits every kind of setting (text, voice,
//    language, escalation rules, intent and topic chips, account-access topics), sees a bad
//    value refused with the reason, saves, and finds the settings again after a reload; an
//    invited agent sees the same settings read-only.
// 2. With the whole voice stack running (livekit-server and the agent worker from ./dev up),
//    the owner writes an article, clicks Test call, and Chromium's fake microphone asks a
//    question (piper speech after a few seconds of silence): the live transcript shows the
//    AI's greeting, the question and the answer from the article; the live analysis fills in;
//    hanging up ends the call and the summary appears.

import assert from "node:assert/strict";
import { test } from "node:test";

import { newPerson, pageTitle, rand, stepper, suiteBrowser } from "./lib/browser.mjs";
import {
  chipValues,
  inviteAgent,
  launchBrowserWithMicrophone,
  newOwnerWorkspace,
  spokenQuestion,
  transcript,
} from "./lib/calls.mjs";
import { eventually, sourceRow, waitForStatus } from "./lib/knowledge.mjs";

const suite = suiteBrowser();

test("the AI agent settings: a manager edits and saves them, an agent reads them", { timeout: 300_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-voxly.com`;
  const password = `Pw-${rand(6)}-long`;
  const owner = { name: "Vera Owner", email: `vera-${id}@${domain}`, password };
  const agent = { name: "Sam Agent", email: `sam-${id}@${domain}`, password };
  const pages = {};
  const step = stepper(t, pages);
  const ownerSide = await newPerson(suite.browser);
  const page = (pages.owner = ownerSide.page);
  let workspaceId;
  let voice;
  const greeting = `Hi, you've reached Voxly support (${id}). What can I do for you?`;

  await step("the owner finds the agent in the navigation with its defaults", async () => {
    workspaceId = await newOwnerWorkspace(page, owner, `Voxly ${id}`);
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Agent" }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/agent$`));
    await pageTitle(page, "AI agent");
    await page.getByTestId("agent-form").waitFor();
    assert.equal(await page.getByTestId("agent-page").getAttribute("data-can-edit"), "true");
    assert.equal(await page.getByTestId("agent-name").inputValue(), "Alex");
    assert.equal(await page.getByTestId("agent-voice").inputValue(), "default");
    assert.ok((await chipValues(page, "intents")).includes("talk to a person"));
    assert.equal(await page.getByTestId("agent-save").isDisabled(), true, "nothing to save yet");
    assert.equal(await page.getByTestId("agent-read-only").count(), 0);
  });

  await step("a bad value is refused by the API with the reason, and nothing is saved", async () => {
    await page.getByTestId("agent-language").fill("English");
    await page.getByTestId("agent-save-state").filter({ hasText: "Unsaved changes" }).waitFor();
    const refused = page.waitForResponse((response) => response.request().method() === "PUT");
    await page.getByTestId("agent-save").click();
    assert.equal((await refused).status(), 422);
    const error = page.getByTestId("agent-save-error");
    await error.waitFor();
    assert.match(await error.innerText(), /language code/i);
    assert.equal(await page.getByTestId("agent-language").getAttribute("aria-invalid"), "true");
    await page.getByTestId("agent-discard").click();
    assert.equal(await page.getByTestId("agent-language").inputValue(), "en");
  });

  await step("every kind of setting is edited and saved", async () => {
    await page.getByTestId("agent-name").fill("Robin");
    await page.getByTestId("agent-greeting").fill(greeting);
    await page.getByTestId("agent-instructions").fill("Keep answers short. Offer the help center link when useful.");
    const voices = await page.getByTestId("agent-voice").locator("option").evaluateAll((options) => options.map((o) => o.value));
    voice = voices.find((value) => value !== "default");
    assert.ok(voice, `the configured provider offers a voice: ${voices}`);
    await page.getByTestId("agent-voice").selectOption(voice);
    await page.getByTestId("agent-language").fill("en-US");
    await page.getByTestId("agent-handoff-on-request").uncheck();
    await page.getByTestId("agent-max-unanswered").fill("4");
    await page.getByTestId("agent-sentiment-threshold").fill("-0.3");

    await page.getByTestId("chips-intents-input").fill("cancel an order");
    await page.keyboard.press("Enter");
    await page.getByTestId("chips-intents-input").fill("Cancel an order");
    await page.getByTestId("chips-intents-add").click();
    await page.getByTestId("chips-intents").getByRole("alert").filter({ hasText: "already in the list" }).waitFor();
    await page.getByTestId("chips-intents-input").fill("");
    await page.getByTestId("chips-topics").getByRole("button", { name: "Remove general question" }).click();
    await page.getByTestId("chips-topics-input").fill("delivery times");
    await page.getByTestId("chips-topics-add").click();
    const accountAccess = page.getByTestId("toggles-account-access");
    await accountAccess.locator('[data-value="delivery times"]').click();
    await accountAccess.locator('[data-value="payment details"]').click(); // off
    assert.equal(await accountAccess.locator('[data-value="delivery times"]').getAttribute("aria-pressed"), "true");

    const saved = page.waitForResponse((response) => response.request().method() === "PUT");
    await page.getByTestId("agent-save").click();
    const response = await saved;
    assert.equal(response.status(), 200, await response.text());
    await page.getByTestId("agent-save-state").filter({ hasText: "Saved" }).waitFor();
    assert.equal(await page.getByTestId("agent-save").isDisabled(), true);
  });

  await step("after a reload the saved settings are shown", async () => {
    await page.reload();
    await page.getByTestId("agent-form").waitFor();
    await page.getByTestId("agent-name").and(page.locator('[value="Robin"]')).waitFor();
    assert.equal(await page.getByTestId("agent-greeting").inputValue(), greeting);
    assert.match(await page.getByTestId("agent-instructions").inputValue(), /Keep answers short/);
    assert.equal(await page.getByTestId("agent-voice").inputValue(), voice);
    assert.equal(await page.getByTestId("agent-language").inputValue(), "en-US");
    assert.equal(await page.getByTestId("agent-handoff-on-request").isChecked(), false);
    assert.equal(await page.getByTestId("agent-max-unanswered").inputValue(), "4");
    assert.equal(Number(await page.getByTestId("agent-sentiment-threshold").inputValue()), -0.3);
    const intents = await chipValues(page, "intents");
    assert.equal(intents.at(-1), "cancel an order");
    assert.equal(intents.filter((value) => value.toLowerCase() === "cancel an order").length, 1);
    const topics = await chipValues(page, "topics");
    assert.ok(topics.includes("delivery times") && !topics.includes("general question"), JSON.stringify(topics));
    const pressed = await page
      .getByTestId("toggles-account-access")
      .locator('[aria-pressed="true"]')
      .evaluateAll((chips) => chips.map((chip) => chip.dataset.value));
    assert.deepEqual(pressed.sort(), ["account changes", "delivery times"]);
  });

  const agentSide = await newPerson(suite.browser);
  const agentPage = (pages.agent = agentSide.page);

  await step("an invited agent sees the same settings, read-only", async () => {
    await inviteAgent(page, agentPage, workspaceId, agent);
    await agentPage.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Agent" }).click();
    await agentPage.waitForURL(new RegExp(`/w/${workspaceId}/agent$`));
    await agentPage.getByTestId("agent-read-only").waitFor();
    assert.equal(await agentPage.getByTestId("agent-page").getAttribute("data-can-edit"), "false");
    assert.equal(await agentPage.getByTestId("agent-name").inputValue(), "Robin");
    assert.equal(await agentPage.getByTestId("agent-greeting").inputValue(), greeting);
    for (const testId of ["agent-name", "agent-greeting", "agent-voice", "agent-language", "agent-max-unanswered"]) {
      assert.equal(await agentPage.getByTestId(testId).isDisabled(), true, `${testId} is read-only`);
    }
    for (const testId of ["agent-save", "agent-discard", "chips-intents-input", "chip-remove"]) {
      assert.equal(await agentPage.getByTestId(testId).count(), 0, `${testId} is hidden from agents`);
    }
    assert.ok((await chipValues(agentPage, "intents")).includes("cancel an order"));
  });

  await ownerSide.context.close();
  await agentSide.context.close();
});

test("test call controls: the browser joins the room with its microphone, mutes, hangs up; the list follows live", { timeout: 300_000 }, async (t) => {
  const id = rand();
  const owner = { name: "Kai Owner", email: `kai-${id}@${id}-ringly.com`, password: `Pw-${rand(6)}-long` };
  const audio = await spokenQuestion("Hello?", { leadingSeconds: 1, trailingSeconds: 1 });
  const callBrowser = await launchBrowserWithMicrophone(audio.file);
  const pages = {};
  const step = stepper(t, pages);
  const side = await newPerson(callBrowser);
  const page = (pages.caller = side.page);
  const watcher = (pages.watcher = await side.context.newPage());
  let workspaceId;
  let callId;

  try {
    await step("Test call joins the room with the microphone on", async () => {
      workspaceId = await newOwnerWorkspace(page, owner, `Ringly ${id}`);
      await watcher.goto(`/w/${workspaceId}/calls`);
      await watcher.getByTestId("calls-empty").waitFor();
      await watcher.locator('[data-testid="calls-page"][data-realtime="live"]').waitFor();

      const placed = page.waitForResponse((response) => /\/test-calls$/.test(new URL(response.url()).pathname));
      await page.getByTestId("test-call-button").first().click(); // from the workspace home
      const response = await placed;
      assert.equal(response.status(), 201, await response.text());
      callId = (await response.json()).call_id;
      await page.waitForURL(new RegExp(`/w/${workspaceId}/calls/${callId}$`));
      // Waiting for the agent, or talking to it when the agent worker runs.
      await page.locator('[data-testid="test-call"][data-state="waiting"], [data-testid="test-call"][data-state="talking"]').waitFor({ timeout: 30_000 });
      assert.equal(await page.getByTestId("test-call-mic-error").count(), 0, "the fake microphone is allowed");
      assert.equal(await page.getByTestId("test-call-problem").count(), 0);
    });

    await step("the calls list shows the new call live, then mute and unmute", async () => {
      const row = watcher.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
      await row.waitFor({ timeout: 15_000 });
      assert.match(await row.getByTestId("call-status").getAttribute("data-state"), /ringing|live/);
      assert.match(await row.innerText(), new RegExp(`Test call · ${owner.email}`));
      const mute = page.getByTestId("test-call-mute");
      await mute.click();
      await page.locator('[data-testid="test-call-mute"][aria-pressed="true"]').waitFor();
      assert.match(await mute.innerText(), /Unmute/);
      await mute.click();
      await page.locator('[data-testid="test-call-mute"][aria-pressed="false"]').waitFor();
    });

    await step("hanging up closes the room and the list shows the call ended", async () => {
      const ended = page.waitForResponse((response) => /\/end$/.test(new URL(response.url()).pathname));
      await page.getByTestId("test-call-hang-up").click();
      const response = await ended;
      assert.equal(response.status(), 200, await response.text());
      assert.equal((await response.json()).room_closed, true);
      await page.locator('[data-testid="test-call"][data-state="ended"]').waitFor();
      await page.locator('[data-testid="call-status"][data-state="ended"]').waitFor({ timeout: 60_000 });
      const row = watcher.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
      await row.locator('[data-testid="call-status"][data-state="ended"]').waitFor({ timeout: 60_000 });
    });
  } finally {
    await side.context.close();
    await callBrowser.close();
    await audio.cleanup();
  }
});

test("a browser test call: the greeting, then the answer from the knowledge, live in the transcript", { timeout: 600_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-lockly.com`;
  const owner = { name: "Lee Owner", email: `lee-${id}@${domain}`, password: `Pw-${rand(6)}-long` };
  const fact = `Parcel lockers keep a parcel for 72 hours before it goes back to the depot.`;
  const question = "How long does a parcel locker keep my parcel?";
  const audio = await spokenQuestion(question);
  const callBrowser = await launchBrowserWithMicrophone(audio.file);
  const pages = {};
  const step = stepper(t, pages);
  const side = await newPerson(callBrowser);
  const page = (pages.owner = side.page);
  let workspaceId;
  let callId;

  try {
    await step("the owner's knowledge holds the answer", async () => {
      workspaceId = await newOwnerWorkspace(page, owner, `Lockly ${id}`);
      await page.goto(`/w/${workspaceId}/knowledge`);
      await page.getByTestId("add-tab-article").click();
      await page.getByTestId("article-title").fill("Parcel lockers");
      await page.getByTestId("article-body").fill(`## How long a locker keeps a parcel\n\n${fact}`);
      const created = page.waitForResponse(
        (response) => response.request().method() === "POST" && /\/knowledge\/articles$/.test(new URL(response.url()).pathname),
      );
      await page.getByTestId("article-submit").click();
      const articleId = (await (await created).json()).id;
      await waitForStatus(sourceRow(page, { id: articleId }), "ready");
    });

    await step("Test call joins the call's room and the AI greets", async () => {
      await page.goto(`/w/${workspaceId}/calls`);
      await page.getByTestId("calls-empty").waitFor();
      const placed = page.waitForResponse((response) => /\/test-calls$/.test(new URL(response.url()).pathname));
      await page.getByTestId("test-call-button").first().click();
      const response = await placed;
      assert.equal(response.status(), 201, await response.text());
      callId = (await response.json()).call_id;
      await page.waitForURL(new RegExp(`/w/${workspaceId}/calls/${callId}$`));
      await page.locator('[data-testid="test-call"][data-state="talking"]').waitFor({ timeout: 60_000 });
      assert.equal(await page.getByTestId("test-call-mic-error").count(), 0, "the fake microphone is allowed");
      const greeting = await eventually(async () => {
        const lines = await transcript(page);
        return lines.find((line) => line.speaker === "ai") ?? null;
      }, 60_000);
      assert.ok(greeting, "the AI's greeting is in the transcript");
      assert.match(greeting.text, /thanks for calling|how can i help/i);
    });

    await step("the spoken question and the answer from the knowledge appear live", async () => {
      const lines = await eventually(async () => {
        const current = await transcript(page);
        const asked = current.findIndex((line) => line.speaker === "customer" && /locker|parcel/i.test(line.text));
        const answered = current.findIndex((line, index) => index > asked && line.speaker === "ai" && /72 hours/.test(line.text));
        return asked >= 0 && answered > asked ? current : null;
      }, 120_000);
      assert.ok(lines, `the question and the answer are in the transcript: ${JSON.stringify(await transcript(page))}`);
      await page.getByTestId("knowledge-used-item").filter({ hasText: "Parcel lockers" }).first().waitFor({ timeout: 30_000 });
      const intent = await page.getByTestId("analysis-intent").innerText();
      assert.notEqual(intent.trim(), "–", "the live analysis has an intent");
      await page.getByTestId("latency-row").first().waitFor({ timeout: 30_000 });
    });

    await step("hanging up ends the call and the summary appears", async () => {
      await page.getByTestId("test-call-hang-up").click();
      await page.locator('[data-testid="test-call"][data-state="ended"]').waitFor();
      await page.locator('[data-testid="call-status"][data-state="ended"]').waitFor({ timeout: 60_000 });
      const summary = page.getByTestId("call-summary");
      await summary.waitFor({ timeout: 60_000 });
      await eventually(async () => ((await summary.innerText()).length > 20 ? true : null), 60_000);
      await page.goto(`/w/${workspaceId}/calls`);
      const row = page.locator(`[data-testid="call-row"][data-call-id="${callId}"]`);
      await row.waitFor();
      assert.equal(await row.getByTestId("call-status").getAttribute("data-state"), "ended");
    });
  } finally {
    await side.context.close();
    await callBrowser.close();
    await audio.cleanup();
  }
});
