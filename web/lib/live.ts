/** How the live board, the team panel, call history with handoffs and callbacks read: badges,
 * presence freshness, and folding Realtime rows into what the API returned. The API types
 * themselves live in lib/console.ts. */

import type { HandoffReason, SentimentLabel, SentimentTrend } from "@/lib/api";
import {
  PRESENCE_FRESH_SECONDS,
  PRESENCE_LABEL,
  type AgentPresence,
  type CallbackTask,
  type Disposition,
  type HandoffStatus,
  type LiveCallRow,
  type LiveCallState,
  type OfferStatus,
  type PresenceStatus,
} from "@/lib/console";

type Tone = "success" | "neutral" | "danger" | "warning" | "brand";

/** Who has a live call's caller right now (the same mapping the API uses for `state`). */
const STATE_OF_HANDOFF: Record<HandoffStatus, LiveCallState> = {
  waiting: "waiting",
  offered: "offered",
  connected: "human",
  returned: "ai",
  missed: "ai",
};

export function liveState(handoffStatus: HandoffStatus | null): LiveCallState {
  return handoffStatus ? STATE_OF_HANDOFF[handoffStatus] : "ai";
}

export const LIVE_STATE_TONE: Record<LiveCallState, Tone> = {
  ai: "brand",
  waiting: "warning",
  offered: "warning",
  human: "success",
};

/** The live board's badge text: "AI", "Waiting for a person", "Ringing Dana", "With Dana". */
export function liveStateLabel(call: Pick<LiveCallRow, "state" | "human_name">, ringing: string | null): string {
  if (call.state === "ai") return "AI";
  if (call.state === "waiting") return "Waiting for a person";
  if (call.state === "offered") return ringing ? `Ringing ${ringing}` : "Ringing an agent";
  return call.human_name ? `With ${call.human_name}` : "With a person";
}

/** The order the live board lists calls in: the ones that need a person first, longest waiting first. */
const STATE_ORDER: Record<LiveCallState, number> = { waiting: 0, offered: 1, human: 2, ai: 3 };

export function sortLiveCalls(calls: LiveCallRow[]): LiveCallRow[] {
  return [...calls].sort((a, b) => {
    const byState = STATE_ORDER[a.state] - STATE_ORDER[b.state];
    if (byState !== 0) return byState;
    const aTime = a.waiting_since ?? a.started_at;
    const bTime = b.waiting_since ?? b.started_at;
    return aTime.localeCompare(bTime);
  });
}

/** The columns of a Realtime `public.calls` row the board shows (payload.new, whole row). */
export type CallsRow = {
  id: string;
  workspace_id: string;
  status: "ringing" | "active" | "ended" | "failed";
  handoff_status: HandoffStatus | null;
  handoff_reason: HandoffReason | null;
  handoff_requested_at: string | null;
  human_name: string | null;
  intent: string | null;
  topic: string | null;
  sentiment_label: SentimentLabel | null;
  sentiment_score: number | null;
  sentiment_trend: SentimentTrend | null;
};

export function isLiveStatus(status: CallsRow["status"]): boolean {
  return status === "ringing" || status === "active";
}

/** A board row updated from a Realtime `calls` row. */
export function patchLiveCall(call: LiveCallRow, row: Partial<CallsRow>): LiveCallRow {
  const next: LiveCallRow = { ...call };
  if ("handoff_status" in row) {
    next.handoff_status = row.handoff_status ?? null;
    next.state = liveState(next.handoff_status);
  }
  if ("handoff_reason" in row) next.handoff_reason = row.handoff_reason ?? null;
  if ("handoff_requested_at" in row) next.waiting_since = row.handoff_requested_at ?? null;
  if ("human_name" in row) next.human_name = row.human_name ?? null;
  if ("intent" in row) next.intent = row.intent ?? null;
  if ("topic" in row) next.topic = row.topic ?? null;
  if ("sentiment_label" in row) next.sentiment_label = row.sentiment_label ?? null;
  if ("sentiment_score" in row) next.sentiment_score = row.sentiment_score ?? null;
  if ("sentiment_trend" in row) next.sentiment_trend = row.sentiment_trend ?? null;
  return next;
}

/** The columns of a Realtime `public.agent_presence` row. */
export type PresenceRow = {
  workspace_id: string;
  user_id: string;
  status: PresenceStatus;
  status_changed_at: string | null;
  available_since: string | null;
  last_seen_at: string | null;
  current_call_id: string | null;
};

