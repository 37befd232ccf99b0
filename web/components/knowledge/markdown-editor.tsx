"use client";

import { useRef, useState, type KeyboardEvent, type ReactNode } from "react";

import { Markdown } from "@/components/knowledge/markdown";
import { BoldIcon, HeadingIcon, ItalicIcon, LinkIcon, ListIcon } from "@/components/ui/icons";
import { TabPanel, Tabs, useTabsId } from "@/components/ui/tabs";
import { cn } from "@/lib/cn";

type Mode = "write" | "preview";

type Edit = { before: string; after: string; placeholder: string; linePrefix?: boolean };

const EDITS: Record<"heading" | "bold" | "italic" | "list" | "link", Edit> = {
  heading: { before: "## ", after: "", placeholder: "Section title", linePrefix: true },
  bold: { before: "**", after: "**", placeholder: "bold text" },
  italic: { before: "_", after: "_", placeholder: "emphasis" },
  list: { before: "- ", after: "", placeholder: "List item", linePrefix: true },
  link: { before: "[", after: "](https://)", placeholder: "link text" },
};

/** A Markdown textarea with a small formatting toolbar and a Write / Preview switch. */
export function MarkdownEditor({
  id,
  value,
  onChange,
  disabled = false,
  rows = 14,
  invalid = false,
  describedBy,
  testId,
  placeholder,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  disabled?: boolean;
  rows?: number;
  invalid?: boolean;
  describedBy?: string;
  testId?: string;
  placeholder?: string;
}) {
  const [mode, setMode] = useState<Mode>("write");
  const textarea = useRef<HTMLTextAreaElement>(null);
  const tabsId = useTabsId();

  function apply(edit: Edit) {
    const element = textarea.current;
    if (!element) return;
    const start = element.selectionStart;
    const end = element.selectionEnd;
    let selected = value.slice(start, end) || edit.placeholder;
    let before = edit.before;
    let insertAt = start;
    if (edit.linePrefix) {
      // Prefix every selected line, starting at the beginning of the first one.
      insertAt = value.lastIndexOf("\n", start - 1) + 1;
      selected = (value.slice(insertAt, end) || edit.placeholder)
        .split("\n")
        .map((line) => `${edit.before}${line.replace(/^(#{1,6} |- )/, "")}`)
        .join("\n");
      before = "";
    }
    const next = value.slice(0, insertAt) + before + selected + edit.after + value.slice(end);
    onChange(next);
    const selectionStart = insertAt + before.length + (edit.linePrefix ? edit.before.length : 0);
    const selectionEnd = insertAt + before.length + selected.length;
    requestAnimationFrame(() => {
      element.focus();
      element.setSelectionRange(selectionStart, selectionEnd);
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (!(event.metaKey || event.ctrlKey) || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === "b") {
      event.preventDefault();
      apply(EDITS.bold);
    } else if (key === "i") {
      event.preventDefault();
      apply(EDITS.italic);
    } else if (key === "k") {
      event.preventDefault();
      apply(EDITS.link);
    }
  }

  return (
    <div
      className={cn(
        "overflow-hidden rounded-lg bg-white shadow-sm ring-1 ring-slate-300 ring-inset focus-within:ring-2 focus-within:ring-brand-500",
        invalid && "ring-red-400 focus-within:ring-red-500",
      )}
    >
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-slate-200 bg-slate-50/80 px-2 py-1.5">
        <Tabs
          items={[
            { value: "write", label: "Write", testId: "markdown-write" },
            { value: "preview", label: "Preview", testId: "markdown-preview-tab" },
          ]}
          value={mode}
          onChange={setMode}
          label="Editor mode"
          idBase={tabsId}
          size="sm"
          className="bg-slate-200/60"
        />
        {mode === "write" ? (
          <div role="toolbar" aria-label="Formatting" className="flex items-center gap-0.5">
            <ToolButton label="Heading" onClick={() => apply(EDITS.heading)} disabled={disabled}>
              <HeadingIcon className="size-4" />
            </ToolButton>
            <ToolButton label="Bold (Ctrl+B)" onClick={() => apply(EDITS.bold)} disabled={disabled}>
              <BoldIcon className="size-4" />
            </ToolButton>
            <ToolButton label="Italic (Ctrl+I)" onClick={() => apply(EDITS.italic)} disabled={disabled}>
              <ItalicIcon className="size-4" />
            </ToolButton>
            <ToolButton label="Bulleted list" onClick={() => apply(EDITS.list)} disabled={disabled}>
              <ListIcon className="size-4" />
            </ToolButton>
            <ToolButton label="Link (Ctrl+K)" onClick={() => apply(EDITS.link)} disabled={disabled}>
              <LinkIcon className="size-4" />
            </ToolButton>
          </div>
        ) : null}
      </div>
      {mode === "write" ? (
        <TabPanel idBase={tabsId} value="write">
          <textarea
            ref={textarea}
            id={id}
            value={value}
            onChange={(event) => onChange(event.target.value)}
            onKeyDown={onKeyDown}
            rows={rows}
            disabled={disabled}
            placeholder={placeholder}
            aria-invalid={invalid || undefined}
            aria-describedby={describedBy}
            spellCheck
            data-testid={testId}
            className="block w-full resize-y border-0 bg-transparent px-3.5 py-3 font-mono text-[13px] leading-relaxed text-slate-900 placeholder:text-slate-400 focus:ring-0 focus:outline-none disabled:cursor-not-allowed disabled:text-slate-500"
          />
        </TabPanel>
      ) : (
        <TabPanel idBase={tabsId} value="preview" className="px-4 py-3.5">
          <div style={{ minHeight: `${rows * 1.6}rem` }} data-testid="markdown-preview">
            {value.trim() ? (
              <Markdown>{value}</Markdown>
            ) : (
              <p className="text-sm text-slate-400">Nothing to preview yet.</p>
            )}
          </div>
        </TabPanel>
      )}
    </div>
  );
}

function ToolButton({
  label,
  onClick,
  disabled,
  children,
}: {
  label: string;
  onClick: () => void;
  disabled: boolean;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      title={label}
      aria-label={label}
      onClick={onClick}
      disabled={disabled}
      className="rounded-md p-1.5 text-slate-500 hover:bg-slate-200/70 hover:text-slate-800 disabled:opacity-50"
    >
      {children}
    </button>
  );
}
