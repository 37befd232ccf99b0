"use client";

import { Badge } from "@/components/ui/badge";
import { BookIcon, ExternalLinkIcon } from "@/components/ui/icons";
import type { KnowledgeUsed, SentimentTrend } from "@/lib/api";
import { HANDOFF_REASON_LABEL, SENTIMENT_TONE, formatDuration, formatScore } from "@/lib/calls";
import { CONSOLE_SPEAKER_LABEL, type CallContext } from "@/lib/console";

const TREND_ARROW: Record<SentimentTrend, string> = { improving: "↗", steady: "→", worsening: "↘" };

export function callerName(context: Pick<CallContext, "caller_name" | "caller_number" | "channel">): string {
  return context.caller_name ?? context.caller_number ?? (context.channel === "browser" ? "Browser test call" : "Unknown caller");
}

/** How long the caller has waited for a person, ticking with `now`. */
export function waitedFor(context: Pick<CallContext, "waiting_since">, now: number): string | null {
  if (!context.waiting_since) return null;
  return formatDuration(Math.max(0, (now - new Date(context.waiting_since).getTime()) / 1000));
}

/** Intent, topic, sentiment with its trend, the reason for the handoff. */
export function CallFacts({ context }: { context: CallContext }) {
  return (
    <dl className="grid grid-cols-2 gap-x-4 gap-y-3 text-sm" data-testid="call-facts">
      <div className="col-span-2">
        <dt className="text-slate-500">Why a person</dt>
        <dd className="font-medium text-slate-900" data-testid="context-reason">
          {context.reason ? HANDOFF_REASON_LABEL[context.reason] : "–"}
        </dd>
      </div>
      <div>
        <dt className="text-slate-500">Intent</dt>
        <dd className="font-medium text-slate-900" data-testid="context-intent">
          {context.intent ?? "–"}
        </dd>
      </div>
      <div>
        <dt className="text-slate-500">Topic</dt>
        <dd className="font-medium text-slate-900" data-testid="context-topic">
          {context.topic ?? "–"}
        </dd>
      </div>
      <div className="col-span-2">
        <dt className="text-slate-500">Sentiment</dt>
        <dd className="mt-1 flex flex-wrap items-center gap-2" data-testid="context-sentiment">
          {context.sentiment_label ? (
            <Badge tone={SENTIMENT_TONE[context.sentiment_label]}>{context.sentiment_label}</Badge>
          ) : (
            <span className="text-slate-400">–</span>
          )}
          <span className="font-medium text-slate-900 tabular-nums">{formatScore(context.sentiment_score)}</span>
          {context.sentiment_trend ? (
            <span className="text-[13px] text-slate-500" data-testid="context-trend">
              {TREND_ARROW[context.sentiment_trend]} {context.sentiment_trend}
            </span>
          ) : null}
        </dd>
      </div>
    </dl>
  );
}

/** The AI's summary so far and the question it could not answer. */
export function CallStory({ context }: { context: CallContext }) {
  if (!context.summary && !context.unanswered_question) return null;
  return (
    <div className="space-y-2 text-sm">
      {context.summary ? (
        <p className="leading-relaxed text-slate-700" data-testid="context-summary">
          {context.summary}
        </p>
      ) : null}
      {context.unanswered_question ? (
        <p className="rounded-lg bg-amber-50 px-3 py-2 text-amber-900 ring-1 ring-amber-200 ring-inset">
          <span className="font-medium">Not answered yet: </span>
          <q data-testid="context-unanswered">{context.unanswered_question}</q>
        </p>
      ) : null}
    </div>
  );
}

/** Passages with their titles and links; the passage text folds open. */
export function PassageList({ passages, testId }: { passages: KnowledgeUsed[]; testId: string }) {
  if (passages.length === 0) return null;
  return (
    <ul className="space-y-2" data-testid={testId}>
      {passages.map((passage, index) => (
        <li key={`${passage.chunk_id ?? "passage"}-${index}`} className="text-[13px]" data-testid={`${testId}-item`}>
          <p className="flex flex-wrap items-center gap-1.5 font-medium text-slate-800">
            <BookIcon className="size-3.5 text-brand-500" />
            {passage.url ? (
              <a href={passage.url} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 text-brand-700 hover:underline">
                {passage.title ?? passage.url}
                <ExternalLinkIcon className="size-3" />
              </a>
            ) : (
              <span>{passage.title ?? "Untitled"}</span>
            )}
            {passage.page !== null ? <span className="font-normal text-slate-500">· page {passage.page}</span> : null}
            {passage.heading_path.length > 0 ? (
              <span className="font-normal text-slate-500">· {passage.heading_path.join(" › ")}</span>
            ) : null}
          </p>
          <details className="mt-0.5">
            <summary className="cursor-pointer text-slate-500">Passage</summary>
            <p className="mt-1 leading-relaxed whitespace-pre-line text-slate-600">{passage.content}</p>
          </details>
        </li>
      ))}
    </ul>
  );
}

/** The conversation with the AI before the handoff. */
export function TranscriptSoFar({ context, limit = 12 }: { context: CallContext; limit?: number }) {
  const lines = context.transcript.slice(-limit);
  if (lines.length === 0) return <p className="text-sm text-slate-500">Nothing was said yet.</p>;
  return (
    <ol className="max-h-64 space-y-1.5 overflow-y-auto text-[13px]" data-testid="context-transcript">
      {lines.map((line, index) => (
        <li key={`${line.at}-${index}`} data-speaker={line.speaker}>
          <span className="font-semibold text-slate-700">{CONSOLE_SPEAKER_LABEL[line.speaker]}: </span>
          <span className="text-slate-700">{line.text}</span>
        </li>
      ))}
    </ol>
  );
}
