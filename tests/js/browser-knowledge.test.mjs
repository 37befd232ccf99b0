// End to end in Chromium: a workspace's Knowledge page. A new owner sees what to do first,
// writes an article that becomes ready and is found by "Test your knowledge" with its
// citation, edits it (re-indexed), uploads a Word and a PDF document straight to storage
// (ready, found with "page N of file"), sees a broken PDF fail with the reason and a Retry,
// crawls a help center served on loopback, deletes a source (its passages are no longer
// found), and an invited agent can read and search but sees no controls to change anything.
//
// Needs the whole local stack (`./dev up`), with the knowledge API, the ingestion worker and
// the local S3 running; the document fixtures come from tests/fixtures/documents (Python).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  INVITE_LINK,
  newPerson,
  onWebUrl,
  pageTitle,
  rand,
  signUpAndConfirm,
  stepper,
  suiteBrowser,
  waitForMailLink,
} from "./lib/browser.mjs";
import {
  DOCX_REFUND_SENTENCE,
  HELP_CENTER,
  PDF_ROAMING_SENTENCE,
  askKnowledge,
  documentFixtures,
  eventually,
  sourceRow,
  startHelpCenter,
  waitForStatus,
} from "./lib/knowledge.mjs";

const suite = suiteBrowser();
let documents;
let helpCenter;

before(async () => {
  documents = await documentFixtures();
  helpCenter = await startHelpCenter();
});

after(async () => {
  await documents?.cleanup();
  await helpCenter?.close();
});

