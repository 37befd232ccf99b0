// Helpers for the browser tests: Debian's Chromium through playwright-core (no browser
// downloads), the local mail catcher, and screenshots of every open page on failure.

import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { after, before } from "node:test";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

export const WEB_URL = (process.env.WEB_URL ?? "http://127.0.0.1:3000").replace(/\/+$/, "");
export const MAIL_URL = (process.env.MAIL_URL ?? "http://127.0.0.1:54324").replace(/\/+$/, "");
export const LIVEKIT_HTTP_URL = (process.env.LIVEKIT_HTTP_URL ?? "http://127.0.0.1:7880").replace(/\/+$/, "");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "artifacts");

/** Headless on a server: no sandbox, GPU, QUIC or background traffic. */
const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Fake capture devices with the permission prompt accepted, and audio that plays without a click. */
export const FAKE_MEDIA_FLAGS = [
  "--use-fake-ui-for-media-stream",
  "--use-fake-device-for-media-stream",
  "--autoplay-policy=no-user-gesture-required",
];

/** Debian's Chromium, headless, with `extraFlags` after the common ones. */
export async function launchChromium(extraFlags = []) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_FLAGS, ...extraFlags] });
}

export async function launchBrowser() {
  return launchChromium();
}

/** A fresh browser context (its own cookies: one person) with sensible timeouts. */
export async function newPerson(browser) {
  const context = await browser.newContext({ baseURL: WEB_URL, viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  return { context, page, problems };
}

export function rand(bytes = 4) {
  return randomBytes(bytes).toString("hex");
}

/** Screenshots of the given pages into tests/js/artifacts/ (a folder that ignores itself in git). */
export async function screenshots(label, pages) {
  await mkdir(ARTIFACTS, { recursive: true });
  await writeFile(path.join(ARTIFACTS, ".gitignore"), "*\n");
  const saved = [];
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  for (const [name, page] of Object.entries(pages)) {
    if (!page || page.isClosed()) continue;
    const file = path.join(ARTIFACTS, `${stamp}-${label}-${name}.png`.replace(/[^\w.-]+/g, "_"));
    try {
      await page.screenshot({ path: file, fullPage: true });
      saved.push(file);
    } catch {
      // The page may be gone with the browser.
    }
  }
  return saved;
}

async function listMessages(to) {
  const response = await fetch(`${MAIL_URL}/api/messages?to=${encodeURIComponent(to)}`);
  if (!response.ok) throw new Error(`mail catcher answered ${response.status}`);
  const body = await response.json();
  const list = Array.isArray(body) ? body : (body.messages ?? body.items ?? []);
  return list;
}

function linksOf(message) {
  if (Array.isArray(message.links) && message.links.length) return message.links.map(String);
  const text = [message.html, message.text, message.body].filter(Boolean).join("\n");
  return [...text.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((match) => match[0].replace(/&amp;/g, "&"));
}

/** Waits for a message to `to` with a link matching `pattern`, newer than the ones in `seen`;
 * returns {message, link}. */
export async function waitForMailLink(to, pattern, { timeout = 30_000, seen = new Set() } = {}) {
  const deadline = Date.now() + timeout;
  let last = [];
  while (Date.now() < deadline) {
    try {
      last = await listMessages(to);
      for (const message of last) {
        const id = message.id ?? JSON.stringify(message).slice(0, 200);
        if (seen.has(id)) continue;
        const link = linksOf(message).find((candidate) => pattern.test(candidate));
        if (link) return { message, link, id };
      }
    } catch {
      // Not up yet, or a partial answer: try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `no email to ${to} with a link matching ${pattern} within ${timeout} ms (messages: ${JSON.stringify(
      last.map((message) => ({ subject: message.subject, links: linksOf(message) })),
    )})`,
  );
}

/** The confirmation link of a sign-up email (GoTrue's /verify, or a token_hash link to /auth/confirm). */
export const CONFIRM_LINK = /\/verify\?|\/auth\/confirm\?|token_hash=/;
export const INVITE_LINK = /\/invite\/[^/?#\s]+/;

/** Invitation links are built on the API's SITE_URL; send the browser to the app under test. */
export function onWebUrl(link) {
  const url = new URL(link);
  const base = new URL(WEB_URL);
  url.protocol = base.protocol;
  url.host = base.host;
  return url.toString();
}

/** Stops a suite at once, saying what to start, when the platform it needs is not up. */
export async function assertPlatformUp({ livekit = false } = {}) {
  assert.ok(await reachable(`${WEB_URL}/login`), `the web app is not reachable at ${WEB_URL} (run ./dev up)`);
  assert.ok(await reachable(`${MAIL_URL}/api/messages`), `the mail catcher is not reachable at ${MAIL_URL}`);
  if (livekit) {
    assert.ok(await reachable(LIVEKIT_HTTP_URL), `livekit-server is not reachable at ${LIVEKIT_HTTP_URL} (run ./dev up)`);
  }
}

/** The suite's Chromium: launched in before() once the platform is up, closed in after(). */
export function suiteBrowser() {
  const suite = { browser: undefined };
  before(async () => {
    await assertPlatformUp();
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
  });
  return suite;
}

export async function reachable(url) {
  try {
    const response = await fetch(url, { redirect: "manual" });
    return response.status < 500;
  } catch {
    return false;
  }
}

/** Fills the sign-up form (the page must be on /signup) and submits it. */
export async function fillSignUp(page, { name, email, password }) {
  await page.getByLabel("Full name").fill(name);
  await page.getByLabel("Work email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Signs up on /signup (optionally with ?next=), then opens the confirmation link from the
 * mail catcher in the same browser (the PKCE code verifier lives in its cookies). */
export async function signUpAndConfirm(page, person, { next } = {}) {
  await page.goto(next ? `/signup?next=${encodeURIComponent(next)}` : "/signup");
  await fillSignUp(page, person);
  await page.getByTestId("check-inbox").waitFor();
  const { link } = await waitForMailLink(person.email, CONFIRM_LINK);
  await page.goto(link);
}

/** The page title of a workspace page, once it reads `expected`. */
export async function pageTitle(page, expected) {
  const title = page.getByTestId("page-title");
  await title.filter({ hasText: expected }).waitFor();
  return (await title.innerText()).trim();
}

/** Runs test steps in order; after a failure it saves screenshots of `pages` and skips the rest. */
export function stepper(t, pages) {
  let failed = false;
  return async function step(name, body) {
    await t.test(name, async (st) => {
      if (failed) {
        st.skip("an earlier step failed");
        return;
      }
      try {
        await body(st);
      } catch (error) {
        failed = true;
        const files = await screenshots(name, pages);
        for (const file of files) st.diagnostic(`screenshot: ${file}`);
        for (const [who, page] of Object.entries(pages)) {
          if (page && !page.isClosed()) st.diagnostic(`${who} was at ${page.url()}`);
        }
        throw error;
      }
    });
  };
}
