import Link from "next/link";

import { AnalysisFacts } from "@/components/calls/analysis-facts";
import { Badge } from "@/components/ui/badge";
import { PhoneIcon } from "@/components/ui/icons";
import { HANDOFF_REASON_LABEL, formatDuration } from "@/lib/calls";
import type { LiveCallRow } from "@/lib/console";
import { LIVE_STATE_TONE, liveStateLabel } from "@/lib/live";
import { cn } from "@/lib/cn";

function secondsSince(value: string | null, now: number): number | null {
  if (!value) return null;
  return Math.max(0, (now - new Date(value).getTime()) / 1000);
}

function callerOf(call: LiveCallRow): string {
  if (call.channel === "phone") return call.caller_number ?? "Unknown number";
  return call.caller_name ? `Test call · ${call.caller_name}` : "Browser test call";
}

/** One live call on the board: who has the caller, for how long, how it is going; opens the live transcript. */
export function LiveCallCard({
  call,
  workspaceId,
  now,
  ringing,
}: {
  call: LiveCallRow;
  workspaceId: string;
  now: number;
  /** The name of the agent an offer is ringing for, when the board knows it. */
  ringing: string | null;
}) {
  const waiting = call.state === "waiting" || call.state === "offered" ? secondsSince(call.waiting_since, now) : null;
  return (
    <li data-testid="live-call" data-state={call.state} data-call-id={call.call_id}>
      <Link
        href={`/w/${workspaceId}/calls/${call.call_id}`}
        className={cn(
          "block rounded-xl bg-white p-4 shadow-card ring-1 transition-colors hover:ring-brand-300",
          call.state === "waiting" || call.state === "offered" ? "ring-amber-300" : "ring-slate-200/80",
        )}
      >
        <div className="flex flex-wrap items-start justify-between gap-3">
          <div className="min-w-0">
            <p className="flex items-center gap-2 font-medium text-slate-900">
              <PhoneIcon className="size-4 shrink-0 text-slate-400" />
              <span className="truncate" data-testid="live-caller">
                {callerOf(call)}
              </span>
            </p>
            <p className="mt-0.5 text-xs text-slate-500">
              {call.channel === "phone" ? "Phone" : "Browser"}
              <span aria-hidden="true"> · </span>
              <span className="tabular-nums" data-testid="live-duration">
                {formatDuration(secondsSince(call.started_at, now))}
              </span>
            </p>
          </div>
          <div className="flex flex-col items-end gap-1">
            <span data-testid="live-state">
              <Badge tone={LIVE_STATE_TONE[call.state]}>
                {call.state === "human" || call.state === "ai" ? (
                  <span className="size-1.5 animate-pulse rounded-full bg-current opacity-70" />
                ) : null}
                {liveStateLabel(call, ringing)}
              </Badge>
            </span>
            {waiting !== null ? (
              <span className="text-xs text-amber-800 tabular-nums" data-testid="live-waiting">
                waiting {formatDuration(waiting)}
              </span>
            ) : null}
          </div>
        </div>
        <dl className="mt-3 grid grid-cols-2 gap-x-4 gap-y-2 text-[13px] sm:grid-cols-3">
          <AnalysisFacts analysis={call} testIdPrefix="live" density="compact" />
        </dl>
        {call.handoff_reason && call.state !== "ai" ? (
          <p className="mt-2 text-xs text-slate-500">{HANDOFF_REASON_LABEL[call.handoff_reason]}</p>
        ) : null}
        <p className="mt-3 truncate rounded-lg bg-slate-50 px-3 py-2 text-[13px] text-slate-600" data-testid="live-last-line">
          {call.last_line ? <q>{call.last_line}</q> : <span className="text-slate-400">Nothing said yet</span>}
        </p>
      </Link>
    </li>
  );
}
