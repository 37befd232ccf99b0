/** How calls read in the web app: status, caller, durations, speakers, latency stages. */

import {
  createRequest,
  type CallChannel,
  type CallPage,
  type CallStatus,
  type CallSummary,
  type HandoffReason,
  type LatencyStage,
  type SentimentLabel,
  type Speaker,
  type TokenSource,
} from "@/lib/api";
import { DISPOSITION_LABEL, type Disposition } from "@/lib/console";
import { useApiClient } from "@/lib/use-api";

export type CallBadge = { label: string; tone: "success" | "neutral" | "danger" | "warning" | "brand"; state: string };

/** live / ringing / ended / failed, with "handoff requested" winning while a person is wanted. */
export function callBadge(call: Pick<CallSummary, "status" | "handoff_reason">): CallBadge {
  const live = call.status === "active" || call.status === "ringing";
  if (call.handoff_reason && live) return { label: "Handoff requested", tone: "warning", state: "handoff" };
  if (call.status === "active") return { label: "Live", tone: "success", state: "live" };
  if (call.status === "ringing") return { label: "Ringing", tone: "brand", state: "ringing" };
  if (call.status === "failed") return { label: "Failed", tone: "danger", state: "failed" };
  return { label: "Ended", tone: "neutral", state: "ended" };
}

export function isLive(call: Pick<CallSummary, "status">): boolean {
  return call.status === "active" || call.status === "ringing";
}

export function callerLabel(call: Pick<CallSummary, "channel" | "caller_number" | "placed_by_email" | "caller_identity">): string {
  if (call.channel === "phone") return call.caller_number ?? "Unknown number";
  return call.placed_by_email ? `Test call · ${call.placed_by_email}` : "Browser test call";
}

/** "0:42", "12:05", "1:02:09". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return "–";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

/** Ended calls carry their duration; live ones count from answer (or start) to now. */
export function callDuration(call: CallSummary, now: number): number | null {
  if (call.duration_seconds !== null) return call.duration_seconds;
  if (!isLive(call)) return null;
  const from = new Date(call.answered_at ?? call.started_at).getTime();
  return Math.max(0, (now - from) / 1000);
}

export const SPEAKER_LABEL: Record<Speaker, string> = { customer: "Customer", ai: "AI", human: "Agent" };

export const HANDOFF_REASON_LABEL: Record<HandoffReason, string> = {
  requested_person: "The caller asked for a person",
  unanswered_questions: "Questions went unanswered",
  negative_sentiment: "The caller is unhappy",
  needs_account_access: "The topic needs account access",
};

export const SENTIMENT_TONE: Record<SentimentLabel, "danger" | "neutral" | "success"> = {
  negative: "danger",
  neutral: "neutral",
  positive: "success",
};

export const LATENCY_STAGES: ReadonlyArray<{ stage: LatencyStage; label: string }> = [
  { stage: "end_of_turn_ms", label: "End of turn" },
  { stage: "stt_ms", label: "STT" },
  { stage: "retrieval_ms", label: "Retrieval" },
  { stage: "llm_first_token_ms", label: "LLM first token" },
  { stage: "tts_first_audio_ms", label: "TTS first audio" },
  { stage: "total_ms", label: "Total" },
];

export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function formatScore(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return `${value > 0 ? "+" : ""}${value.toFixed(2)}`;
}

// ---------------------------------------------------------------- call history filters

/** ai: no person was asked for; human: a person joined; missed: a person was asked for and nobody joined. */
export type HandledBy = "ai" | "human" | "missed";

/** The filters of the Calls page as they stand in its URL. `from` and `to` are days (YYYY-MM-DD) in the
 * viewer's time zone, both included; `q` is searched in the number, intent, topic, summary and transcript. */
export type CallFilters = {
  handled_by?: HandledBy;
  status?: CallStatus;
  channel?: CallChannel;
  disposition?: Disposition;
  sentiment?: SentimentLabel;
  from?: string;
  to?: string;
  q?: string;
};

export const HANDLED_BY_LABEL: Record<HandledBy, string> = { ai: "AI only", human: "A person", missed: "Missed handoff" };
export const CALL_STATUS_LABEL: Record<CallStatus, string> = { ringing: "Ringing", active: "Live", ended: "Ended", failed: "Failed" };
export const CHANNEL_LABEL: Record<CallChannel, string> = { phone: "Phone", browser: "Browser" };
export const SENTIMENT_LABEL: Record<SentimentLabel, string> = { negative: "Negative", neutral: "Neutral", positive: "Positive" };

