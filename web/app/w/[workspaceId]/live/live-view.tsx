"use client";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { useNow } from "@/components/knowledge/use-knowledge-sources";
import { LiveCallCard } from "@/components/live/live-call-card";
import { TeamPanel } from "@/components/live/team-panel";
import { useLiveBoard } from "@/components/live/use-live-board";
import { RetryAlert } from "@/components/ui/retry-alert";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PhoneIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";
import type { LiveCallRow } from "@/lib/console";
import { plural } from "@/lib/format";
import { sortLiveCalls } from "@/lib/live";

/** Optional fields a newer API may add to a live call: whom an offer is ringing for. */
type RingingFields = { offered_to?: string | null; offered_to_name?: string | null };

export function LiveView() {
  const { workspace } = useWorkspace();
  const { board, error, realtime, reload } = useLiveBoard();
  const now = useNow(1000);

  const calls = board ? sortLiveCalls(board.calls) : [];
  const names = new Map((board?.agents ?? []).map((agent) => [agent.user_id, agent.name || agent.email || null]));
  const ringingName = (call: LiveCallRow & RingingFields) =>
    call.offered_to_name ?? (call.offered_to ? (names.get(call.offered_to) ?? null) : null);
  const waiting = calls.filter((call) => call.state === "waiting" || call.state === "offered").length;

  return (
    <div data-testid="live-page" data-realtime={realtime}>
      <PageHeader
        title="Live"
        description={`${workspace.name}'s calls as they happen, and who on the team can take one.`}
      />
      {error ? (
        <RetryAlert className="mb-4" onRetry={reload}>
          {error.message}
        </RetryAlert>
      ) : null}
      <div className="grid gap-6 lg:grid-cols-[1fr_320px]">
        <section aria-labelledby="live-calls-title" className="min-w-0">
          <div className="mb-3 flex flex-wrap items-baseline justify-between gap-2">
            <h2 id="live-calls-title" className="text-[15px] font-semibold text-slate-900">
              Live calls
            </h2>
            {board ? (
              <p className="text-sm text-slate-500" data-testid="live-counts">
                {plural(calls.length, "call")} · {waiting} waiting for a person
              </p>
            ) : null}
          </div>
          {board === null ? (
            <div className="space-y-3" aria-busy="true">
              <Skeleton className="h-32" />
              <Skeleton className="h-32" />
            </div>
          ) : calls.length === 0 ? (
            <Card>
              <EmptyState
                icon={<PhoneIcon className="size-5" />}
                title="No calls right now"
                description="Calls appear here the moment they start, with who has the caller: the AI, nobody yet, or a person."
                testId="live-empty"
              />
            </Card>
          ) : (
            <ul className="space-y-3" data-testid="live-calls">
              {calls.map((call) => (
                <LiveCallCard key={call.call_id} call={call} workspaceId={workspace.id} now={now} ringing={ringingName(call)} />
              ))}
            </ul>
          )}
        </section>
        <aside>
          {board === null ? <Skeleton className="h-64" /> : <TeamPanel agents={board.agents} workspaceId={workspace.id} now={now} />}
        </aside>
      </div>
    </div>
  );
}
