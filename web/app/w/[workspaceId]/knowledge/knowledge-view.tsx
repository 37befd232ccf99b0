"use client";

import { useState } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { AddKnowledge, type AddTab } from "@/components/knowledge/add-knowledge";
import { KnowledgeSearch } from "@/components/knowledge/knowledge-search";
import { KindTile } from "@/components/knowledge/source-bits";
import { SourceList } from "@/components/knowledge/source-list";
import { useKnowledgeSources } from "@/components/knowledge/use-knowledge-sources";
import { Alert } from "@/components/ui/alert";
import { EmptyState } from "@/components/ui/empty-state";
import { ArrowRightIcon, BookIcon } from "@/components/ui/icons";

const FIRST_STEPS: Array<{ tab: AddTab; title: string; text: string }> = [
  {
    tab: "website",
    title: "Crawl your help center",
    text: "Start here: most answers your callers need are already written there.",
  },
  {
    tab: "article",
    title: "Write an article",
    text: "For what isn't written down anywhere yet: opening hours, policies, prices.",
  },
  {
    tab: "document",
    title: "Upload documents",
    text: "Manuals, price lists and policies as PDF or Word files.",
  },
];

export function KnowledgeView() {
  const { workspace } = useWorkspace();
  const canManage = workspace.can_manage;
  const { sources, error, loading, reload, upsert, remove } = useKnowledgeSources("page");
  const [tab, setTab] = useState<AddTab>("website");
  const hasReady = (sources ?? []).some((source) => source.status === "ready" && source.chunk_count > 0);

  function startWith(next: AddTab) {
    setTab(next);
    const card = document.getElementById("add-knowledge");
    card?.scrollIntoView({ behavior: "smooth", block: "start" });
    // Focus the first field of the chosen tab once it is shown.
    window.setTimeout(() => {
      const panel = card?.querySelector<HTMLElement>(`[role="tabpanel"]:not(.hidden)`);
      panel?.querySelector<HTMLElement>("input:not([type=file]), textarea, button")?.focus({ preventScroll: true });
    }, 50);
  }

  // A new workspace sees what to do first above the forms; afterwards the forms come first.
  const isEmpty = sources !== null && sources.length === 0;

  const empty = canManage ? (
    <div className="px-5 py-8 sm:px-6" data-testid="knowledge-empty">
      <div className="mx-auto max-w-xl text-center">
        <div className="mx-auto mb-4 flex size-11 items-center justify-center rounded-full bg-brand-50 text-brand-600 ring-8 ring-brand-50/50">
          <BookIcon className="size-5" />
        </div>
        <h3 className="text-[15px] font-semibold text-slate-900">Teach the AI agent about {workspace.name}</h3>
        <p className="mt-1 text-sm text-slate-500">
          It answers callers only from this workspace&apos;s knowledge. Until you add some, it hands every question to
          your team.
        </p>
      </div>
      <ol className="mx-auto mt-6 grid max-w-2xl gap-3 sm:grid-cols-3">
        {FIRST_STEPS.map((step, index) => (
          <li key={step.tab}>
            <button
              type="button"
              onClick={() => startWith(step.tab)}
              className="group flex h-full w-full flex-col rounded-xl p-4 text-left ring-1 ring-slate-200 transition-colors hover:bg-slate-50 hover:ring-brand-300"
              data-testid={`knowledge-start-${step.tab}`}
            >
              <span className="flex items-center justify-between">
                <KindTile kind={step.tab} size="sm" />
                <span className="text-xs font-medium text-slate-400">{index === 0 ? "First" : `Then`}</span>
              </span>
              <span className="mt-3 text-sm font-semibold text-slate-900 group-hover:text-brand-700">{step.title}</span>
              <span className="mt-1 text-[13px] leading-relaxed text-slate-500">{step.text}</span>
              <ArrowRightIcon className="mt-3 size-4 text-slate-400 group-hover:text-brand-600" />
            </button>
          </li>
        ))}
      </ol>
    </div>
  ) : (
    <EmptyState
      icon={<BookIcon className="size-5" />}
      title="No knowledge yet"
      description={`An admin of ${workspace.name} adds the help center, articles and documents the AI agent answers from. They will show up here.`}
      testId="knowledge-empty"
    />
  );

  const list = (
    <SourceList sources={sources} error={error} loading={loading} onReload={reload} onRemoved={remove} empty={empty} />
  );

  return (
    <div data-testid="knowledge-page">
      <PageHeader
        title="Knowledge"
        description={
          canManage
            ? `What the AI agent of ${workspace.name} knows: your help center, articles and documents. Nothing here is visible from other workspaces.`
            : `What the AI agent of ${workspace.name} answers from. Search it to find what callers are told.`
        }
      />
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_380px]">
        <div className="min-w-0 space-y-6">
          {canManage ? null : (
            <Alert tone="info" testId="knowledge-read-only">
              You can read and search this knowledge. Only workspace admins can add, change or delete it.
            </Alert>
          )}
          {isEmpty ? list : null}
          {canManage ? (
            <AddKnowledge
              tab={tab}
              onTabChange={setTab}
              onAdded={(source) => {
                if (source) upsert(source);
                void reload();
              }}
            />
          ) : null}
          {isEmpty ? null : list}
        </div>
        <div className="min-w-0">
          <KnowledgeSearch hasKnowledge={hasReady} />
        </div>
      </div>
    </div>
  );
}
