"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { ApiError, errorMessage } from "@/lib/api";
import { useConfig } from "@/lib/config-context";
import {
  HEARTBEAT_SECONDS,
  sendPresenceOnLeave,
  useConsoleApi,
  type CallOfferRow,
  type ChosenPresence,
  type ConsoleApi,
  type ConsoleState,
  type JoinTicket,
  type OfferCard,
  type ActiveCall,
} from "@/lib/console";
import { usePostgresChanges, useRefreshOnFocus, type ChangePayload, type RealtimeState, type TableBinding } from "@/lib/realtime";
import { useSupabase } from "@/lib/supabase/client";

export type ConsoleNotice = { id: number; tone: "info" | "warning" | "error"; text: string };

export type Console = {
  api: ConsoleApi;
  state: ConsoleState | null;
  error: ApiError | null;
  realtime: RealtimeState;
  notice: ConsoleNotice | null;
  /** The room ticket from my last Join (the in-call view uses it instead of asking for another). */
  ticket: JoinTicket | null;
  dismissNotice: () => void;
  reload: () => Promise<void>;
  choosePresence: (status: ChosenPresence) => Promise<void>;
  /** Takes the offer; null when it was refused (the notice says why). */
  accept: (offerId: string) => Promise<JoinTicket | null>;
  decline: (offerId: string) => Promise<void>;
};

/** What the offer's end means to the person who saw it ringing. */
const OFFER_GONE: Partial<Record<CallOfferRow["status"], ConsoleNotice["text"]>> = {
  withdrawn: "The caller hung up before anyone answered.",
  expired: "The offer timed out, so you were set to Away. Set yourself Available to get calls again.",
};

const REFUSED: Record<string, string> = {
  call_taken: "Another agent already took this call.",
  offer_expired: "This offer is no longer ringing.",
  call_ended: "The caller hung up.",
  offer_not_found: "This offer is no longer yours.",
};

/** What I chose last in this tab: a reload briefly takes me offline (pagehide), and this puts me back. */
function rememberedKey(workspaceId: string): string {
  return `console-presence:${workspaceId}`;
}

/** The call as it stands the moment I took it: the in-call view starts joining the room at once,
 * and GET /console replaces this with the server's view right after. */
function justAccepted(offer: OfferCard, ticket: JoinTicket): ActiveCall {
  return {
    call_id: offer.call_id,
    channel: offer.channel,
    caller_number: offer.caller_number,
    caller_name: offer.caller_name,
    started_at: offer.started_at,
    waiting_since: offer.waiting_since,
    reason: offer.reason,
    intent: offer.intent,
    topic: offer.topic,
    sentiment_label: offer.sentiment_label,
    sentiment_score: offer.sentiment_score,
    sentiment_trend: offer.sentiment_trend,
    summary: offer.summary,
    unanswered_question: offer.unanswered_question,
    knowledge_used: offer.knowledge_used,
    transcript: offer.transcript,
    room_name: ticket.room_name,
    call_status: "active",
    handoff_status: "connected",
    human_joined_at: new Date().toISOString(),
    human_left_at: null,
    wrap_up_due: false,
    suggestions: [],
  };
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, "error", errorMessage(error));
}

/** The agent console's state: my presence, the offer ringing for me and the call I am on or must wrap
 * up, all from GET /console (so a reload restores everything), kept current by Realtime on my
 * call_offers and agent_presence rows, and by a heartbeat every HEARTBEAT_SECONDS. */
