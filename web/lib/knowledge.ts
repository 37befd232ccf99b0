/** How knowledge sources read on screen: names, progress in words, refresh schedules. */

import type { KnowledgePassage, KnowledgeSource, KnowledgeSourceKind, KnowledgeStatus } from "@/lib/api";
import { plural } from "@/lib/format";

export const KIND_LABELS: Record<KnowledgeSourceKind, { one: string; many: string }> = {
  website: { one: "Website", many: "Websites" },
  article: { one: "Article", many: "Articles" },
  document: { one: "Document", many: "Documents" },
};

export const STATUS_LABELS: Record<KnowledgeStatus, string> = {
  queued: "Queued",
  processing: "Processing",
  ready: "Ready",
  failed: "Failed",
  cancelled: "Cancelled",
};

export function isActive(source: Pick<KnowledgeSource, "status">): boolean {
  return source.status === "queued" || source.status === "processing";
}

export function sourceName(source: Pick<KnowledgeSource, "title" | "url" | "file_name" | "kind">): string {
  const title = source.title?.trim();
  if (title) return title;
  if (source.kind === "document" && source.file_name) return source.file_name;
  if (source.url) return hostAndPath(source.url);
  return `Untitled ${KIND_LABELS[source.kind].one.toLowerCase()}`;
}

/** "help.acme.com/articles" for "https://help.acme.com/articles/". */
export function hostAndPath(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.replace(/\/+$/, "");
    return `${parsed.host}${path}`;
  } catch {
    return url;
  }
}

export type Progress = {
  /** 0..1, or null when the total isn't known yet (an indeterminate bar). */
  fraction: number | null;
  text: string | null;
};

/** The progress bar and its words: "42 of 120 pages indexed", "page 3 of 10 extracted". */
export function progressOf(source: KnowledgeSource): Progress {
  const p = source.progress ?? {};
  if (source.kind === "website") {
    const found = p.pages_found ?? 0;
    const indexed = p.pages_indexed ?? 0;
    const fetched = p.pages_fetched ?? 0;
    const settled = indexed + (p.pages_skipped ?? 0) + (p.pages_failed ?? 0);
    if (found > 0) {
      return {
        fraction: Math.min(1, Math.max(settled, indexed) / found),
        text: `${indexed} of ${plural(found, "page")} indexed`,
      };
    }
    if (fetched > 0) return { fraction: null, text: `${plural(fetched, "page")} fetched` };
    return { fraction: null, text: source.status === "queued" ? null : "Looking for pages…" };
  }
  if (source.kind === "document") {
    const pages = p.document_pages ?? 0;
    const extracted = p.document_pages_extracted ?? 0;
    if (pages > 0) {
      return {
        fraction: Math.min(1, extracted / pages),
        text: `page ${Math.min(extracted, pages)} of ${pages} extracted`,
      };
    }
    return { fraction: null, text: source.status === "queued" ? null : "Reading the document…" };
  }
  return { fraction: null, text: source.status === "queued" ? null : "Indexing…" };
}

/** Pages a crawl could not use, if any: "3 pages skipped, 1 failed". */
export function crawlIssues(source: KnowledgeSource): string | null {
  if (source.kind !== "website") return null;
  const skipped = source.progress?.pages_skipped ?? 0;
  const failed = source.progress?.pages_failed ?? 0;
  const parts = [skipped ? `${plural(skipped, "page")} skipped` : null, failed ? `${plural(failed, "page")} couldn't be read` : null];
  const text = parts.filter(Boolean).join(", ");
  return text || null;
}

export function failureReason(source: Pick<KnowledgeSource, "status_detail" | "kind">): string {
  const detail = source.status_detail?.trim();
  if (detail) return detail;
  if (source.kind === "website") return "The site couldn't be crawled. Check that the address opens in a browser, then try again.";
  if (source.kind === "document") return "The document couldn't be read. Check that it opens on your computer, then upload it again.";
  return "The article couldn't be indexed. Try again.";
}

export const REFRESH_SCHEDULES = [
  { value: "", label: "Don't refresh automatically", hours: null },
  { value: "24", label: "Refresh daily", hours: 24 },
  { value: "168", label: "Refresh weekly", hours: 168 },
] as const;

export function scheduleLabel(hours: number | null): string | null {
  if (!hours) return null;
  if (hours === 24) return "Refreshes daily";
  if (hours === 168) return "Refreshes weekly";
  if (hours % 24 === 0) return `Refreshes every ${plural(hours / 24, "day")}`;
  return `Refreshes every ${plural(hours, "hour")}`;
}

/** Where a passage came from, in words: "page 3 of manual.pdf", "help.acme.com/returns". */
export function citationOf(passage: KnowledgePassage): string {
  const name = passage.source_title?.trim() || "the document";
  if (passage.source_kind === "document") return passage.page ? `page ${passage.page} of ${name}` : name;
  if (passage.source_kind === "website" && passage.url) return hostAndPath(passage.url);
  return name;
}
