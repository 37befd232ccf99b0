import type { ReactElement } from "react";

import { Badge } from "@/components/ui/badge";
import type { SentimentLabel, SentimentTrend } from "@/lib/api";
import { SENTIMENT_TONE, formatScore } from "@/lib/calls";

const TREND_ARROW: Record<SentimentTrend, string> = { improving: "↗", steady: "→", worsening: "↘" };

/** What the live analysis knows after the latest caller turn; every call shape (detail, live row, handoff context) has it. */
export type CallAnalysis = {
  intent: string | null;
  topic: string | null;
  sentiment_label: SentimentLabel | null;
  sentiment_score: number | null;
  sentiment_trend: SentimentTrend | null;
};

/** "roomy" for a panel of its own, "compact" for a card among many on the live board. */
export type FactsDensity = "roomy" | "compact";

type SentimentProps = { analysis: CallAnalysis; testIdPrefix: string };

/** Badge, score and trend on one line, a dash for the badge before the first caller turn is analysed. */
function RoomySentiment({ analysis, testIdPrefix }: SentimentProps) {
  return (
    <dd className="mt-1 flex flex-wrap items-center gap-2" data-testid={`${testIdPrefix}-sentiment`}>
      {analysis.sentiment_label ? (
        <Badge tone={SENTIMENT_TONE[analysis.sentiment_label]}>{analysis.sentiment_label}</Badge>
      ) : (
        <span className="text-slate-400">–</span>
      )}
      <span className="font-medium text-slate-900 tabular-nums">{formatScore(analysis.sentiment_score)}</span>
      {analysis.sentiment_trend ? (
        <span className="text-[13px] text-slate-500" data-testid={`${testIdPrefix}-trend`}>
          {TREND_ARROW[analysis.sentiment_trend]} {analysis.sentiment_trend}
        </span>
      ) : null}
    </dd>
  );
}

/** "negative −0.42 ↘ worsening", or a single dash before the first caller turn is analysed. */
function CompactSentiment({ analysis, testIdPrefix }: SentimentProps) {
  const { sentiment_label: label, sentiment_trend: trend } = analysis;
  return (
    <dd>
      {label ? (
        <span
          className="inline-flex flex-wrap items-center gap-1.5"
          data-testid={`${testIdPrefix}-sentiment`}
          data-sentiment={label}
          data-trend={trend ?? ""}
        >
          <Badge tone={SENTIMENT_TONE[label]}>{label}</Badge>
          <span className="text-xs text-slate-500 tabular-nums">{formatScore(analysis.sentiment_score)}</span>
          {trend ? (
            <span className="text-xs text-slate-500" title={`Sentiment is ${trend}`}>
              {TREND_ARROW[trend]} {trend}
            </span>
          ) : null}
        </span>
      ) : (
        <span className="text-slate-400">–</span>
      )}
    </dd>
  );
}

const DENSITY: Record<
  FactsDensity,
  { cell?: string; sentimentCell: string; term: string; value: string; Sentiment: (props: SentimentProps) => ReactElement }
> = {
  roomy: {
    sentimentCell: "col-span-2",
    term: "text-slate-500",
    value: "font-medium text-slate-900",
    Sentiment: RoomySentiment,
  },
  compact: {
    cell: "min-w-0",
    sentimentCell: "col-span-2 min-w-0 sm:col-span-1",
    term: "text-xs text-slate-500",
    value: "truncate text-slate-800",
    Sentiment: CompactSentiment,
  },
};

/** Intent, topic and sentiment with its trend, as entries of the caller's <dl>: each place lays out its own grid
 * and may add entries around these. Test ids are `${testIdPrefix}-intent`, `-topic`, `-sentiment` (and `-trend`). */
export function AnalysisFacts({
  analysis,
  testIdPrefix,
  density = "roomy",
}: {
  analysis: CallAnalysis;
  testIdPrefix: string;
  density?: FactsDensity;
}) {
  const layout = DENSITY[density];
  return (
    <>
      <div className={layout.cell}>
        <dt className={layout.term}>Intent</dt>
        <dd className={layout.value} data-testid={`${testIdPrefix}-intent`}>
          {analysis.intent ?? "–"}
        </dd>
      </div>
      <div className={layout.cell}>
        <dt className={layout.term}>Topic</dt>
        <dd className={layout.value} data-testid={`${testIdPrefix}-topic`}>
          {analysis.topic ?? "–"}
        </dd>
      </div>
      <div className={layout.sentimentCell}>
        <dt className={layout.term}>Sentiment</dt>
        <layout.Sentiment analysis={analysis} testIdPrefix={testIdPrefix} />
      </div>
    </>
  );
}
