"use client";

import { useCallback, useEffect, useRef, useState } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { errorMessage, type KnowledgePassage } from "@/lib/api";

export type KnowledgeSearchAnswer = { query: string; results: KnowledgePassage[]; millis: number };

/** The workspace's knowledge search (the one the AI uses). A new search cancels the one still running,
 * and leaving the page cancels the last one. */
export function useKnowledgeSearch(limit: number) {
  const { api, workspace } = useWorkspace();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  useEffect(() => () => controller.current?.abort(), []);

  /** The answer, or null for a blank question, a cancelled search, or a failure (then `error` says why). */
  const search = useCallback(
    async (text: string): Promise<KnowledgeSearchAnswer | null> => {
      const question = text.trim();
      if (!question) return null;
      controller.current?.abort();
      const mine = new AbortController();
      controller.current = mine;
      setPending(true);
      setError(null);
      const started = performance.now();
      try {
        const { results } = await api.searchKnowledge(workspace.id, question, limit, mine.signal);
        return { query: question, results, millis: Math.round(performance.now() - started) };
      } catch (caught) {
        if (!(caught instanceof DOMException && caught.name === "AbortError")) setError(errorMessage(caught));
        return null;
      } finally {
        if (controller.current === mine) setPending(false);
      }
    },
    [api, workspace.id, limit],
  );

  return { pending, error, search };
}
