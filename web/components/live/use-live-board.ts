"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { ApiError } from "@/lib/api";
import { useConsoleApi, type LiveBoard } from "@/lib/console";
import { isLiveStatus, patchLiveCall, patchPresence, type CallsRow, type PresenceRow } from "@/lib/live";
import { usePostgresChanges, useRefreshOnFocus, type ChangePayload, type RealtimeState, type TableBinding } from "@/lib/realtime";

export type LiveBoardState = {
  board: LiveBoard | null;
  error: ApiError | null;
  realtime: RealtimeState;
  reload: () => Promise<void>;
};

/** A full reload now and then catches what Realtime cannot patch (a new call's caller name) and what
 * it missed; more often while it is down. */
const RELOAD_LIVE_MS = 15_000;
const RELOAD_OFFLINE_MS = 3_000;

/** The workspace's live calls and team, kept current: GET /live once, then Realtime changes on
 * calls, agent_presence and transcript segments are folded in (heartbeats and agent heartbeats
 * update rows every few seconds, so patching beats refetching the board on each). */
export function useLiveBoard(): LiveBoardState {
  const { workspace } = useWorkspace();
  const api = useConsoleApi();
  const [board, setBoard] = useState<LiveBoard | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const generation = useRef(0);
  // What is on screen, for deciding in a Realtime callback whether a row is known (setState updaters run later).
  const shown = useRef<LiveBoard | null>(null);
  useEffect(() => {
    shown.current = board;
  }, [board]);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    return api.live(workspace.id).then(
      (next) => {
        if (mine !== generation.current) return;
        setBoard(next);
        setError(null);
      },
      (caught: unknown) => {
        if (mine !== generation.current) return;
        setError(caught instanceof ApiError ? caught : new ApiError(0, "error", "Something went wrong."));
      },
    );
  }, [api, workspace.id]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const timer = useRef<number | null>(null);
  const scheduleReload = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      void reload();
    }, 200);
  }, [reload]);
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );

  const onChange = useCallback(
    (table: string, payload: ChangePayload) => {
      if (table === "calls") {
        const row = payload.new as Partial<CallsRow>;
        if (payload.eventType !== "UPDATE" || !row.id || !row.status) return scheduleReload();
        const { id, status } = row;
        const before = shown.current?.calls.find((call) => call.call_id === id);
        // A call that went live since the last load: its caller details come with a reload.
        if (!before) {
          if (isLiveStatus(status)) scheduleReload();
          return;
        }
        // Who rings or took the call is the API's to say (names): reload when the handoff moves on.
        if ("handoff_status" in row && before.handoff_status !== row.handoff_status) scheduleReload();
        setBoard((previous) => {
          if (!previous) return previous;
          const calls = isLiveStatus(status)
            ? previous.calls.map((call) => (call.call_id === id ? patchLiveCall(call, row) : call))
            : previous.calls.filter((call) => call.call_id !== id);
          return { ...previous, calls };
        });
        return;
      }
      if (table === "agent_presence") {
        const row = payload.new as Partial<PresenceRow>;
        if (!row.user_id || !row.status) return scheduleReload();
        const presence = row as PresenceRow;
        if (!shown.current?.agents.some((agent) => agent.user_id === presence.user_id)) return scheduleReload();
        setBoard((previous) => {
          if (!previous) return previous;
          const now = Date.now();
          const agents = previous.agents.map((agent) =>
            agent.user_id === presence.user_id ? patchPresence(agent, presence, now) : agent,
          );
          return { ...previous, agents };
        });
        return;
      }
      if (table === "call_transcript_segments" && payload.eventType === "INSERT") {
        const segment = payload.new as { call_id?: string; text?: string };
        if (!segment.call_id || typeof segment.text !== "string") return;
        const { call_id: callId, text } = segment;
        setBoard((previous) =>
          previous
            ? {
                ...previous,
                calls: previous.calls.map((call) => (call.call_id === callId ? { ...call, last_line: text } : call)),
              }
            : previous,
        );
      }
    },
    [scheduleReload],
  );

  const bindings = useMemo<TableBinding[]>(
    () => [
      { table: "calls", filter: `workspace_id=eq.${workspace.id}` },
      { table: "agent_presence", filter: `workspace_id=eq.${workspace.id}` },
      { table: "call_transcript_segments", filter: `workspace_id=eq.${workspace.id}` },
    ],
    [workspace.id],
  );
  const realtime = usePostgresChanges(`live:${workspace.id}`, bindings, onChange);
  useRefreshOnFocus(() => void reload());

  // Realtime only streams what happens after it subscribed: catch up once it is live.
  useEffect(() => {
    if (realtime === "live") void reload();
  }, [realtime, reload]);

  useEffect(() => {
    const every = realtime === "live" ? RELOAD_LIVE_MS : RELOAD_OFFLINE_MS;
    const interval = window.setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, every);
    return () => window.clearInterval(interval);
  }, [realtime, reload]);

  return { board, error, realtime, reload };
}
