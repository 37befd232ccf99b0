/** How calls read in the web app: status, caller, durations, speakers, latency stages. */

import type { CallSummary, HandoffReason, LatencyStage, SentimentLabel, Speaker } from "@/lib/api";

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
