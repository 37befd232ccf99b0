"use client";

import { useEffect, useRef } from "react";

import { AnalysisFacts } from "@/components/calls/analysis-facts";
import { PassageList } from "@/components/knowledge/passage-list";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { PhoneIcon } from "@/components/ui/icons";
import type { CallDetail, CallTurn, Speaker, TranscriptSegment } from "@/lib/api";
import {
  HANDOFF_REASON_LABEL,
  LATENCY_STAGES,
  SPEAKER_LABEL,
  callBadge,
  formatDuration,
  formatMs,
  formatScore,
  isLive,
} from "@/lib/calls";
import { cn } from "@/lib/cn";

const SPEAKER_STYLE: Record<TranscriptSegment["speaker"], string> = {
  customer: "bg-white ring-slate-200",
  ai: "bg-brand-50 ring-brand-100",
  human: "bg-emerald-50 ring-emerald-100",
};

export function CallStatusBadge({ call }: { call: Pick<CallDetail, "status" | "handoff_reason"> }) {
  const badge = callBadge(call);
  return (
    <span data-testid="call-status" data-state={badge.state}>
      <Badge tone={badge.tone}>
        {badge.state === "live" ? <span className="size-1.5 animate-pulse rounded-full bg-emerald-500" /> : null}
        {badge.label}
      </Badge>
    </span>
  );
}

/** Every final utterance in order, as it is written; follows the bottom while the call is live.
 * `speakers` names the speakers from the reader's point of view (the console says "Caller" and "You"). */
export function Transcript({
  call,
  speakers = SPEAKER_LABEL,
  title = "Transcript",
}: {
  call: CallDetail;
  speakers?: Record<Speaker, string>;
  title?: string;
}) {
  const end = useRef<HTMLDivElement>(null);
  const live = isLive(call);
  const count = call.segments.length;
  useEffect(() => {
    if (live && count > 0) end.current?.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }, [live, count]);
  const start = new Date(call.answered_at ?? call.started_at).getTime();

  return (
    <Card>
      <CardHeader
        title={title}
        description={live ? "Lines appear as they are spoken." : undefined}
        action={live ? <Badge tone="success">Live</Badge> : null}
      />
      <CardBody className="max-h-[32rem] overflow-y-auto">
        {count === 0 ? (
          <p className="py-6 text-center text-sm text-slate-500" data-testid="transcript-empty">
            {live ? "Waiting for the first words…" : "Nothing was said on this call."}
          </p>
        ) : (
          <ol className="space-y-3" data-testid="transcript" aria-live="polite">
            {call.segments.map((segment) => (
              <li
                key={segment.id}
                data-testid="transcript-line"
                data-speaker={segment.speaker}
                data-interrupted={segment.interrupted ? "true" : "false"}
                className={cn("flex gap-3", segment.speaker === "customer" ? "flex-row" : "flex-row")}
              >
                <div className="w-16 shrink-0 pt-2 text-right">
                  <p className="text-xs font-semibold text-slate-700">{speakers[segment.speaker]}</p>
                  <p className="text-[11px] text-slate-400 tabular-nums">
                    {formatDuration(Math.max(0, (new Date(segment.started_at).getTime() - start) / 1000))}
                  </p>
                </div>
                <div className={cn("min-w-0 flex-1 rounded-lg px-3 py-2 text-sm text-slate-800 ring-1 ring-inset", SPEAKER_STYLE[segment.speaker])}>
                  <span data-testid="transcript-text">{segment.text}</span>
                  {segment.interrupted ? (
                    <span className="ml-2 inline-flex items-center text-xs font-medium text-amber-700" data-testid="transcript-interrupted">
                      — interrupted
                    </span>
                  ) : null}
                </div>
              </li>
            ))}
          </ol>
        )}
        <div ref={end} />
      </CardBody>
    </Card>
  );
}

/** Intent, topic and sentiment after the latest caller turn, with the per-turn sentiment. */
export function AnalysisPanel({ call }: { call: CallDetail }) {
  const scores = call.turns.filter((turn) => turn.sentiment_score !== null);
  return (
    <Card data-testid="call-analysis">
      <CardHeader title="Live analysis" description="After the latest caller turn." />
      <CardBody className="space-y-4">
        <dl className="grid grid-cols-2 gap-4 text-sm">
          <AnalysisFacts analysis={call} testIdPrefix="analysis" />
        </dl>
        {scores.length > 1 ? <SentimentStrip turns={scores} /> : null}
      </CardBody>
    </Card>
  );
}

function SentimentStrip({ turns }: { turns: CallTurn[] }) {
  return (
    <div aria-label="Sentiment per caller turn" role="img" className="flex h-10 items-center gap-1">
      {turns.map((turn) => {
        const score = turn.sentiment_score ?? 0;
        const height = Math.max(8, Math.abs(score) * 100);
        return (
          <span key={turn.id} className="flex h-full flex-1 flex-col justify-center" title={`Turn ${turn.turn_index + 1}: ${formatScore(score)}`}>
            <span
              className={cn("mx-auto w-full max-w-3 rounded-sm", score < -0.05 ? "bg-red-400" : score > 0.05 ? "bg-emerald-400" : "bg-slate-300")}
              style={{ height: `${height / 2}%` }}
            />
          </span>
        );
      })}
    </div>
  );
}

