"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { KnowledgeSearchForm } from "@/components/knowledge/knowledge-search-form";
import { KindTile } from "@/components/knowledge/source-bits";
import { useKnowledgeSearch, type KnowledgeSearchAnswer } from "@/components/knowledge/use-knowledge-search";
import { Alert } from "@/components/ui/alert";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { ChevronDownIcon, ExternalLinkIcon } from "@/components/ui/icons";
import type { KnowledgePassage } from "@/lib/api";
import { cn } from "@/lib/cn";
import { plural } from "@/lib/format";
import { KIND_LABELS, citationOf } from "@/lib/knowledge";

const LIMIT = 6;

const EXAMPLES = ["How do I return an item?", "What are your opening hours?", "How do I reset my password?"];

/** "Test your knowledge": asks the same search the AI agent uses and shows the passages found. */
export function KnowledgeSearch({ hasKnowledge }: { hasKnowledge: boolean }) {
  const [query, setQuery] = useState("");
  const [answer, setAnswer] = useState<KnowledgeSearchAnswer | null>(null);
  const { pending, error, search: runSearch } = useKnowledgeSearch(LIMIT);

  async function search(text: string) {
    const found = await runSearch(text);
    if (found) setAnswer(found);
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void search(query);
  }

  const top = answer?.results.reduce((max, result) => Math.max(max, result.score), 0) ?? 0;

  return (
    <Card data-testid="knowledge-search">
      <CardHeader
        title="Test your knowledge"
        description="Ask what a caller would ask. These are the passages the AI agent would answer from."
      />
      <CardBody className="space-y-4">
        <KnowledgeSearchForm
          query={query}
          onQueryChange={setQuery}
          onSubmit={onSubmit}
          pending={pending}
          testIdPrefix="knowledge-search"
          inputName="query"
          inputLabel="Question"
          placeholder="How do I return an item?"
          submitLabel="Ask"
          requireQuery
        />

        {!answer && !error ? (
          hasKnowledge ? (
            <div className="flex flex-wrap gap-1.5">
              {EXAMPLES.map((example) => (
                <button
                  key={example}
                  type="button"
                  onClick={() => {
                    setQuery(example);
                    void search(example);
                  }}
                  className="rounded-full bg-slate-100 px-2.5 py-1 text-xs text-slate-600 hover:bg-slate-200 hover:text-slate-900"
                >
                  {example}
                </button>
              ))}
            </div>
          ) : (
            <p className="text-sm text-slate-500">Once a source is ready, ask a question here to check what the AI finds.</p>
          )
        ) : null}

        {error ? <Alert tone="error">{error}</Alert> : null}

        {answer ? (
          <div aria-live="polite" aria-busy={pending || undefined} className={cn(pending && "opacity-60")}>
            <p className="mb-3 text-[13px] text-slate-500" data-testid="knowledge-search-summary">
              {answer.results.length === 0
                ? null
                : `${plural(answer.results.length, "passage")} for “${answer.query}” · ${answer.millis} ms`}
            </p>
            {answer.results.length === 0 ? (
              <div className="rounded-lg bg-amber-50 px-3.5 py-3 text-sm text-amber-900 ring-1 ring-amber-200 ring-inset" data-testid="knowledge-search-empty">
                <p className="font-medium">Nothing found for “{answer.query}”.</p>
                <p className="mt-1 leading-relaxed">
                  On a call, the AI would say it doesn&apos;t know and offer to bring in a person. Add an article or a
                  document that answers it.
                </p>
              </div>
            ) : (
              <ol className="space-y-3" data-testid="knowledge-search-results">
                {answer.results.map((result, index) => (
                  <Passage key={result.chunk_id} result={result} rank={index + 1} top={top} />
                ))}
              </ol>
            )}
          </div>
        ) : null}
      </CardBody>
    </Card>
  );
}

function Passage({ result, rank, top }: { result: KnowledgePassage; rank: number; top: number }) {
  const { workspace } = useWorkspace();
  const [open, setOpen] = useState(false);
  const long = result.content.length > 320;
  const citation = citationOf(result);
  const relative = top > 0 ? result.score / top : 0;
  const articleHref = `/w/${workspace.id}/knowledge/articles/${result.source_id}`;
  const sourceTitle = result.source_title?.trim() || KIND_LABELS[result.source_kind].one;

  return (
    <li
      className="rounded-lg p-3.5 ring-1 ring-slate-200"
      data-testid="knowledge-passage"
      data-source-id={result.source_id}
      data-kind={result.source_kind}
    >
      <div className="flex items-start gap-2.5">
        <KindTile kind={result.source_kind} size="sm" />
        <div className="min-w-0 flex-1">
          <p className="truncate text-[13px] font-semibold text-slate-900" data-testid="knowledge-passage-source">
            {sourceTitle}
          </p>
          <p className="truncate text-xs text-slate-500" data-testid="knowledge-passage-citation">
            {result.source_kind === "website" && result.url ? (
              <a href={result.url} target="_blank" rel="noopener noreferrer" className="inline-flex items-center gap-1 hover:text-brand-700 hover:underline">
                {citation}
                <ExternalLinkIcon className="size-3" />
              </a>
            ) : result.source_kind === "article" ? (
              <Link href={articleHref} className="hover:text-brand-700 hover:underline">
                Article
              </Link>
            ) : (
              citation
            )}
          </p>
        </div>
        <span
          className="shrink-0 rounded-md bg-slate-100 px-1.5 py-0.5 font-mono text-[11px] text-slate-600 tabular-nums"
          title={`Rank ${rank}; relevance score ${result.score}`}
          data-testid="knowledge-passage-score"
        >
          {formatScore(result.score)}
        </span>
      </div>
      {result.heading_path.length > 0 || (result.title && result.title !== result.source_title) ? (
        <nav aria-label="Where in the source" className="mt-2.5">
          <ol className="flex flex-wrap items-center gap-1 text-xs text-slate-500" data-testid="knowledge-passage-headings">
            {(result.heading_path.length > 0 ? result.heading_path : [result.title ?? ""]).map((heading, index, all) => (
              <li key={`${index}-${heading}`} className="flex items-center gap-1">
                <span className={index === all.length - 1 ? "font-medium text-slate-700" : undefined}>{heading}</span>
                {index < all.length - 1 ? <span aria-hidden="true" className="text-slate-300">›</span> : null}
              </li>
            ))}
          </ol>
        </nav>
      ) : null}
      <p
        className={cn("mt-2 text-[13px] leading-relaxed whitespace-pre-line text-slate-700", long && !open && "line-clamp-4")}
        data-testid="knowledge-passage-content"
      >
        {result.content}
      </p>
      <div className="mt-2.5 flex items-center gap-3">
        <div className="h-1 flex-1 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
          <div className="h-full rounded-full bg-brand-400" style={{ width: `${Math.max(4, Math.round(relative * 100))}%` }} />
        </div>
        {long ? (
          <button
            type="button"
            onClick={() => setOpen((value) => !value)}
            aria-expanded={open}
            className="inline-flex items-center gap-1 text-xs font-medium text-brand-700 hover:text-brand-800"
          >
            {open ? "Show less" : "Show all"}
            <ChevronDownIcon className={cn("size-3.5 transition-transform", open && "rotate-180")} />
          </button>
        ) : null}
      </div>
    </li>
  );
}

function formatScore(score: number): string {
  if (!Number.isFinite(score)) return "–";
  if (Math.abs(score) >= 1) return score.toFixed(2);
  return score.toFixed(3);
}
