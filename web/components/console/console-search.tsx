"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { PassageList } from "@/components/console/call-context";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/field";
import { SearchIcon } from "@/components/ui/icons";
import { errorMessage, type KnowledgePassage, type KnowledgeUsed } from "@/lib/api";

const LIMIT = 4;

function asUsed(passage: KnowledgePassage): KnowledgeUsed {
  return {
    chunk_id: passage.chunk_id,
    source_id: passage.source_id,
    title: passage.title ?? passage.source_title,
    url: passage.url,
    page: passage.page,
    heading_path: passage.heading_path,
    content: passage.content,
    score: passage.score,
  };
}

/** The same knowledge search the AI uses, for me during a call. */
export function ConsoleSearch() {
  const { api, workspace } = useWorkspace();
  const [query, setQuery] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<KnowledgeUsed[] | null>(null);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const question = query.trim();
    if (!question) return;
    controller.current?.abort();
    const mine = new AbortController();
    controller.current = mine;
    setPending(true);
    setError(null);
    try {
      const answer = await api.searchKnowledge(workspace.id, question, LIMIT, mine.signal);
      setResults(answer.results.map(asUsed));
    } catch (caught) {
      if (caught instanceof DOMException && caught.name === "AbortError") return;
      setError(errorMessage(caught));
    } finally {
      if (controller.current === mine) setPending(false);
    }
  }

  return (
    <Card data-testid="console-search">
      <CardHeader title="Search the knowledge" />
      <CardBody className="space-y-3">
        <form onSubmit={(event) => void onSubmit(event)} className="flex gap-2" role="search" aria-label="Search this workspace's knowledge">
          <div className="relative min-w-0 flex-1">
            <SearchIcon className="pointer-events-none absolute top-1/2 left-3 size-4 -translate-y-1/2 text-slate-400" />
            <Input
              type="search"
              aria-label="Search the knowledge"
              placeholder="What does the caller need?"
              value={query}
              maxLength={500}
              onChange={(event) => setQuery(event.target.value)}
              className="pl-9"
              data-testid="console-search-input"
            />
          </div>
          <Button type="submit" variant="secondary" loading={pending} data-testid="console-search-submit">
            Search
          </Button>
        </form>
        {error ? (
          <p role="alert" className="text-sm text-red-600">
            {error}
          </p>
        ) : null}
        {results && results.length === 0 ? <p className="text-sm text-slate-500">Nothing in the knowledge matches.</p> : null}
        {results ? <PassageList passages={results} testId="console-search-results" /> : null}
      </CardBody>
    </Card>
  );
}