export function useConsole(userId: string): Console {
  const { workspace } = useWorkspace();
  const api = useConsoleApi();
  const { apiUrl } = useConfig();
  const supabase = useSupabase();
  const workspaceId = workspace.id;
  const [state, setState] = useState<ConsoleState | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<ConsoleNotice | null>(null);
  const [ticket, setTicket] = useState<JoinTicket | null>(null);
  const offerShown = useRef<string | null>(null);
  const restored = useRef(false);
  const accessToken = useRef<string | null>(null);
  const generation = useRef(0);
  const latest = useRef<ConsoleState | null>(null);

  const say = useCallback((tone: ConsoleNotice["tone"], text: string) => {
    setNotice({ id: Date.now(), tone, text });
  }, []);

  const apply = useCallback((next: ConsoleState) => {
    latest.current = next;
    offerShown.current = next.offer?.offer_id ?? null;
    setState(next);
    setError(null);
  }, []);

  const restorePresence = useCallback(
    async (loaded: ConsoleState, mine: number) => {
      // After a reload, become available again if that is what this tab had chosen.
      if (restored.current) return;
      restored.current = true;
      const wanted = window.sessionStorage.getItem(rememberedKey(workspaceId));
      if (wanted !== "available" || loaded.presence.status !== "offline") return;
      const presence = await api.setMyPresence(workspaceId, "available");
      if (mine === generation.current) apply({ ...loaded, presence });
    },
    [api, workspaceId, apply],
  );

  const reload = useCallback(() => {
    const mine = ++generation.current;
    return api.console(workspaceId).then(
      (next) => {
        if (mine !== generation.current) return;
        apply(next);
        return restorePresence(next, mine).catch(() => undefined);
      },
      (caught: unknown) => {
        if (mine === generation.current) setError(asApiError(caught));
      },
    );
  }, [api, workspaceId, apply, restorePresence]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const reloadTimer = useRef<number | null>(null);
  const scheduleReload = useCallback(() => {
    if (reloadTimer.current !== null) return;
    reloadTimer.current = window.setTimeout(() => {
      reloadTimer.current = null;
      void reload();
    }, 150);
  }, [reload]);
  useEffect(
    () => () => {
      if (reloadTimer.current !== null) window.clearTimeout(reloadTimer.current);
    },
    [],
  );

  const onChange = useCallback(
    (table: string, payload: ChangePayload) => {
      if (table === "call_offers" && (payload.eventType === "INSERT" || payload.eventType === "UPDATE")) {
        const row = payload.new as unknown as CallOfferRow;
        if (row.workspace_id !== workspaceId) return;
        if (row.status === "ringing") {
          // The fast path: the card itself, without waiting for the whole console state.
          void api.offer(workspaceId, row.id).then(
            (offer) => {
              const current = latest.current;
              if (current && offer.status === "ringing") apply({ ...current, offer });
            },
            () => scheduleReload(),
          );
          return;
        }
        if (offerShown.current === row.id) {
          const gone = OFFER_GONE[row.status];
          if (gone) say(row.status === "expired" ? "warning" : "info", gone);
          const current = latest.current;
          if (current && row.status !== "accepted") apply({ ...current, offer: null });
        }
      }
      scheduleReload();
    },
    [api, workspaceId, apply, say, scheduleReload],
  );

  const bindings = useMemo<TableBinding[]>(
    () => [
      { table: "call_offers", filter: `user_id=eq.${userId}` },
      { table: "agent_presence", filter: `user_id=eq.${userId}` },
    ],
    [userId],
  );
  const realtime = usePostgresChanges(`console:${workspaceId}:${userId}`, bindings, onChange);
  useRefreshOnFocus(() => void reload());
  // Realtime only streams what happens after it subscribed: catch up once it is live.
  useEffect(() => {
    if (realtime === "live") void reload();
  }, [realtime, reload]);

  // The heartbeat keeps my presence fresh; without realtime it also refreshes the whole state.
  useEffect(() => {
    const beat = async () => {
      const { data } = await supabase.auth.getSession();
      accessToken.current = data.session?.access_token ?? null;
      try {
        const presence = await api.heartbeat(workspaceId);
        const current = latest.current;
        if (current && (current.presence.status !== presence.status || current.presence.current_call_id !== presence.current_call_id)) {
          scheduleReload();
        } else if (current) {
          apply({ ...current, presence });
        }
      } catch {
        // The next beat tries again; staleness is the server's to judge.
      }
      if (realtime !== "live") scheduleReload();
    };
    void beat();
    const interval = window.setInterval(() => void beat(), HEARTBEAT_SECONDS * 1000);
    return () => window.clearInterval(interval);
  }, [api, supabase, workspaceId, realtime, apply, scheduleReload]);

  // Closing the tab takes me offline at once (best effort; staleness does it otherwise). Not while an
  // offer rings or a call is mine: a reload must not decline the offer or drop the call.
  useEffect(() => {
    const onPageHide = () => {
      const current = latest.current;
      const token = accessToken.current;
      if (!current || !token || current.offer || current.call) return;
      if (current.presence.status === "offline") return;
      sendPresenceOnLeave(apiUrl, token, workspaceId, "offline");
    };
    window.addEventListener("pagehide", onPageHide);
    return () => window.removeEventListener("pagehide", onPageHide);
  }, [apiUrl, workspaceId]);

  const choosePresence = useCallback(
    async (status: ChosenPresence) => {
      try {
        const presence = await api.setMyPresence(workspaceId, status);
        window.sessionStorage.setItem(rememberedKey(workspaceId), status);
        const current = latest.current;
        if (current) apply({ ...current, presence });
        scheduleReload();
      } catch (caught) {
        const apiError = asApiError(caught);
        say("error", apiError.code === "on_call" ? "Finish the call first." : apiError.message);
      }
    },
    [api, workspaceId, apply, say, scheduleReload],
  );

  const accept = useCallback(
    async (offerId: string) => {
      try {
        const accepted = await api.acceptOffer(workspaceId, offerId);
        setTicket(accepted);
        const current = latest.current;
        if (current?.offer?.offer_id === offerId) {
          apply({ ...current, offer: null, call: justAccepted(current.offer, accepted) });
        }
        void reload();
        return accepted;
      } catch (caught) {
        const apiError = asApiError(caught);
        say("warning", REFUSED[apiError.code] ?? apiError.message);
        await reload();
        return null;
      }
    },
    [api, workspaceId, apply, reload, say],
  );

  const decline = useCallback(
    async (offerId: string) => {
      try {
        await api.declineOffer(workspaceId, offerId);
      } catch (caught) {
        const apiError = asApiError(caught);
        if (apiError.code !== "offer_expired") say("error", apiError.message);
      }
      await reload();
    },
    [api, workspaceId, reload, say],
  );

  return {
    api,
    state,
    error,
    realtime,
    notice,
    ticket,
    dismissNotice: () => setNotice(null),
    reload,
    choosePresence,
    accept,
    decline,
  };
}