test("the Knowledge page: articles, documents, a crawled site, search with citations, deletion, read-only agents", { timeout: 600_000 }, async (t) => {
  const id = rand();
  const domain = `${id}-parcelly.com`;
  const password = `Pw-${rand(6)}-long`;
  const owner = { name: "Kim Owner", email: `kim-${id}@${domain}`, password };
  const agent = { name: "Alex Agent", email: `alex-${id}@${domain}`, password };
  const pages = {};
  const step = stepper(t, pages);

  const ownerSide = await newPerson(suite.browser);
  const page = (pages.owner = ownerSide.page);
  let workspaceId;
  let articleId;
  let inviteLink;
  const article = {
    title: `Parcel lockers ${id}`,
    heading: "Collecting from a locker",
    sentence: `Parcel lockers keep a parcel for 72 hours before it goes back to the depot (ref ${id}).`,
    addition: `Lockers open from 6am to midnight every day, holidays included (ref ${id}).`,
  };

  await step("a new owner finds Knowledge in the navigation and is told what to do first", async () => {
    await signUpAndConfirm(page, owner);
    await page.waitForURL(/\/onboarding$/);
    await page.getByLabel("Business name").fill(`Parcelly ${id}`);
    await page.getByLabel("First workspace").fill("Support");
    await page.getByRole("button", { name: "Create business and workspace" }).click();
    await page.waitForURL(/\/w\/[^/]+$/);
    workspaceId = new URL(page.url()).pathname.split("/")[2];
    await pageTitle(page, "Support");
    const card = page.getByTestId("home-knowledge");
    await card.getByTestId("home-knowledge-empty").waitFor();

    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Knowledge" }).click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/knowledge$`));
    await pageTitle(page, "Knowledge");
    const empty = page.getByTestId("knowledge-empty");
    await empty.waitFor();
    assert.match(await empty.innerText(), /Crawl your help center[\s\S]*Write an article[\s\S]*Upload documents/);
    await empty.getByTestId("knowledge-start-article").click();
    assert.equal(await page.getByTestId("add-tab-article").getAttribute("aria-selected"), "true");
  });

  await step("an article is written with a preview, becomes ready, and search cites it", async () => {
    await page.getByTestId("article-title").fill(article.title);
    await page.getByTestId("article-body").fill(`## ${article.heading}\n\n${article.sentence}\n\n- Bring the **pickup code** from the email.`);
    await page.getByTestId("markdown-preview-tab").click();
    const preview = page.getByTestId("markdown-preview");
    await preview.getByRole("heading", { name: article.heading }).waitFor();
    assert.equal(await preview.locator("strong").innerText(), "pickup code");
    await page.getByTestId("markdown-write").click();

    const created = page.waitForResponse(
      (response) => response.request().method() === "POST" && /\/knowledge\/articles$/.test(new URL(response.url()).pathname),
    );
    await page.getByTestId("article-submit").click();
    const response = await created;
    assert.equal(response.status(), 201, await response.text());
    articleId = (await response.json()).id;
    await page.getByTestId("article-added").waitFor();

    const row = sourceRow(page, { id: articleId });
    await row.waitFor();
    assert.equal(await row.getAttribute("data-kind"), "article");
    await waitForStatus(row, "ready");
    assert.match(await row.getByTestId("knowledge-source-ready").innerText(), /\d+ passages?/);

    const passages = await askKnowledge(page, "How long does a parcel locker keep my parcel?");
    const found = passages.find((passage) => passage.sourceId === articleId);
    assert.ok(found, `the article's passage is found: ${JSON.stringify(passages)}`);
    assert.equal(found.kind, "article");
    assert.equal(found.source, article.title);
    assert.match(found.content, /72 hours/);
    assert.match(found.headings, new RegExp(article.heading));
  });

  await step("the article editor saves a change that is re-indexed and found", async () => {
    await sourceRow(page, { id: articleId }).getByTestId("knowledge-source-open").click();
    await page.waitForURL(new RegExp(`/knowledge/articles/${articleId}$`));
    await pageTitle(page, article.title);
    const body = page.getByTestId("article-edit-body");
    await body.waitFor();
    assert.match(await body.inputValue(), /72 hours/);
    assert.equal(await page.getByTestId("article-save").isDisabled(), true, "nothing to save yet");
    await body.fill(`${await body.inputValue()}\n\n## Opening hours\n\n${article.addition}`);
    await page.getByTestId("article-save-state").filter({ hasText: "Unsaved changes" }).waitFor();
    const saved = page.waitForResponse((response) => response.request().method() === "PUT");
    await page.getByTestId("article-save").click();
    assert.equal((await saved).status(), 200);
    await page.getByTestId("article-save-state").filter({ hasText: "Saved" }).waitFor();
    await waitForStatus(page.getByTestId("article-status"), "ready");

    await page.getByRole("link", { name: "Knowledge" }).first().click();
    await page.waitForURL(new RegExp(`/w/${workspaceId}/knowledge$`));
    await waitForStatus(sourceRow(page, { id: articleId }), "ready");
    const passages = await eventually(async () => {
      const found = await askKnowledge(page, "When are the lockers open?");
      return found.some((passage) => passage.sourceId === articleId && /6am to midnight/.test(passage.content)) ? found : null;
    }, 60_000);
    assert.ok(passages, "the saved change is searchable");
  });

  await step("files are checked before upload: wrong type and the size limit", async () => {
    await page.getByTestId("add-tab-document").click();
    const uploads = [];
    const watch = (request) => {
      if (/\/knowledge\/uploads$/.test(new URL(request.url()).pathname)) uploads.push(request.url());
    };
    page.on("request", watch);
    await page.getByTestId("upload-input").setInputFiles([
      { name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("just notes") },
      { name: "old.doc", mimeType: "application/msword", buffer: Buffer.from("old word") },
      { name: "huge.pdf", mimeType: "application/pdf", buffer: Buffer.alloc(26 * 1024 * 1024, 32) },
    ]);
    const txt = page.locator('[data-testid="upload-item"][data-file-name="notes.txt"]');
    assert.equal(await txt.getAttribute("data-state"), "invalid");
    assert.match(await txt.innerText(), /Only PDF \(\.pdf\) and Word \(\.docx\)/);
    assert.match(await page.locator('[data-testid="upload-item"][data-file-name="old.doc"]').innerText(), /Save it as \.docx/);
    assert.match(await page.locator('[data-testid="upload-item"][data-file-name="huge.pdf"]').innerText(), /at most 25 MB/);
    await page.waitForTimeout(300);
    page.off("request", watch);
    assert.deepEqual(uploads, [], "nothing is sent for files refused in the browser");
    for (const name of ["notes.txt", "old.doc", "huge.pdf"]) {
      await page.locator(`[data-testid="upload-item"][data-file-name="${name}"]`).getByTestId("upload-item-dismiss").click();
    }
  });

  await step("a Word and a PDF document upload straight to storage, become ready, and are cited by page", async () => {
    await page.getByTestId("upload-input").setInputFiles([documents.docx, documents.pdf]);
    for (const name of ["guide.docx", "handbook.pdf"]) {
      const item = page.locator(`[data-testid="upload-item"][data-file-name="${name}"]`);
      await item.and(page.locator('[data-state="done"], [data-state="failed"]')).waitFor({ timeout: 60_000 });
      assert.equal(await item.getAttribute("data-state"), "done", await item.innerText());
    }
    for (const name of ["guide.docx", "handbook.pdf"]) {
      const row = page.locator('[data-testid="knowledge-source"][data-kind="document"]').filter({ hasText: name });
      await row.first().waitFor();
      assert.equal(await waitForStatus(row.first(), ["ready", "failed"], 180_000), "ready", await row.first().innerText());
    }

    const roaming = await askKnowledge(page, "Is roaming switched on for a new line?");
    const fromPdf = roaming.find((passage) => passage.kind === "document" && passage.content.includes(PDF_ROAMING_SENTENCE.slice(0, 30)));
    assert.ok(fromPdf, `the PDF's passage is found: ${JSON.stringify(roaming)}`);
    assert.match(fromPdf.citation, /^page \d+ of /, fromPdf.citation);

    const refunds = await askKnowledge(page, "How long do refunds take to reach my card?");
    assert.ok(
      refunds.some((passage) => passage.kind === "document" && passage.content.includes(DOCX_REFUND_SENTENCE.slice(0, 30))),
      `the Word document's passage is found: ${JSON.stringify(refunds)}`,
    );
  });

  await step("a broken PDF fails with the reason in words and a Retry button", async () => {
    await page.getByTestId("upload-input").setInputFiles(documents.corrupt);
    const item = page.locator('[data-testid="upload-item"][data-file-name="corrupt.pdf"]');
    await item.and(page.locator('[data-state="done"], [data-state="failed"]')).waitFor({ timeout: 60_000 });
    const row = page.locator('[data-testid="knowledge-source"][data-kind="document"]').filter({ hasText: "corrupt.pdf" }).first();
    assert.equal(await waitForStatus(row, ["failed", "ready"], 120_000), "failed");
    const reason = await row.getByTestId("knowledge-source-reason").innerText();
    assert.ok(reason.length > 15 && !/traceback|exception|errno/i.test(reason), `a reason for people: ${reason}`);
    await row.getByTestId("knowledge-source-retry").waitFor();
  });

  await step("a help center on loopback is crawled and its pages are cited with links", async (st) => {
    await page.getByTestId("add-tab-website").click();
    await page.getByTestId("website-url").fill(helpCenter.url);
    await page.getByTestId("website-max-pages").fill("20");
    await page.getByTestId("website-schedule").selectOption("24");
    const created = page.waitForResponse(
      (response) => response.request().method() === "POST" && /\/knowledge\/websites$/.test(new URL(response.url()).pathname),
    );
    await page.getByTestId("website-submit").click();
    const response = await created;
    assert.equal(response.status(), 201, await response.text());
    const source = await response.json();
    await page.getByTestId("website-added").waitFor();
    const row = sourceRow(page, { id: source.id });
    await row.waitFor();
    assert.match(await row.innerText(), /Refreshes daily/);
    const status = await waitForStatus(row, ["ready", "failed"], 180_000);
    if (status === "failed") {
      // Local mode allows loopback help centers (CRAWLER_ALLOWED_NETWORKS); any failure here is a bug.
      assert.fail(`the crawl failed: ${await row.getByTestId("knowledge-source-reason").innerText()}`);
    }
    assert.match(await row.getByTestId("knowledge-source-ready").innerText(), /passages?/);
    assert.ok(!helpCenter.requests.some((path) => path.startsWith("/help/internal/")), "robots.txt is honored");

    const passages = await askKnowledge(page, "Do gift cards expire?");
    const found = passages.find((passage) => passage.sourceId === source.id && /never expire/.test(passage.content));
    assert.ok(found, `the crawled page is found: ${JSON.stringify(passages)}`);
    assert.equal(found.href, helpCenter.pageUrl("/help/articles/gift-cards"));
    assert.ok(!found.content.includes(HELP_CENTER.chrome), "the cookie banner is not part of the passage");
  });

  await step("deleting a source asks first, then its passages are no longer found", async () => {
    const row = sourceRow(page, { id: articleId });
    await row.getByTestId("knowledge-source-menu").click();
    await page.getByTestId("knowledge-source-delete").click();
    const dialog = page.getByTestId("delete-source-dialog");
    await dialog.getByTestId("delete-source-confirm").waitFor();
    assert.match(await dialog.innerText(), /removed from the AI's knowledge/);
    await page.keyboard.press("Escape");
    assert.equal(await dialog.evaluate((element) => element.open), false);
    assert.equal(await row.count(), 1, "Escape deletes nothing");

    await row.getByTestId("knowledge-source-menu").click();
    await page.getByTestId("knowledge-source-delete").click();
    const deleted = page.waitForResponse((response) => response.request().method() === "DELETE");
    await dialog.getByTestId("delete-source-confirm").click();
    assert.equal((await deleted).status(), 204);
    await row.waitFor({ state: "detached" });

    const passages = await askKnowledge(page, "How long does a parcel locker keep my parcel?");
    assert.ok(
      !passages.some((passage) => passage.sourceId === articleId || passage.content.includes(`ref ${id}`)),
      `no passage of the deleted article: ${JSON.stringify(passages)}`,
    );
  });

  const agentSide = await newPerson(suite.browser);
  const agentPage = (pages.agent = agentSide.page);

  await step("an invited agent can read and search the knowledge but not change it", async () => {
    // A second article for the agent to read.
    await page.getByTestId("add-tab-article").click();
    await page.getByTestId("article-title").fill(`Store hours ${id}`);
    await page.getByTestId("article-body").fill(`## Weekdays\n\nThe Parcelly counter is open from 8am to 8pm on weekdays (store ${id}).`);
    const created = page.waitForResponse(
      (response) => response.request().method() === "POST" && /\/knowledge\/articles$/.test(new URL(response.url()).pathname),
    );
    await page.getByTestId("article-submit").click();
    const hoursId = (await (await created).json()).id;
    await waitForStatus(sourceRow(page, { id: hoursId }), "ready");

    await page.goto(`/w/${workspaceId}/members`);
    await page.getByTestId("invite-email").fill(agent.email);
    await page.getByTestId("invite-role").selectOption("agent");
    await page.getByTestId("invite-submit").click();
    inviteLink = onWebUrl((await waitForMailLink(agent.email, INVITE_LINK)).link);
    await signUpAndConfirm(agentPage, agent, { next: new URL(inviteLink).pathname });
    await agentPage.waitForURL(/\/invite\//);
    await agentPage.getByTestId("invite-accept-button").click();
    await agentPage.waitForURL(new RegExp(`/w/${workspaceId}$`));

    await agentPage.goto(`/w/${workspaceId}/knowledge`);
    await agentPage.getByTestId("knowledge-read-only").waitFor();
    const row = sourceRow(agentPage, { id: hoursId });
    await row.waitFor();
    for (const testId of [
      "add-knowledge",
      "knowledge-source-menu",
      "knowledge-source-retry",
      "knowledge-source-cancel",
      "upload-input",
      "article-form",
    ]) {
      assert.equal(await agentPage.getByTestId(testId).count(), 0, `${testId} is hidden from agents`);
    }
    const passages = await askKnowledge(agentPage, "When is the Parcelly counter open on weekdays?");
    assert.ok(passages.some((passage) => passage.sourceId === hoursId), `agents can search: ${JSON.stringify(passages)}`);

    const open = row.getByTestId("knowledge-source-open");
    assert.equal((await open.innerText()).trim(), "Read");
    await open.click();
    await agentPage.waitForURL(new RegExp(`/knowledge/articles/${hoursId}$`));
    const text = agentPage.getByTestId("article-read-only");
    await text.getByRole("heading", { name: "Weekdays" }).waitFor();
    assert.match(await text.innerText(), /8am to 8pm/);
    for (const testId of ["article-edit-form", "article-delete", "article-save"]) {
      assert.equal(await agentPage.getByTestId(testId).count(), 0, `${testId} is hidden from agents`);
    }
  });

  await ownerSide.context.close();
  await agentSide.context.close();
});