type ChoiceKey = "handled_by" | "status" | "channel" | "disposition" | "sentiment";
const CHOICES: { [K in ChoiceKey]: ReadonlyArray<NonNullable<CallFilters[K]>> } = {
  handled_by: Object.keys(HANDLED_BY_LABEL) as HandledBy[],
  status: Object.keys(CALL_STATUS_LABEL) as CallStatus[],
  channel: Object.keys(CHANNEL_LABEL) as CallChannel[],
  disposition: Object.keys(DISPOSITION_LABEL) as Disposition[],
  sentiment: Object.keys(SENTIMENT_LABEL) as SentimentLabel[],
};
const CHOICE_KEYS = Object.keys(CHOICES) as ChoiceKey[];
/** The URL's and the API's order of parameters, so equal filters give equal query strings. */
const FILTER_KEYS: ReadonlyArray<keyof CallFilters> = [...CHOICE_KEYS, "from", "to", "q"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
export const SEARCH_MAX_LENGTH = 200;

function choice<K extends ChoiceKey>(key: K, value: string | null): CallFilters[K] | undefined {
  return (CHOICES[key] as ReadonlyArray<string>).includes(value ?? "") ? (value as CallFilters[K]) : undefined;
}

/** A real calendar day (not 2026-02-30). */
function validDay(value: string | null): string | undefined {
  if (!value || !DAY.test(value)) return undefined;
  const date = localMidnight(value);
  const [year, month, day] = dayParts(value);
  return date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day ? value : undefined;
}

/** Reads the filters from a query string; unknown values are dropped (a stale link still opens). */
export function parseCallFilters(params: { get(name: string): string | null }): CallFilters {
  const filters: CallFilters = {};
  for (const key of CHOICE_KEYS) {
    const value = choice(key, params.get(key));
    if (value) Object.assign(filters, { [key]: value });
  }
  const from = validDay(params.get("from"));
  const to = validDay(params.get("to"));
  if (from) filters.from = from;
  if (to) filters.to = to;
  const q = params.get("q")?.trim().slice(0, SEARCH_MAX_LENGTH);
  if (q) filters.q = q;
  return filters;
}

/** The filters as the page's query string (no leading "?"; empty without filters). */
export function callFiltersSearch(filters: CallFilters): string {
  const params = new URLSearchParams();
  for (const key of FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  return params.toString();
}

export function hasCallFilters(filters: CallFilters): boolean {
  return callFiltersSearch(filters) !== "";
}

/** "2026-11-20" as its numbers (the caller has checked the shape). */
function dayParts(day: string): [number, number, number] {
  const [year = NaN, month = NaN, date = NaN] = day.split("-").map(Number);
  return [year, month, date];
}

function localMidnight(day: string, addDays = 0): Date {
  const [year, month, date] = dayParts(day);
  return new Date(year, month - 1, date + addDays);
}

/** The API's query: days become instants in the viewer's time zone, and `to` (the last day shown) becomes
 * the exclusive start of the next day. */
export function callFiltersApiQuery(filters: CallFilters): URLSearchParams {
  const params = new URLSearchParams(callFiltersSearch(filters));
  if (filters.from) params.set("from", localMidnight(filters.from).toISOString());
  if (filters.to) params.set("to", localMidnight(filters.to, 1).toISOString());
  return params;
}

export function createCallHistoryApi(baseUrl: string, token: TokenSource) {
  const request = createRequest(baseUrl, token);
  return {
    /** One page of the workspace's calls matching `filters`, newest first; pass the same filters with a cursor. */
    calls: (workspaceId: string, filters: CallFilters, cursor: string | null, limit: number, signal?: AbortSignal) => {
      const params = callFiltersApiQuery(filters);
      params.set("limit", String(limit));
      if (cursor) params.set("cursor", cursor);
      return request<CallPage>(`/v1/workspaces/${encodeURIComponent(workspaceId)}/calls?${params.toString()}`, { signal });
    },
  };
}

export type CallHistoryApi = ReturnType<typeof createCallHistoryApi>;

/** The call history API for client components, with the current (auto-refreshed) access token. */
export function useCallHistoryApi(): CallHistoryApi {
  return useApiClient(createCallHistoryApi);
}
