/** The agent console's side of the API (handoff to a human, presence, live board, callbacks):
 * the types of section 4 of the handoff design and one typed function per endpoint.
 *
 * Same conventions as lib/api.ts: Bearer token, JSON errors thrown as ApiError. */

"use client";

import {
  createRequest,
  type CallChannel,
  type CallStatus,
  type HandoffReason,
  type KnowledgeUsed,
  type SentimentLabel,
  type SentimentTrend,
  type Speaker,
  type TokenSource,
} from "@/lib/api";
import { useApiClient } from "@/lib/use-api";

export type PresenceStatus = "available" | "on_call" | "wrap_up" | "away" | "offline";
/** What a person may choose; on_call and wrap_up are set by the system. */
export type ChosenPresence = "available" | "away" | "offline";
export type HandoffStatus = "waiting" | "offered" | "connected" | "returned" | "missed";
export type OfferStatus = "ringing" | "accepted" | "declined" | "expired" | "withdrawn";
export type Disposition = "resolved" | "follow_up" | "callback" | "escalated" | "unresolved";
export type CallbackStatus = "open" | "done" | "cancelled";
/** How the live board groups a call: the AI has it, it waits for a person, one is ringing, a person has it. */
export type LiveCallState = "ai" | "waiting" | "offered" | "human";

/** The console heartbeats this often; the server counts a presence as fresh for PRESENCE_FRESH_SECONDS. */
export const HEARTBEAT_SECONDS = 10;
export const PRESENCE_FRESH_SECONDS = 30;

export type AgentPresence = {
  user_id: string;
  name: string;
  email: string;
  status: PresenceStatus;
  /** 'offline' when the heartbeat is stale, whatever `status` still says. */
  effective_status: PresenceStatus;
  status_changed_at: string | null;
  available_since: string | null;
  last_seen_at: string | null;
  current_call_id: string | null;
};

export type TranscriptLine = { speaker: Speaker; text: string; at: string };

/** Everything a person needs to decide to take a call, and to start talking without asking again. */
export type CallContext = {
  call_id: string;
  channel: CallChannel;
  caller_number: string | null;
  caller_name: string | null;
  started_at: string;
  /** When the AI decided a person should take over (handoff_requested_at). */
  waiting_since: string | null;
  reason: HandoffReason | null;
  intent: string | null;
  topic: string | null;
  sentiment_label: SentimentLabel | null;
  sentiment_score: number | null;
  sentiment_trend: SentimentTrend | null;
  summary: string | null;
  unanswered_question: string | null;
  knowledge_used: KnowledgeUsed[];
  transcript: TranscriptLine[];
};

export type OfferCard = CallContext & {
  offer_id: string;
  status: OfferStatus;
  offered_at: string;
  expires_at: string;
  ring_timeout_seconds: number;
};

/** The call I am connected to, or owe a wrap-up for. */
export type ActiveCall = CallContext & {
  room_name: string;
  call_status: CallStatus;
  handoff_status: HandoffStatus | null;
  human_joined_at: string | null;
  human_left_at: string | null;
  /** I am no longer in the call (handed back, dropped, or the call ended): the wrap-up form is due. */
  wrap_up_due: boolean;
  /** Copilot suggestions so far (newest last), so a reload shows them again. */
  suggestions: CopilotSuggestion[];
};

export type ConsoleState = { presence: AgentPresence; offer: OfferCard | null; call: ActiveCall | null };

/** What the browser joins the call's room with. */
export type JoinTicket = { call_id: string; room_name: string; livekit_url: string; token: string; identity: string };

export type WrapUp = { disposition: Disposition; summary: string; notes: string };

export type LiveCallRow = {
  call_id: string;
  channel: CallChannel;
  caller_number: string | null;
  caller_name: string | null;
  started_at: string;
  state: LiveCallState;
  handoff_status: HandoffStatus | null;
  handoff_reason: HandoffReason | null;
  human_name: string | null;
  waiting_since: string | null;
  intent: string | null;
  topic: string | null;
  sentiment_label: SentimentLabel | null;
  sentiment_score: number | null;
  sentiment_trend: SentimentTrend | null;
  last_line: string | null;
};

export type LiveBoard = { calls: LiveCallRow[]; agents: AgentPresence[] };

export type CallbackTask = {
  id: string;
  call_id: string;
  caller_number: string | null;
  caller_identity: string | null;
  /** Why the caller wants a call back (written by the AI). */
  note: string;
  status: CallbackStatus;
  created_at: string;
  completed_at: string | null;
  completed_by: string | null;
  completed_by_name: string | null;
  /** What the person who called back wrote. */
  completion_notes: string | null;
};

/** A copilot suggestion (the API's shape; Realtime rows of public.copilot_suggestions carry
 * workspace_id and for_user_id too). */
export type CopilotSuggestion = {
  id: string;
  call_id: string;
  question: string | null;
  say: string | null;
  steps: string[];
  passages: KnowledgeUsed[];
  created_at: string;
};

/** A row of public.call_offers, as Realtime delivers it (the card itself comes from GET /offers/{id}). */
export type CallOfferRow = {
  id: string;
  call_id: string;
  workspace_id: string;
  user_id: string;
  status: OfferStatus;
  offered_at: string;
  expires_at: string;
  responded_at: string | null;
};