export function HandoffBanner({ call }: { call: CallDetail }) {
  if (!call.handoff_reason) return null;
  const unanswered = call.handoff_context?.unanswered_question ?? null;
  return (
    <Alert tone="warning" title={`Handoff requested: ${HANDOFF_REASON_LABEL[call.handoff_reason]}`} testId="handoff-banner">
      {unanswered ? (
        <p>
          Unanswered question: <q data-testid="handoff-question">{unanswered}</q>
        </p>
      ) : (
        <p>The AI asked for a person to take this call.</p>
      )}
    </Alert>
  );
}

export function CallSummaryCard({ call }: { call: CallDetail }) {
  if (isLive(call)) return null;
  return (
    <Card data-testid="call-summary">
      <CardHeader title="Summary" />
      <CardBody>
        {call.summary ? (
          <p className="text-sm leading-relaxed whitespace-pre-line text-slate-700">{call.summary}</p>
        ) : (
          <p className="text-sm text-slate-500">{call.status_detail ?? "No summary was written for this call."}</p>
        )}
      </CardBody>
    </Card>
  );
}

/** Each answered turn: what the caller said, what the AI said, and the passages it used. */
export function TurnsPanel({ call }: { call: CallDetail }) {
  return (
    <Card>
      <CardHeader title="Knowledge used" description="The passages the AI looked up for each caller turn." />
      <CardBody>
        {call.turns.length === 0 ? (
          <p className="text-sm text-slate-500">No caller turns yet.</p>
        ) : (
          <ol className="space-y-5" data-testid="turns">
            {call.turns.map((turn) => (
              <li key={turn.id} data-testid="turn" data-turn={turn.turn_index} className="space-y-2">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="text-xs font-semibold text-slate-500">Turn {turn.turn_index + 1}</span>
                  {turn.answered === true ? <Badge tone="success">Answered</Badge> : null}
                  {turn.answered === false ? <Badge tone="warning">Not in the knowledge</Badge> : null}
                  {turn.intent ? <Badge tone="neutral">{turn.intent}</Badge> : null}
                </div>
                <p className="text-sm text-slate-800">
                  <span className="font-medium">Customer:</span> {turn.user_text}
                </p>
                {turn.reply_text ? (
                  <p className="text-sm text-slate-600">
                    <span className="font-medium">AI:</span> {turn.reply_text}
                  </p>
                ) : null}
                <PassageList passages={turn.knowledge_used} testId="knowledge-used" className="border-l-2 border-brand-100 pl-3" />
              </li>
            ))}
          </ol>
        )}
      </CardBody>
    </Card>
  );
}

/** Per-turn latency by stage, with the call's p50 and p95. */
export function LatencyTable({ call }: { call: CallDetail }) {
  const stats = new Map(call.latency.map((stat) => [stat.stage, stat]));
  return (
    <Card>
      <CardHeader title="Latency" description="How long each stage took, per caller turn." />
      <CardBody className="overflow-x-auto px-0 sm:px-0">
        {call.turns.length === 0 ? (
          <p className="px-5 text-sm text-slate-500 sm:px-6">No turns measured yet.</p>
        ) : (
          <table className="w-full text-right text-[13px] tabular-nums" data-testid="latency-table">
            <thead>
              <tr className="border-b border-slate-100 text-xs text-slate-500">
                <th scope="col" className="px-4 py-2 text-left font-medium sm:pl-6">
                  Turn
                </th>
                {LATENCY_STAGES.map(({ stage, label }) => (
                  <th key={stage} scope="col" className="px-3 py-2 font-medium whitespace-nowrap last:sm:pr-6">
                    {label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {call.turns.map((turn) => (
                <tr key={turn.id} className="border-b border-slate-50" data-testid="latency-row">
                  <th scope="row" className="px-4 py-1.5 text-left font-medium text-slate-700 sm:pl-6">
                    {turn.turn_index + 1}
                  </th>
                  {LATENCY_STAGES.map(({ stage }) => (
                    <td key={stage} className={cn("px-3 py-1.5 last:sm:pr-6", stage === "total_ms" ? "font-medium text-slate-900" : "text-slate-600")}>
                      {formatMs(turn[stage])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              {(["p50_ms", "p95_ms"] as const).map((key) => (
                <tr key={key} className="bg-slate-50/60" data-testid={`latency-${key}`}>
                  <th scope="row" className="px-4 py-1.5 text-left font-semibold text-slate-700 sm:pl-6">
                    {key === "p50_ms" ? "p50" : "p95"}
                  </th>
                  {LATENCY_STAGES.map(({ stage }) => (
                    <td key={stage} className="px-3 py-1.5 font-medium text-slate-800 last:sm:pr-6">
                      {formatMs(stats.get(stage)?.[key])}
                    </td>
                  ))}
                </tr>
              ))}
            </tfoot>
          </table>
        )}
      </CardBody>
    </Card>
  );
}

export function CallNotFound({ message }: { message: string }) {
  return (
    <Card>
      <EmptyState icon={<PhoneIcon className="size-5" />} title="This call isn't available" description={message} testId="call-unavailable" />
    </Card>
  );
}
