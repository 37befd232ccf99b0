"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { ApiError, type CallDetail, type CallSummary, type TranscriptSegment } from "@/lib/api";
import { isLive } from "@/lib/calls";
import { usePostgresChanges, useRefreshOnFocus, type ChangePayload, type RealtimeState, type TableBinding } from "@/lib/realtime";

export type LiveCall = {
  call: CallDetail | null;
  error: ApiError | null;
  realtime: RealtimeState;
  reload: () => Promise<void>;
};

/** Polling while the call is live and realtime is down (or as a slow safety net when it is up). */
const POLL_OFFLINE_MS = 2000;
const POLL_LIVE_MS = 10000;

function bySpokenTime(a: TranscriptSegment, b: TranscriptSegment): number {
  return a.started_at.localeCompare(b.started_at);
}

/** One call, kept current: transcript lines appear as the worker writes them (Realtime inserts on
 * call_transcript_segments), and turns and the call record reload when they change. */
export function useCall(callId: string): LiveCall {
  const { api, workspace } = useWorkspace();
  const [state, setState] = useState<{ id: string; call: CallDetail | null; error: ApiError | null }>({
    id: callId,
    call: null,
    error: null,
  });
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    return api.call(workspace.id, callId).then(
      (call) => {
        if (mine === generation.current) setState({ id: callId, call, error: null });
      },
      (error: unknown) => {
        if (mine !== generation.current) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, "error", "Something went wrong.");
        setState((previous) => ({ id: callId, call: previous.id === callId ? previous.call : null, error: apiError }));
      },
    );
  }, [api, workspace.id, callId]);

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
      if (table === "call_transcript_segments" && payload.eventType === "INSERT") {
        const segment = payload.new as unknown as TranscriptSegment;
        setState((previous) => {
          if (!previous.call || previous.id !== callId) return previous;
          if (previous.call.segments.some((item) => item.id === segment.id)) return previous;
          const segments = [...previous.call.segments, segment].sort(bySpokenTime);
          return { ...previous, call: { ...previous.call, segments } };
        });
        return;
      }
      if (table === "calls" && payload.eventType === "UPDATE") {
        const row = payload.new as unknown as Partial<CallSummary>;
        setState((previous) =>
          previous.call && previous.id === callId
            ? { ...previous, call: { ...previous.call, ...pickCallFields(row) } }
            : previous,
        );
      }
      scheduleReload();
    },
    [callId, scheduleReload],
  );

  const bindings = useMemo<TableBinding[]>(
    () => [
      { table: "call_transcript_segments", filter: `call_id=eq.${callId}` },
      { table: "call_turns", filter: `call_id=eq.${callId}` },
      { table: "calls", filter: `id=eq.${callId}` },
    ],
    [callId],
  );
  const realtime = usePostgresChanges(`call:${callId}`, bindings, onChange);
  useRefreshOnFocus(() => void reload());

  const current = state.id === callId;
  const call = current ? state.call : null;
  const live = call ? isLive(call) : false;
  useEffect(() => {
    if (!live) return;
    const every = realtime === "live" ? POLL_LIVE_MS : POLL_OFFLINE_MS;
    const interval = window.setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, every);
    return () => window.clearInterval(interval);
  }, [live, realtime, reload]);

  // Realtime only streams what happens after it subscribed: catch up once it is live.
  useEffect(() => {
    if (realtime === "live") void reload();
  }, [realtime, reload]);

  return { call, error: current ? state.error : null, realtime, reload };
}

/** The columns of a realtime `calls` row that the call view shows (not the computed ones). */
function pickCallFields(row: Partial<CallSummary>): Partial<CallSummary> {
  const keys = [
    "status",
    "status_detail",
    "answered_at",
    "ended_at",
    "summary",
    "intent",
    "topic",
    "sentiment_label",
    "sentiment_score",
    "sentiment_trend",
    "handoff_reason",
    "handoff_requested_at",
  ] as const;
  const picked: Partial<CallSummary> = {};
  for (const key of keys) {
    if (key in row) Object.assign(picked, { [key]: row[key] });
  }
  return picked;
}
