// Helpers for the knowledge browser test: a small help center served on loopback, the
// document fixtures (made by tests/fixtures/documents/generate.py, the ones the Python
// ingestion tests use), and waits on the Knowledge page's rows.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const PYTHON = process.env.PYTHON ?? path.join(ROOT, ".venv", "bin", "python");

/** Sentences the document fixtures are known to contain (see tests/fixtures/documents/generate.py). */
export const DOCX_REFUND_SENTENCE = "Refunds are paid back to the original card within 14 days.";
export const PDF_ROAMING_SENTENCE = "Roaming is switched off by default on every new line.";

/** Writes guide.docx, handbook.pdf and bad/corrupt.pdf into a new temporary folder. */
export async function documentFixtures() {
  if (!existsSync(PYTHON)) throw new Error(`no Python at ${PYTHON} (run ./dev up, or set PYTHON)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), "knowledge-docs-"));
  const script = [
    "import sys",
    "from pathlib import Path",
    "from tests.fixtures.documents import generate as g",
    "out = Path(sys.argv[1])",
    "(out / 'guide.docx').write_bytes(g.docx_bytes())",
    "(out / 'handbook.pdf').write_bytes(g.handbook_pdf())",
    "(out / 'corrupt.pdf').write_bytes(g.corrupt_pdf())",
  ].join("\n");
  await promisify(execFile)(PYTHON, ["-c", script, dir], { cwd: ROOT });
  return {
    dir,
    docx: path.join(dir, "guide.docx"),
    pdf: path.join(dir, "handbook.pdf"),
    corrupt: path.join(dir, "corrupt.pdf"),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** What the help center's pages say, for searching afterwards. */
export const HELP_CENTER = {
  giftCardSentence: "Gift cards never expire and can be spent on any order, including sale items.",
  deliverySentence: "Standard delivery takes three to five business days; express delivery arrives the next day.",
  chrome: "We use cookies to improve your experience",
};

function layout(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title} | Parcelly Help</title></head>
<body>
<div class="cookie-banner" id="cookie-consent">${HELP_CENTER.chrome}. <button>Accept all</button></div>
<header><nav><a href="/help/">Help home</a> <a href="/help/articles/gift-cards">Gift cards</a> <a href="https://example.com/">Shop</a></nav></header>
<main><article>${body}</article></main>
<footer><p>2026 Parcelly Ltd. All rights reserved.</p><a href="/help/">Help</a></footer>
<script>window.dataLayer = [];</script>
</body></html>`;
}

const PAGES = {
  "/help/": layout(
    "Help center",
    `<h1>Parcelly help center</h1><p>Answers about orders, delivery and gift cards.</p>
<ul><li><a href="articles/delivery-times">Delivery times</a></li><li><a href="articles/gift-cards?utm_source=home">Gift cards</a></li></ul>`,
  ),
  "/help/articles/delivery-times": layout(
    "Delivery times",
    `<h1>Delivery times</h1><h2>How long delivery takes</h2><p>${HELP_CENTER.deliverySentence}</p>
<p>Orders placed before 2pm leave our warehouse the same day.</p>`,
  ),
  "/help/articles/gift-cards": layout(
    "Gift cards",
    `<h1>Gift cards</h1><h2>Expiry and use</h2><p>${HELP_CENTER.giftCardSentence}</p>
<p>A gift card can be combined with one discount code per order.</p>`,
  ),
};

/** Serves a three-page help center (robots.txt, sitemap, page chrome) on 127.0.0.1; returns
 * {url, requests, close}. */
export async function startHelpCenter() {
  const requests = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    requests.push(url.pathname);
    const base = `http://127.0.0.1:${server.address().port}`;
    if (url.pathname === "/robots.txt") {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end(`User-agent: *\nDisallow: /help/internal/\nSitemap: ${base}/sitemap.xml\n`);
      return;
    }
    if (url.pathname === "/sitemap.xml") {
      response.writeHead(200, { "content-type": "application/xml" });
      const urls = Object.keys(PAGES).map((page) => `<url><loc>${base}${page}</loc></url>`).join("");
      response.end(`<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls}</urlset>`);
      return;
    }
    const page = PAGES[url.pathname] ?? (url.pathname === "/help" ? PAGES["/help/"] : undefined);
    if (!page) {
      response.writeHead(404, { "content-type": "text/html" });
      response.end("<!doctype html><title>Not found</title><h1>Page not found</h1>");
      return;
    }
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(page);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/help/`,
    pageUrl: (pathname) => `http://127.0.0.1:${port}${pathname}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The Knowledge page's row of a source. */
export function sourceRow(page, { id, title, kind }) {
  if (id) return page.locator(`[data-testid="knowledge-source"][data-source-id="${id}"]`);
  const kindFilter = kind ? `[data-kind="${kind}"]` : "";
  return page.locator(`[data-testid="knowledge-source"]${kindFilter}`).filter({ hasText: title });
}

/** Waits until a row's status is one of `statuses` (they update live); returns that status. */
export async function waitForStatus(row, statuses, timeout = 90_000) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  const deadline = Date.now() + timeout;
  let last = null;
  while (Date.now() < deadline) {
    last = await row.getAttribute("data-status", { timeout: 5_000 }).catch(() => null);
    if (last && wanted.includes(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const text = await row.innerText().catch(() => "(row not found)");
  throw new Error(`status stayed ${last} instead of ${wanted.join("/")} within ${timeout} ms: ${text}`);
}

/** Asks the "Test your knowledge" box; returns the passages shown as
 * [{sourceId, kind, source, citation, headings, content, href}]. */
export async function askKnowledge(page, question) {
  const box = page.getByTestId("knowledge-search");
  await box.getByTestId("knowledge-search-input").fill(question);
  const answered = page.waitForResponse(
    (response) => response.request().method() === "POST" && /\/knowledge\/search$/.test(new URL(response.url()).pathname),
  );
  await box.getByTestId("knowledge-search-submit").click();
  const response = await answered;
  if (!response.ok()) throw new Error(`search answered ${response.status()}: ${await response.text()}`);
  // The answer on screen is this question's once its summary (or "nothing found") names it.
  await box
    .locator('[data-testid="knowledge-search-summary"], [data-testid="knowledge-search-empty"]')
    .filter({ hasText: question.trim() })
    .first()
    .waitFor();
  return box.locator('[data-testid="knowledge-passage"]').evaluateAll((items) =>
    items.map((item) => ({
      sourceId: item.getAttribute("data-source-id"),
      kind: item.getAttribute("data-kind"),
      source: item.querySelector('[data-testid="knowledge-passage-source"]')?.textContent?.trim() ?? "",
      citation: item.querySelector('[data-testid="knowledge-passage-citation"]')?.textContent?.trim() ?? "",
      href: item.querySelector('[data-testid="knowledge-passage-citation"] a')?.getAttribute("href") ?? null,
      headings: item.querySelector('[data-testid="knowledge-passage-headings"]')?.textContent?.trim() ?? "",
      content: item.querySelector('[data-testid="knowledge-passage-content"]')?.textContent ?? "",
    })),
  );
}

/** Calls `probe` until it returns something truthy (then returns it) or `timeout` passes (then null). */
export async function eventually(probe, timeout = 30_000, every = 1_000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() + every > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
