"use client";

import { useState, type FormEvent } from "react";

import { KnowledgeSearchForm } from "@/components/knowledge/knowledge-search-form";
import { PassageList } from "@/components/knowledge/passage-list";
import { useKnowledgeSearch } from "@/components/knowledge/use-knowledge-search";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import type { KnowledgePassage, KnowledgeUsed } from "@/lib/api";

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
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<KnowledgeUsed[] | null>(null);
  const { pending, error, search } = useKnowledgeSearch(LIMIT);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const answer = await search(query);
    if (answer) setResults(answer.results.map(asUsed));
  }

  return (
    <Card data-testid="console-search">
      <CardHeader title="Search the knowledge" />
      <CardBody className="space-y-3">
        <KnowledgeSearchForm
          query={query}
          onQueryChange={setQuery}
          onSubmit={(event) => void onSubmit(event)}
          pending={pending}
          testIdPrefix="console-search"
          inputLabel="Search the knowledge"
          placeholder="What does the caller need?"
          submitLabel="Search"
          submitVariant="secondary"
        />
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
