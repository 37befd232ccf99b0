"use client";

import { useEffect, useRef, useState, type ReactNode } from "react";

import { Button } from "@/components/ui/button";
import { Input, Select } from "@/components/ui/field";
import { SearchIcon, XIcon } from "@/components/ui/icons";
import {
  CALL_STATUS_LABEL,
  CHANNEL_LABEL,
  HANDLED_BY_LABEL,
  SEARCH_MAX_LENGTH,
  SENTIMENT_LABEL,
  hasCallFilters,
  type CallFilters,
} from "@/lib/calls";
import { cn } from "@/lib/cn";
import { DISPOSITION_LABEL } from "@/lib/console";

// Typing pauses this long before the search is applied (Enter applies it at once).
const SEARCH_DELAY_MS = 350;

type ChoiceKey = "handled_by" | "status" | "channel" | "disposition" | "sentiment";

const CHOICE_FILTERS: ReadonlyArray<{ key: ChoiceKey; label: string; any: string; options: Record<string, string> }> = [
  { key: "handled_by", label: "Handled by", any: "Anyone", options: HANDLED_BY_LABEL },
  { key: "status", label: "Status", any: "Any status", options: CALL_STATUS_LABEL },
  { key: "channel", label: "Channel", any: "Any channel", options: CHANNEL_LABEL },
  { key: "disposition", label: "Disposition", any: "Any disposition", options: DISPOSITION_LABEL },
  { key: "sentiment", label: "Sentiment", any: "Any sentiment", options: SENTIMENT_LABEL },
];

/** The Calls page's filter bar: who handled the call, status, channel, disposition, sentiment, a range of days
 * and a text search. Every change goes to `onChange` with the whole set. */
export function CallFiltersBar({ filters, onChange }: { filters: CallFilters; onChange: (next: CallFilters) => void }) {
  const set = (key: keyof CallFilters, value: string) => onChange({ ...filters, [key]: value || undefined });

  return (
    <div className="mb-4 space-y-3" role="search" aria-label="Filter calls" data-testid="call-filters">
      <div className="flex flex-wrap items-end gap-3">
        <SearchBox value={filters.q ?? ""} onCommit={(value) => set("q", value)} />
        <DayInput label="From" field="from" value={filters.from} max={filters.to} onChange={set} />
        <DayInput label="To" field="to" value={filters.to} min={filters.from} onChange={set} />
        {hasCallFilters(filters) ? (
          <Button variant="ghost" className="h-10" onClick={() => onChange({})} data-testid="call-filters-clear">
            <XIcon className="size-4" />
            Clear
          </Button>
        ) : null}
      </div>
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-5">
        {CHOICE_FILTERS.map(({ key, label, any, options }) => (
          <Labelled key={key} label={label}>
            <Select value={filters[key] ?? ""} onChange={(event) => set(key, event.target.value)} data-testid={`call-filter-${key}`}>
              <option value="">{any}</option>
              {Object.entries(options).map(([value, text]) => (
                <option key={value} value={value}>
                  {text}
                </option>
              ))}
            </Select>
          </Labelled>
        ))}
      </div>
    </div>
  );
}

function DayInput({
  label,
  field,
  value,
  min,
  max,
  onChange,
}: {
  label: string;
  field: "from" | "to";
  value: string | undefined;
  min?: string;
  max?: string;
  onChange: (key: "from" | "to", value: string) => void;
}) {
  return (
    <Labelled label={label}>
      <Input
        type="date"
        className="w-40"
        value={value ?? ""}
        min={min}
        max={max}
        onChange={(event) => onChange(field, event.target.value)}
        data-testid={`call-filter-${field}`}
      />
    </Labelled>
  );
}

function Labelled({ label, className, children }: { label: string; className?: string; children: ReactNode }) {
  return (
    <label className={cn("flex flex-col gap-1 text-xs font-medium text-slate-600", className)}>
      {label}
      {children}
    </label>
  );
}

/** The text search: applied after a pause in typing, or on Enter; follows the URL when it changes elsewhere. */
function SearchBox({ value, onCommit }: { value: string; onCommit: (value: string) => void }) {
  const [text, setText] = useState(value);
  // A new value from outside (Clear, back/forward) replaces what is typed, unless it is what was typed.
  const [outside, setOutside] = useState(value);
  if (outside !== value) {
    setOutside(value);
    if (text.trim() !== value) setText(value);
  }
  const timer = useRef<number | null>(null);
  const commit = useRef(onCommit);
  useEffect(() => {
    commit.current = onCommit;
  });

  useEffect(
    () => () => {
      if (timer.current !== null) window.clearTimeout(timer.current);
    },
    [],
  );

  function change(next: string) {
    setText(next);
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => {
      timer.current = null;
      commit.current(next.trim());
    }, SEARCH_DELAY_MS);
  }

  function applyNow() {
    if (timer.current !== null) window.clearTimeout(timer.current);
    timer.current = null;
    commit.current(text.trim());
  }

  return (
    <Labelled label="Search" className="min-w-56 flex-1">
      <div className="relative">
        <SearchIcon className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400" />
        <Input
          type="search"
          className="pl-9"
          placeholder="Caller number, intent, topic, summary or words said"
          value={text}
          maxLength={SEARCH_MAX_LENGTH}
          onChange={(event) => change(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === "Enter") applyNow();
          }}
          data-testid="call-filter-q"
        />
      </div>
    </Labelled>
  );
}
