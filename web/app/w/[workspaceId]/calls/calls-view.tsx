"use client";

import Link from "next/link";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { CallFiltersBar } from "@/components/calls/call-filters";
import { useCallFiltersInUrl } from "@/components/calls/call-filters-url";
import { CallStatusBadge } from "@/components/calls/call-panels";
import { TestCallButton } from "@/components/calls/test-call-button";
import { useNow } from "@/components/knowledge/use-knowledge-sources";
import { RetryAlert } from "@/components/ui/retry-alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PhoneIcon, SearchIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";
import { ApiError, errorMessage, type CallSummary } from "@/lib/api";
import { CHANNEL_LABEL, SENTIMENT_TONE, callDuration, callerLabel, formatDuration, formatScore, useCallHistoryApi } from "@/lib/calls";
import { formatRelative } from "@/lib/format";
import { HANDOFF_STATUS_LABEL } from "@/lib/live";
import { usePostgresChanges, useRefreshOnFocus, type TableBinding } from "@/lib/realtime";

const PAGE = 25;

export function CallsView() {
  const { workspace } = useWorkspace();
  const api = useCallHistoryApi();
  const { filters, key: filterKey, setFilters } = useCallFiltersInUrl();
  const filtered = filterKey !== "";
  // The list and the filters it was fetched with: a list for other filters is never shown as this one's.
  const [list, setList] = useState<{ filterKey: string; calls: CallSummary[] } | null>(null);
  // The next (older) page of the list shown, for the filters it was fetched with.
  const [older, setOlder] = useState<{ filterKey: string; cursor: string | null; loading: boolean }>({
    filterKey,
    cursor: null,
    loading: false,
  });
  const [error, setError] = useState<string | null>(null);
  const loadedPages = useRef(1);
  const generation = useRef(0);
  const now = useNow(1000);

  /** Reloads the first page (and as many rows as were shown), keeping what "Load more" added. The newest
   * request wins: an answer for filters that have since changed is dropped. */
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const page = await api.calls(workspace.id, filters, null, Math.min(100, PAGE * loadedPages.current));
      if (mine !== generation.current) return;
      setList({ filterKey, calls: page.calls });
      setOlder((previous) => ({
        filterKey,
        cursor: page.next_cursor,
        loading: previous.filterKey === filterKey && previous.loading,
      }));
      setError(null);
    } catch (caught) {
      if (mine === generation.current) setError(errorMessage(caught));
    }
  }, [api, workspace.id, filters, filterKey]);

  const currentFilterKey = useRef(filterKey);
  useEffect(() => {
    currentFilterKey.current = filterKey;
    loadedPages.current = 1;
  }, [filterKey]);
  useEffect(() => {
    void reload();
  }, [reload]);

  // Any change to the workspace's calls re-fetches the (filtered) list, so a call that does not match the
  // filters never shows up and one that stops matching leaves.
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
  const bindings = useMemo<TableBinding[]>(() => [{ table: "calls", filter: `workspace_id=eq.${workspace.id}` }], [workspace.id]);
  const realtime = usePostgresChanges(`calls:${workspace.id}`, bindings, onChange);
  useRefreshOnFocus(() => void reload());

  const calls = list && list.filterKey === filterKey ? list.calls : null;
  const olderCursor = older.filterKey === filterKey ? older.cursor : null;

  async function loadOlder() {
    if (!olderCursor) return;
    // The page belongs to these filters; if they change meanwhile, it is dropped.
    const shownFor = filterKey;
    setOlder((previous) => ({ ...previous, loading: true }));
    try {
      const page = await api.calls(workspace.id, filters, olderCursor, PAGE);
      if (currentFilterKey.current !== shownFor) return;
      loadedPages.current += 1;
      setList((previous) => {
        if (!previous) return previous;
        const fresh = page.calls.filter((call) => !previous.calls.some((item) => item.id === call.id));
        return { ...previous, calls: [...previous.calls, ...fresh] };
      });
      setOlder({ filterKey: shownFor, cursor: page.next_cursor, loading: false });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : errorMessage(caught));
      setOlder((previous) => ({ ...previous, loading: false }));
    }
  }

  return (
    <div data-testid="calls-page" data-realtime={realtime} data-filters={filterKey}>
      <PageHeader
        title="Calls"
        description={`Every call ${workspace.name}'s AI agent takes, live as it happens.`}
        actions={<TestCallButton />}
      />
      <CallFiltersBar filters={filters} onChange={setFilters} />
      {error ? (
        <RetryAlert className="mb-4" onRetry={reload}>
          {error}
        </RetryAlert>
      ) : null}
      {calls === null && error ? null : (
        <Card>
          {calls === null ? (
            <div className="space-y-3 p-5" aria-busy="true">
              <Skeleton className="h-10" />
              <Skeleton className="h-10" />
              <Skeleton className="h-10" />
            </div>
          ) : calls.length === 0 && filtered ? (
            <EmptyState
              icon={<SearchIcon className="size-5" />}
              title="No calls match these filters"
              description="Try other filters, a wider range of days, or clear them to see every call."
              action={
                <Button variant="secondary" onClick={() => setFilters({})} data-testid="calls-no-match-clear">
                  Clear filters
                </Button>
              }
              testId="calls-no-match"
            />
          ) : calls.length === 0 ? (
            <EmptyState
              icon={<PhoneIcon className="size-5" />}
              title="No calls yet"
              description="When customers call, each call shows up here with its live transcript. Try your agent with a test call from the browser."
              action={<TestCallButton />}
              testId="calls-empty"
            />
          ) : (
            <div className="overflow-x-auto">
              <table className="w-full text-sm" data-testid="calls-table">
                <thead>
                  <tr className="border-b border-slate-100 text-left text-xs text-slate-500">
                    <th scope="col" className="px-5 py-3 font-medium sm:pl-6">Caller</th>
                    <th scope="col" className="px-3 py-3 font-medium">Status</th>
                    <th scope="col" className="px-3 py-3 font-medium">Person</th>
                    <th scope="col" className="px-3 py-3 font-medium">Started</th>
                    <th scope="col" className="px-3 py-3 text-right font-medium">Duration</th>
                    <th scope="col" className="px-3 py-3 font-medium">Intent</th>
                    <th scope="col" className="px-3 py-3 font-medium sm:pr-6">Sentiment</th>
                  </tr>
                </thead>
                <tbody>
                  {calls.map((call) => (
                    <tr key={call.id} className="border-b border-slate-50 last:border-0 hover:bg-slate-50/70" data-testid="call-row" data-call-id={call.id}>
                      <td className="px-5 py-3 sm:pl-6">
                        <Link href={`/w/${workspace.id}/calls/${call.id}`} className="font-medium text-slate-900 hover:text-brand-700" data-testid="call-open">
                          {callerLabel(call)}
                        </Link>
                        <p className="text-xs text-slate-500">{CHANNEL_LABEL[call.channel]}{call.topic ? ` · ${call.topic}` : ""}</p>
                      </td>
                      <td className="px-3 py-3">
                        <CallStatusBadge call={call} />
                      </td>
                      <td className="px-3 py-3" data-testid="call-person">
                        <CallPerson call={call} />
                      </td>
                      <td className="px-3 py-3 whitespace-nowrap text-slate-600">{formatRelative(call.started_at, now)}</td>
                      <td className="px-3 py-3 text-right whitespace-nowrap text-slate-700 tabular-nums" data-testid="call-duration">
                        {formatDuration(callDuration(call, now))}
                      </td>
                      <td className="px-3 py-3 text-slate-700">{call.intent ?? <span className="text-slate-400">–</span>}</td>
                      <td className="px-3 py-3 sm:pr-6">
                        {call.sentiment_label ? (
                          <span className="flex items-center gap-1.5">
                            <Badge tone={SENTIMENT_TONE[call.sentiment_label]}>{call.sentiment_label}</Badge>
                            <span className="text-xs text-slate-500 tabular-nums">{formatScore(call.sentiment_score)}</span>
                          </span>
                        ) : (
                          <span className="text-slate-400">–</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Card>
      )}
      {calls && olderCursor ? (
        <div className="mt-4 flex justify-center">
          <Button variant="secondary" onClick={() => void loadOlder()} loading={older.loading} data-testid="calls-load-more">
            Load older calls
          </Button>
        </div>
      ) : null}
    </div>
  );
}

/** Who took the call from the AI, or how the request for a person ended. */
function CallPerson({ call }: { call: CallSummary }) {
  const { handoff_status: status, human_name: name } = call;
  if (!status) return <span className="text-slate-400">–</span>;
  if (name && status !== "waiting" && status !== "offered") {
    return (
      <span className="text-slate-800" data-handoff-status={status}>
        {name}
        {status === "returned" ? <span className="block text-xs text-slate-500">Handed back</span> : null}
      </span>
    );
  }
  return (
    <span className="text-xs text-slate-600" data-handoff-status={status}>
      {HANDOFF_STATUS_LABEL[status]}
    </span>
  );
}
