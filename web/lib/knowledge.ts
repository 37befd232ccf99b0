/** How knowledge sources read on screen: names, progress in words, refresh schedules. */

import { ApiError, type KnowledgePassage, type KnowledgeSource, type KnowledgeSourceKind, type KnowledgeStatus } from "@/lib/api";
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

/** A website source with the settings its crawl uses (GET .../knowledge/sources/{id}). */
export type WebsiteSource = KnowledgeSource & {
  max_pages: number | null;
  max_depth: number | null;
  /** The crawl stays under this path of the site. */
  include_path_prefix: string | null;
  next_refresh_at: string | null;
};

/** What PATCH .../knowledge/websites/{id} accepts; a field left out stays as it is. */
export type WebsiteChanges = Partial<{
  title: string;
  url: string;
  max_pages: number;
  max_depth: number;
  /** Empty: the start page's folder. */
  include_path_prefix: string;
  /** null: only refreshed when asked. */
  refresh_interval_hours: number | null;
}>;

/** The website settings calls, on the API the app uses (same errors as lib/api: ApiError with `field`). */
export function websiteSettingsApi(apiUrl: string, token: () => Promise<string | null>) {
  const base = apiUrl.replace(/\/+$/, "");
  const path = (workspaceId: string, suffix: string) =>
    `${base}/v1/workspaces/${encodeURIComponent(workspaceId)}/knowledge/${suffix}`;

  async function call<T>(url: string, method: "GET" | "PATCH", body?: unknown): Promise<T> {
    const value = await token();
    if (!value) throw new ApiError(401, "not_authenticated", "Please log in to continue.");
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json", Accept: "application/json", Authorization: `Bearer ${value}` },
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw new ApiError(0, "network_error", "We couldn't reach the server. Check your connection and try again.");
    }
    const payload: unknown = await response.json().catch(() => null);
    if (!response.ok) {
      const error = (payload as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? "error",
        error?.message ?? `The request failed (${response.status}).`,
        error?.field ?? null,
      );
    }
    return payload as T;
  }

  return {
    website: (workspaceId: string, sourceId: string) =>
      call<WebsiteSource>(path(workspaceId, `sources/${encodeURIComponent(sourceId)}`), "GET"),
    updateWebsite: (workspaceId: string, sourceId: string, changes: WebsiteChanges) =>
      call<WebsiteSource>(path(workspaceId, `websites/${encodeURIComponent(sourceId)}`), "PATCH", changes),
  };
}

/** The fields of a website's settings form that differ from the saved source (what a save sends). */
export function websiteChanges(source: WebsiteSource, form: Required<WebsiteChanges>): WebsiteChanges {
  const changes: WebsiteChanges = {};
  if (form.title.trim() !== (source.title ?? "")) changes.title = form.title.trim();
  if (form.url.trim() !== (source.url ?? "")) changes.url = form.url.trim();
  if (form.include_path_prefix.trim() !== (source.include_path_prefix ?? "")) {
    changes.include_path_prefix = form.include_path_prefix.trim();
  }
  if (form.max_pages !== source.max_pages) changes.max_pages = form.max_pages;
  if (form.max_depth !== source.max_depth) changes.max_depth = form.max_depth;
  if (form.refresh_interval_hours !== source.refresh_interval_hours) {
    changes.refresh_interval_hours = form.refresh_interval_hours;
  }
  return changes;
}

/** Whether saving these changes starts a new crawl (the API re-crawls on a new address, path or limit). */
export function changesRecrawl(changes: WebsiteChanges): boolean {
  return ["url", "include_path_prefix", "max_pages", "max_depth"].some((key) => key in changes);
}
