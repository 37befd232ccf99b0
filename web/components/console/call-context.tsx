"use client";

import { AnalysisFacts } from "@/components/calls/analysis-facts";
import { PassageList } from "@/components/knowledge/passage-list";
import { HANDOFF_REASON_LABEL, formatDuration } from "@/lib/calls";
import { CONSOLE_SPEAKER_LABEL, type CallContext } from "@/lib/console";

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
      <AnalysisFacts analysis={context} testIdPrefix="context" />
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

/** What the AI learned before handing over: the facts, its story so far, and the passages it used. */
export function HandoffBriefing({ context, knowledgeTestId }: { context: CallContext; knowledgeTestId: string }) {
  return (
    <>
      <CallFacts context={context} />
      <CallStory context={context} />
      {context.knowledge_used.length > 0 ? (
        <section className="space-y-2">
          <h3 className="text-xs font-semibold tracking-wide text-slate-500 uppercase">Knowledge the AI used</h3>
          <PassageList passages={context.knowledge_used} testId={knowledgeTestId} />
        </section>
      ) : null}
    </>
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