export function patchPresence(agent: AgentPresence, row: PresenceRow, now: number): AgentPresence {
  const next: AgentPresence = {
    ...agent,
    status: row.status,
    status_changed_at: row.status_changed_at,
    available_since: row.available_since,
    last_seen_at: row.last_seen_at,
    current_call_id: row.current_call_id,
  };
  return { ...next, effective_status: effectivePresence(next, now) };
}

/** What the team sees: 'offline' once the console stopped sending heartbeats, whatever `status` still says. */
export function effectivePresence(agent: Pick<AgentPresence, "status" | "last_seen_at">, now: number): PresenceStatus {
  if (!agent.last_seen_at) return "offline";
  const age = now - new Date(agent.last_seen_at).getTime();
  return age <= PRESENCE_FRESH_SECONDS * 1000 ? agent.status : "offline";
}

export const PRESENCE_DOT: Record<PresenceStatus, string> = {
  available: "bg-emerald-500",
  on_call: "bg-brand-500",
  wrap_up: "bg-amber-400",
  away: "bg-slate-400",
  offline: "bg-slate-300",
};

export function presenceLabel(status: PresenceStatus): string {
  return PRESENCE_LABEL[status];
}

/** The team panel's order: available (longest idle first), on a call, wrap-up, away, offline; then by name. */
const PRESENCE_ORDER: Record<PresenceStatus, number> = { available: 0, on_call: 1, wrap_up: 2, away: 3, offline: 4 };

export function sortAgents(agents: AgentPresence[]): AgentPresence[] {
  return [...agents].sort((a, b) => {
    const byStatus = PRESENCE_ORDER[a.effective_status] - PRESENCE_ORDER[b.effective_status];
    if (byStatus !== 0) return byStatus;
    if (a.effective_status === "available" && a.available_since && b.available_since) {
      const byIdle = a.available_since.localeCompare(b.available_since);
      if (byIdle !== 0) return byIdle;
    }
    return (a.name || a.email || "").localeCompare(b.name || b.email || "");
  });
}

/** How long the agent has been in the status the team sees (stale heartbeats count from the last one). */
export function statusSince(agent: AgentPresence): string | null {
  if (agent.effective_status === "offline" && agent.status !== "offline") return agent.last_seen_at;
  return agent.status_changed_at;
}

export function agentName(agent: Pick<AgentPresence, "name" | "email">): string {
  return agent.name || agent.email || "Unnamed member";
}

export const OFFER_STATUS_LABEL: Record<OfferStatus, string> = {
  ringing: "Ringing",
  accepted: "Accepted",
  declined: "Declined",
  expired: "No answer",
  withdrawn: "Withdrawn (caller hung up)",
};

export const OFFER_STATUS_TONE: Record<OfferStatus, Tone> = {
  ringing: "warning",
  accepted: "success",
  declined: "neutral",
  expired: "danger",
  withdrawn: "neutral",
};

export const HANDOFF_STATUS_LABEL: Record<HandoffStatus, string> = {
  waiting: "Waiting for a person",
  offered: "Ringing an agent",
  connected: "With a person",
  returned: "Handed back to the AI",
  missed: "Nobody took it",
};

export const HANDOFF_STATUS_TONE: Record<HandoffStatus, Tone> = {
  waiting: "warning",
  offered: "warning",
  connected: "success",
  returned: "brand",
  missed: "danger",
};

export const DISPOSITION_TONE: Record<Disposition, Tone> = {
  resolved: "success",
  follow_up: "warning",
  callback: "warning",
  escalated: "brand",
  unresolved: "danger",
};

const clockFormat = new Intl.DateTimeFormat("en", { hour: "numeric", minute: "2-digit", second: "2-digit" });

/** "3:04:05 PM": when something happened during a call. */
export function formatClock(value: string | null | undefined): string {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : clockFormat.format(date);
}

/** Seconds from `from` to `to` (both ISO times), or null when either is missing. */
export function secondsBetween(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  return Math.max(0, (new Date(to).getTime() - new Date(from).getTime()) / 1000);
}

export function callbackCaller(task: Pick<CallbackTask, "caller_number" | "caller_identity">): string {
  return task.caller_number ?? task.caller_identity ?? "Unknown caller";
}
