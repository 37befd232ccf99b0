"use client";

import { useCallback, useMemo, useState } from "react";

import { PassageList } from "@/components/knowledge/passage-list";
import { Badge } from "@/components/ui/badge";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import type { CopilotSuggestion } from "@/lib/console";
import { usePostgresChanges, type ChangePayload, type TableBinding } from "@/lib/realtime";

const KEEP = 8;

/** Suggestions the AI pushes to me while I talk (rows of public.copilot_suggestions, delivered by
 * Realtime; RLS shows each person only their own): what to say next, the steps, the passages. */
export function CopilotPanel({ callId, initial }: { callId: string; initial: CopilotSuggestion[] }) {
  // The API lists them oldest first; the newest shows on top.
  const [suggestions, setSuggestions] = useState<CopilotSuggestion[]>(() => [...initial].reverse().slice(0, KEEP));
  const onChange = useCallback((_table: string, payload: ChangePayload) => {
    if (payload.eventType !== "INSERT") return;
    const row = payload.new as unknown as CopilotSuggestion;
    setSuggestions((previous) =>
      previous.some((item) => item.id === row.id) ? previous : [row, ...previous].slice(0, KEEP),
    );
  }, []);
  const bindings = useMemo<TableBinding[]>(() => [{ table: "copilot_suggestions", filter: `call_id=eq.${callId}` }], [callId]);
  const realtime = usePostgresChanges(`copilot:${callId}`, bindings, onChange);

  return (
    <Card data-testid="copilot" data-realtime={realtime}>
      <CardHeader
        title="Copilot"
        description="The AI listens and suggests; only you see this."
        action={realtime === "live" ? <Badge tone="success">Listening</Badge> : <Badge tone="warning">Connecting…</Badge>}
      />
      <CardBody className="max-h-[28rem] space-y-4 overflow-y-auto">
        {suggestions.length === 0 ? (
          <p className="text-sm text-slate-500" data-testid="copilot-empty">
            Suggestions appear here when the caller asks something.
          </p>
        ) : (
          suggestions.map((suggestion, index) => (
            <article
              key={suggestion.id}
              data-testid="copilot-suggestion"
              data-suggestion-id={suggestion.id}
              className={index === 0 ? "space-y-2" : "space-y-2 border-t border-slate-100 pt-4 opacity-75"}
            >
              {suggestion.question ? (
                <p className="text-xs text-slate-500">
                  Caller asked: <q data-testid="copilot-question">{suggestion.question}</q>
                </p>
              ) : null}
              {suggestion.say ? (
                <p className="rounded-lg bg-brand-50 px-3 py-2 text-sm text-brand-900 ring-1 ring-brand-100 ring-inset" data-testid="copilot-say">
                  <span className="font-medium">Say: </span>
                  {suggestion.say}
                </p>
              ) : null}
              {suggestion.steps.length > 0 ? (
                <ol className="list-decimal space-y-0.5 pl-5 text-sm text-slate-700" data-testid="copilot-steps">
                  {suggestion.steps.map((step, stepIndex) => (
                    <li key={stepIndex}>{step}</li>
                  ))}
                </ol>
              ) : null}
              <PassageList passages={suggestion.passages} testId="copilot-passages" />
            </article>
          ))
        )}
      </CardBody>
    </Card>
  );
}
