"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { ApiError, type KnowledgeSource } from "@/lib/api";
import { isActive } from "@/lib/knowledge";
import { usePostgresChanges, useRefreshOnFocus, type RealtimeState, type TableBinding } from "@/lib/realtime";

export type KnowledgeSources = {
  sources: KnowledgeSource[] | null;
  error: ApiError | null;
  loading: boolean;
  realtime: RealtimeState;
  reload: () => Promise<void>;
  /** Puts a source the API just returned into the list before the next load. */
  upsert: (source: KnowledgeSource) => void;
  remove: (sourceId: string) => void;
};

/** Polling while something is queued or processing: often without realtime, less often with it
 * (a safety net should a progress event be missed). */
const POLL_OFFLINE_MS = 3000;
const POLL_LIVE_MS = 6000;

/** The workspace's knowledge sources, kept current: realtime `postgres_changes` on
 * `knowledge_sources` (debounced reloads), reload on focus, and polling while work is under way. */
export function useKnowledgeSources(channelPurpose: string): KnowledgeSources {
  const { api, workspace } = useWorkspace();
  const workspaceId = workspace.id;
  const [state, setState] = useState<{ id: string; sources: KnowledgeSource[] | null; error: ApiError | null }>({
    id: workspaceId,
    sources: null,
    error: null,
  });
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    return api.knowledgeSources(workspaceId).then(
      (sources) => {
        if (mine !== generation.current) return; // an older answer arriving late
        setState({ id: workspaceId, sources, error: null });
      },
      (error: unknown) => {
        if (mine !== generation.current) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, "error", "Something went wrong.");
        setState((previous) => ({
          id: workspaceId,
          sources: previous.id === workspaceId ? previous.sources : null,
          error: apiError,
        }));
      },
    );
  }, [api, workspaceId]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const timer = useRef<number | null>(null);
  const onChange = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = window.setTimeout(() => {
      timer.current = null;
      void reload();
    }, 250);
  }, [reload]);
  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );

  const bindings = useMemo<TableBinding[]>(
    () => [{ table: "knowledge_sources", filter: `workspace_id=eq.${workspaceId}` }],
    [workspaceId],
  );
  const realtime = usePostgresChanges(`knowledge:${channelPurpose}:${workspaceId}`, bindings, onChange);
  useRefreshOnFocus(() => void reload());

  const current = state.id === workspaceId;
  const sources = current ? state.sources : null;
  const active = (sources ?? []).some(isActive);
  useEffect(() => {
    if (!active) return;
    const every = realtime === "live" ? POLL_LIVE_MS : POLL_OFFLINE_MS;
    const interval = window.setInterval(() => {
      if (document.visibilityState === "visible") void reload();
    }, every);
    return () => window.clearInterval(interval);
  }, [active, realtime, reload]);

  const upsert = useCallback(
    (source: KnowledgeSource) =>
      setState((previous) => {
        const list = previous.sources ?? [];
        const next = list.some((item) => item.id === source.id)
          ? list.map((item) => (item.id === source.id ? source : item))
          : [source, ...list];
        return { ...previous, sources: next };
      }),
    [],
  );
  const remove = useCallback(
    (sourceId: string) =>
      setState((previous) => ({ ...previous, sources: (previous.sources ?? []).filter((item) => item.id !== sourceId) })),
    [],
  );

  return {
    sources,
    error: current ? state.error : null,
    loading: current ? state.sources === null && state.error === null : true,
    realtime,
    reload,
    upsert,
    remove,
  };
}

/** Re-renders every `ms` so relative times ("refreshed 5 minutes ago") stay true. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const interval = window.setInterval(() => setNow(Date.now()), ms);
    return () => window.clearInterval(interval);
  }, [ms]);
  return now;
}
