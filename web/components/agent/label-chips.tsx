"use client";

import { useId, useState, type KeyboardEvent } from "react";

import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { PlusIcon, XIcon } from "@/components/ui/icons";
import { cn } from "@/lib/cn";

const MAX_LABEL_LENGTH = 100;

/** An editable list of short labels shown as chips: type and press Enter (or Add) to add one,
 * × to remove one. Repeats (ignoring case) and empty labels are refused on the spot. */
export function LabelChips({
  name,
  label,
  values,
  onChange,
  readOnly = false,
  max = 50,
  error,
  hint,
  placeholder,
}: {
  /** Used for test ids: chips-{name}. */
  name: string;
  label: string;
  values: string[];
  onChange: (values: string[]) => void;
  readOnly?: boolean;
  max?: number;
  error?: string;
  hint?: string;
  placeholder?: string;
}) {
  const [draft, setDraft] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const id = useId();

  function add() {
    const value = draft.trim();
    if (!value) return;
    if (value.length > MAX_LABEL_LENGTH) {
      setProblem(`A label can be at most ${MAX_LABEL_LENGTH} characters.`);
      return;
    }
    if (values.some((existing) => existing.toLowerCase() === value.toLowerCase())) {
      setProblem(`“${value}” is already in the list.`);
      return;
    }
    if (values.length >= max) {
      setProblem(`At most ${max} labels.`);
      return;
    }
    onChange([...values, value]);
    setDraft("");
    setProblem(null);
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (event.key === "Enter") {
      event.preventDefault();
      add();
    }
  }

  const message = problem ?? error ?? null;
  return (
    <fieldset className="space-y-2" data-testid={`chips-${name}`}>
      <legend className="text-sm font-medium text-slate-800">{label}</legend>
      <ul className="flex flex-wrap gap-2" aria-label={label}>
        {values.map((value) => (
          <li
            key={value}
            data-testid="chip"
            data-value={value}
            className="inline-flex items-center gap-1 rounded-full bg-slate-100 py-1 pr-1 pl-3 text-[13px] text-slate-800 ring-1 ring-slate-200 ring-inset"
          >
            <span>{value}</span>
            {readOnly ? (
              <span className="w-1.5" />
            ) : (
              <button
                type="button"
                onClick={() => onChange(values.filter((item) => item !== value))}
                className="flex size-5 items-center justify-center rounded-full text-slate-500 hover:bg-slate-200 hover:text-slate-800"
                aria-label={`Remove ${value}`}
                data-testid="chip-remove"
                disabled={values.length <= 1}
              >
                <XIcon className="size-3" />
              </button>
            )}
          </li>
        ))}
        {values.length === 0 ? <li className="text-[13px] text-slate-400">None</li> : null}
      </ul>
      {readOnly ? null : (
        <div className="flex gap-2">
          <Input
            id={id}
            value={draft}
            onChange={(event) => {
              setDraft(event.target.value);
              setProblem(null);
            }}
            onKeyDown={onKeyDown}
            placeholder={placeholder ?? "Add a label"}
            aria-label={`New ${label.toLowerCase()}`}
            aria-invalid={message ? true : undefined}
            maxLength={MAX_LABEL_LENGTH + 20}
            className="h-9"
            data-testid={`chips-${name}-input`}
          />
          <Button variant="secondary" onClick={add} disabled={!draft.trim()} data-testid={`chips-${name}-add`}>
            <PlusIcon className="size-4" />
            Add
          </Button>
        </div>
      )}
      {message ? (
        <p className="text-[13px] text-red-600" role="alert">
          {message}
        </p>
      ) : hint ? (
        <p className={cn("text-[13px] text-slate-500")}>{hint}</p>
      ) : null}
    </fieldset>
  );
}

/** Picks a subset of `options` (toggle chips). */
export function ChipToggles({
  name,
  label,
  options,
  selected,
  onChange,
  readOnly = false,
  error,
  hint,
}: {
  name: string;
  label: string;
  options: string[];
  selected: string[];
  onChange: (values: string[]) => void;
  readOnly?: boolean;
  error?: string;
  hint?: string;
}) {
  const chosen = new Set(selected.map((value) => value.toLowerCase()));
  return (
    <fieldset className="space-y-2" data-testid={`toggles-${name}`}>
      <legend className="text-sm font-medium text-slate-800">{label}</legend>
      <div className="flex flex-wrap gap-2">
        {options.map((option) => {
          const on = chosen.has(option.toLowerCase());
          return (
            <button
              key={option}
              type="button"
              aria-pressed={on}
              disabled={readOnly}
              data-testid="toggle-chip"
              data-value={option}
              onClick={() =>
                onChange(on ? selected.filter((value) => value.toLowerCase() !== option.toLowerCase()) : [...selected, option])
              }
              className={cn(
                "rounded-full px-3 py-1 text-[13px] ring-1 ring-inset transition-colors disabled:cursor-default",
                on
                  ? "bg-amber-50 text-amber-900 ring-amber-300"
                  : "bg-white text-slate-600 ring-slate-200 enabled:hover:bg-slate-50",
              )}
            >
              {on ? "✓ " : ""}
              {option}
            </button>
          );
        })}
      </div>
      {error ? (
        <p className="text-[13px] text-red-600" role="alert">
          {error}
        </p>
      ) : hint ? (
        <p className="text-[13px] text-slate-500">{hint}</p>
      ) : null}
    </fieldset>
  );
}
