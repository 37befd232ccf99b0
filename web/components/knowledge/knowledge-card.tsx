"use client";

import { useWorkspace } from "@/components/app/workspace-context";
import { KindTile } from "@/components/knowledge/source-bits";
import type { KnowledgeSources } from "@/components/knowledge/use-knowledge-sources";
import { ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { AlertIcon, ArrowRightIcon } from "@/components/ui/icons";
import { Skeleton, Spinner } from "@/components/ui/spinner";
import type { KnowledgeSourceKind } from "@/lib/api";
import { plural } from "@/lib/format";
import { KIND_LABELS, isActive } from "@/lib/knowledge";

const KINDS: KnowledgeSourceKind[] = ["website", "article", "document"];

/** The workspace home's summary of the knowledge base, linking to the Knowledge page. */
export function KnowledgeCard({ knowledge }: { knowledge: KnowledgeSources }) {
  const { workspace } = useWorkspace();
  const href = `/w/${workspace.id}/knowledge`;
  const { sources, loading } = knowledge;
  const list = sources ?? [];
  const passages = list.reduce((sum, source) => sum + (source.status === "ready" ? source.chunk_count : 0), 0);
  const working = list.filter(isActive).length;
  const failed = list.filter((source) => source.status === "failed").length;
  const empty = sources !== null && list.length === 0;

  return (
    <Card data-testid="home-knowledge">
      <CardHeader
        title="Knowledge base"
        description={
          empty
            ? "The AI agent answers only from what you add: your help center, articles and documents."
            : "What the AI agent answers callers from."
        }
        action={
          <ButtonLink
            href={href}
            size="sm"
            variant={empty && workspace.can_manage ? "primary" : "secondary"}
            data-testid="home-knowledge-link"
          >
            {empty && workspace.can_manage ? "Add knowledge" : "Open"}
            <ArrowRightIcon className="size-3.5" />
          </ButtonLink>
        }
      />
      <CardBody className="py-4">
        {loading && !sources ? (
          <div className="flex gap-6" aria-busy="true" aria-label="Loading knowledge">
            <Skeleton className="h-10 w-24" />
            <Skeleton className="h-10 w-24" />
            <Skeleton className="h-10 w-24" />
          </div>
        ) : sources === null ? (
          <p className="text-sm text-slate-500">Crawl your help center, write articles, or upload Word and PDF documents.</p>
        ) : empty ? (
          <p className="text-sm text-slate-600" data-testid="home-knowledge-empty">
            {workspace.can_manage
              ? "Nothing yet. Start by crawling your help center: most answers are already there."
              : "Nothing yet. An admin of this workspace adds it."}
          </p>
        ) : (
          <div className="space-y-3">
            <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4" data-testid="home-knowledge-counts">
              {KINDS.map((kind) => (
                <div key={kind} className="flex items-center gap-2.5">
                  <KindTile kind={kind} size="sm" />
                  <div>
                    <dt className="text-xs text-slate-500">{KIND_LABELS[kind].many}</dt>
                    <dd className="text-sm font-semibold text-slate-900 tabular-nums">
                      {list.filter((source) => source.kind === kind).length}
                    </dd>
                  </div>
                </div>
              ))}
              <div>
                <dt className="text-xs text-slate-500">Passages</dt>
                <dd className="text-sm font-semibold text-slate-900 tabular-nums">{passages}</dd>
              </div>
            </dl>
            {working > 0 || failed > 0 ? (
              <p className="flex flex-wrap items-center gap-x-4 gap-y-1 text-[13px]">
                {working > 0 ? (
                  <span className="inline-flex items-center gap-1.5 text-brand-700">
                    <Spinner className="size-3.5" />
                    {plural(working, "source")} being processed
                  </span>
                ) : null}
                {failed > 0 ? (
                  <span className="inline-flex items-center gap-1.5 text-red-700">
                    <AlertIcon className="size-3.5" />
                    {plural(failed, "source")} failed
                  </span>
                ) : null}
              </p>
            ) : null}
          </div>
        )}
      </CardBody>
    </Card>
  );
}