export const PRESENCE_LABEL: Record<PresenceStatus, string> = {
  available: "Available",
  on_call: "On a call",
  wrap_up: "Wrap-up",
  away: "Away",
  offline: "Offline",
};

export const CHOSEN_PRESENCE: readonly ChosenPresence[] = ["available", "away", "offline"];

export const DISPOSITION_LABEL: Record<Disposition, string> = {
  resolved: "Resolved",
  follow_up: "Needs follow-up",
  callback: "Call back",
  escalated: "Escalated",
  unresolved: "Unresolved",
};

export const LIVE_STATE_LABEL: Record<LiveCallState, string> = {
  ai: "With the AI",
  waiting: "Waiting for a person",
  offered: "Ringing an agent",
  human: "With a person",
};

/** Transcript speakers from the console's point of view. */
export const CONSOLE_SPEAKER_LABEL: Record<Speaker, string> = { customer: "Caller", ai: "AI", human: "You" };

/** The LiveKit identity a person joins a call's room with (callcenter/calls/routing.py: human_identity). */
export const HUMAN_IDENTITY_PREFIX = "human-";

export function isHumanIdentity(identity: string): boolean {
  return identity.startsWith(HUMAN_IDENTITY_PREFIX);
}

/** Seconds left before an offer stops ringing (never negative). */
export function secondsLeft(expiresAt: string, now: number): number {
  return Math.max(0, Math.ceil((new Date(expiresAt).getTime() - now) / 1000));
}

export function createConsoleApi(baseUrl: string, token: TokenSource) {
  const enc = encodeURIComponent;
  const request = createRequest(baseUrl, token);

  const ws = (workspaceId: string) => `/v1/workspaces/${enc(workspaceId)}`;

  return {
    presence: (workspaceId: string) => request<{ agents: AgentPresence[] }>(`${ws(workspaceId)}/presence`),
    setMyPresence: (workspaceId: string, status: ChosenPresence) =>
      request<AgentPresence>(`${ws(workspaceId)}/presence/me`, { method: "PUT", body: { status } }),
    heartbeat: (workspaceId: string) =>
      request<AgentPresence>(`${ws(workspaceId)}/presence/me/heartbeat`, { method: "POST" }),

    console: (workspaceId: string) => request<ConsoleState>(`${ws(workspaceId)}/console`),
    offer: (workspaceId: string, offerId: string) =>
      request<OfferCard>(`${ws(workspaceId)}/offers/${enc(offerId)}`),
    acceptOffer: (workspaceId: string, offerId: string) =>
      request<JoinTicket>(`${ws(workspaceId)}/offers/${enc(offerId)}/accept`, { method: "POST" }),
    declineOffer: (workspaceId: string, offerId: string) =>
      request<void>(`${ws(workspaceId)}/offers/${enc(offerId)}/decline`, { method: "POST" }),

    /** Rejoin the room of the call I am connected to (after a reload or a dropped network). */
    joinCall: (workspaceId: string, callId: string) =>
      request<JoinTicket>(`${ws(workspaceId)}/calls/${enc(callId)}/join`, { method: "POST" }),
    handBack: (workspaceId: string, callId: string) =>
      request<{ handoff_status: HandoffStatus }>(`${ws(workspaceId)}/calls/${enc(callId)}/hand-back`, {
        method: "POST",
      }),
    wrapUp: (workspaceId: string, callId: string, wrapUp: WrapUp) =>
      request<void>(`${ws(workspaceId)}/calls/${enc(callId)}/wrap-up`, { method: "POST", body: wrapUp }),
    endCall: (workspaceId: string, callId: string) =>
      request<{ call_id: string; room_closed: boolean }>(`${ws(workspaceId)}/calls/${enc(callId)}/end`, {
        method: "POST",
      }),

    live: (workspaceId: string, signal?: AbortSignal) => request<LiveBoard>(`${ws(workspaceId)}/live`, { signal }),
    callbacks: (workspaceId: string, status: CallbackStatus | null = "open") =>
      request<{ tasks: CallbackTask[] }>(`${ws(workspaceId)}/callbacks${status ? `?status=${enc(status)}` : ""}`),
    completeCallback: (workspaceId: string, taskId: string, notes: string) =>
      request<void>(`${ws(workspaceId)}/callbacks/${enc(taskId)}/complete`, { method: "POST", body: { notes } }),
  };
}

export type ConsoleApi = ReturnType<typeof createConsoleApi>;

/** Sets my presence with a request that outlives the page (pagehide): synchronous, so it needs the
 * access token at hand rather than asking the auth client for it. Best effort: errors are ignored. */
export function sendPresenceOnLeave(baseUrl: string, accessToken: string, workspaceId: string, status: ChosenPresence): void {
  const url = `${baseUrl.replace(/\/+$/, "")}/v1/workspaces/${encodeURIComponent(workspaceId)}/presence/me`;
  void fetch(url, {
    method: "PUT",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${accessToken}` },
    body: JSON.stringify({ status }),
    keepalive: true,
  }).catch(() => undefined);
}

/** The console API for client components, with the current (auto-refreshed) access token. */
export function useConsoleApi(): ConsoleApi {
  return useApiClient(createConsoleApi);
}
