"use client";

import Link from "next/link";
import { useState } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import {
  AnalysisPanel,
  CallNotFound,
  CallStatusBadge,
  CallSummaryCard,
  HandoffBanner,
  LatencyTable,
  Transcript,
  TurnsPanel,
} from "@/components/calls/call-panels";
import { TestCallControls } from "@/components/calls/test-call-controls";
import { useCall } from "@/components/calls/use-call";
import { HandoffHistory, WrapUpCard } from "@/components/live/handoff-history";
import { Alert } from "@/components/ui/alert";
import { RetryAlert } from "@/components/ui/retry-alert";
import { ArrowLeftIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";
import { SPEAKER_LABEL, callDuration, callerLabel, formatDuration, isLive } from "@/lib/calls";
import { formatRelative } from "@/lib/format";
import { useNow } from "@/components/knowledge/use-knowledge-sources";
import { findTestCall } from "@/lib/test-call-store";

export function CallView({ callId }: { callId: string }) {
  const { workspace } = useWorkspace();
  const { call, error, reload } = useCall(callId);
  // A test call placed from this tab joins its room here.
  const [placed] = useState(() => findTestCall(callId));
  const now = useNow(1000);
  const back = (
    <Link href={`/w/${workspace.id}/calls`} className="mb-3 inline-flex items-center gap-1.5 text-sm font-medium text-slate-500 hover:text-slate-800">
      <ArrowLeftIcon className="size-4" />
      All calls
    </Link>
  );

  if (!call && error && [403, 404, 422].includes(error.status)) {
    return (
      <div data-testid="call-page">
        {back}
        <CallNotFound message="It may belong to another workspace, or the link is wrong." />
      </div>
    );
  }

  // One layout whether or not the call has loaded: the test call controls keep their place in
  // the tree, so React never unmounts them (that would leave and rejoin the room).
  const controls = placed ? <TestCallControls placed={placed} onEnded={() => void reload()} /> : null;
  const duration = call ? callDuration(call, now) : null;
  // The person who took the call over speaks under their own name.
  const humanName = call?.human_name ?? null;
  const speakers = humanName ? { ...SPEAKER_LABEL, human: humanName } : SPEAKER_LABEL;
  return (
    <div data-testid="call-page" data-call-id={call?.id} aria-busy={call ? undefined : true}>
      {back}
      {call ? (
        <PageHeader
          title={
            <span className="flex flex-wrap items-center gap-3">
              {callerLabel(call)} <CallStatusBadge call={call} />
            </span>
          }
          description={
            <span className="flex flex-wrap gap-x-2">
              <span>{call.channel === "phone" ? "Phone call" : "Browser test call"}</span>
              <span aria-hidden="true">·</span>
              <span>Started {formatRelative(call.started_at, now)}</span>
              <span aria-hidden="true">·</span>
              <span data-testid="call-duration">
                {isLive(call) ? `${formatDuration(duration)} so far` : formatDuration(duration)}
              </span>
            </span>
          }
        />
      ) : (
        <Skeleton className="mb-8 h-12 w-80" />
      )}
      <div className="space-y-6">
        {error && !call ? (
          <RetryAlert onRetry={reload}>
            {error.message}
          </RetryAlert>
        ) : null}
        {call ? <HandoffBanner call={call} /> : null}
        {call?.status === "failed" && call.status_detail ? (
          <Alert tone="error" title="This call failed">
            {call.status_detail}
          </Alert>
        ) : null}
        <div className="grid gap-6 lg:grid-cols-[1fr_360px]">
          <div className="min-w-0 space-y-6">
            {call ? <Transcript call={call} speakers={speakers} /> : <Skeleton className="h-96" />}
            {call ? <CallSummaryCard call={call} /> : null}
            {call ? <WrapUpCard call={call} /> : null}
            {call ? <TurnsPanel call={call} /> : null}
          </div>
          <aside className="space-y-6">
            {controls}
            {call ? <HandoffHistory call={call} /> : null}
            {call ? <AnalysisPanel call={call} /> : <Skeleton className="h-48" />}
          </aside>
        </div>
        {call ? <LatencyTable call={call} /> : null}
      </div>
    </div>
  );
}
