import { Badge } from "@/components/ui/badge";
import type { SentimentLabel, SentimentTrend } from "@/lib/api";
import { SENTIMENT_TONE, formatScore } from "@/lib/calls";

const TREND_ARROW: Record<SentimentTrend, string> = { improving: "↗", steady: "→", worsening: "↘" };

/** "negative −0.42 ↘ worsening", or a dash before the first caller turn is analysed. */
export function SentimentWithTrend({
  label,
  score,
  trend,
}: {
  label: SentimentLabel | null;
  score: number | null;
  trend: SentimentTrend | null;
}) {
  if (!label) return <span className="text-slate-400">–</span>;
  return (
    <span
      className="inline-flex flex-wrap items-center gap-1.5"
      data-testid="live-sentiment"
      data-sentiment={label}
      data-trend={trend ?? ""}
    >
      <Badge tone={SENTIMENT_TONE[label]}>{label}</Badge>
      <span className="text-xs text-slate-500 tabular-nums">{formatScore(score)}</span>
      {trend ? (
        <span className="text-xs text-slate-500" title={`Sentiment is ${trend}`}>
          {TREND_ARROW[trend]} {trend}
        </span>
      ) : null}
    </span>
  );
}
