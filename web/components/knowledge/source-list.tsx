"use client";

import Link from "next/link";
import { useState, type ReactNode } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { KindTile, StatusBadge } from "@/components/knowledge/source-bits";
import { useNow } from "@/components/knowledge/use-knowledge-sources";
import { Alert } from "@/components/ui/alert";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { ExternalLinkIcon, MoreIcon, PenIcon, RefreshIcon, StopIcon, TrashIcon } from "@/components/ui/icons";
import { Menu, MenuItem, MenuSeparator } from "@/components/ui/menu";
import { ProgressBar } from "@/components/ui/progress";
import { Skeleton } from "@/components/ui/spinner";
import type { ApiError, KnowledgeSource, KnowledgeSourceKind } from "@/lib/api";
import { errorMessage } from "@/lib/api";
import { cn } from "@/lib/cn";
import { formatRelative, plural } from "@/lib/format";
import {
  KIND_LABELS,
  crawlIssues,
  failureReason,
  hostAndPath,
  isActive,
  progressOf,
  scheduleLabel,
  sourceName,
} from "@/lib/knowledge";

type Filter = "all" | KnowledgeSourceKind;

const FILTERS: Filter[] = ["all", "website", "article", "document"];

export function SourceList({
  sources,
  error,
  loading,
  onReload,
  onRemoved,
  empty,
}: {
  sources: KnowledgeSource[] | null;
  error: ApiError | null;
  loading: boolean;
  onReload: () => Promise<void>;
  onRemoved: (sourceId: string) => void;
  /** What to show when the workspace has no knowledge yet. */
  empty: ReactNode;
}) {
  const [filter, setFilter] = useState<Filter>("all");
  const [deleting, setDeleting] = useState<KnowledgeSource | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const now = useNow();

  const list = sources ?? [];
  const counts: Record<Filter, number> = {
    all: list.length,
    website: list.filter((source) => source.kind === "website").length,
    article: list.filter((source) => source.kind === "article").length,
    document: list.filter((source) => source.kind === "document").length,
  };
  const shown = filter === "all" ? list : list.filter((source) => source.kind === filter);
  const passages = list.reduce((sum, source) => sum + (source.status === "ready" ? source.chunk_count : 0), 0);
  const working = list.filter(isActive).length;

  let body: ReactNode;
  if (loading && !sources) {
    body = <ListSkeleton />;
  } else if (error && !sources) {
    body = (
      <EmptyState
        title="We couldn't load the knowledge sources"
        description={error.message}
        action={
          <Button variant="secondary" onClick={() => void onReload()}>
            Try again
          </Button>
        }
        testId="knowledge-load-error"
      />
    );
  } else if (list.length === 0) {
    body = empty;
  } else if (shown.length === 0) {
    body = (
      <EmptyState
        title={`No ${KIND_LABELS[filter as KnowledgeSourceKind].many.toLowerCase()} yet`}
        description="Pick another filter to see the rest of this workspace's knowledge."
        className="py-8"
      />
    );
  } else {
    body = (
      <ul className="divide-y divide-slate-100" data-testid="knowledge-sources">
        {shown.map((source) => (
          <SourceRow
            key={source.id}
            source={source}
            now={now}
            onError={setActionError}
            onReload={onReload}
            onDelete={() => {
              setActionError(null);
              setDeleting(source);
            }}
          />
        ))}
      </ul>
    );
  }

  return (
    <Card>
      <CardHeader
        title="Sources"
        titleId="knowledge-sources-title"
        description={
          list.length > 0 ? (
            <span data-testid="knowledge-summary">
              {plural(list.length, "source")} · {plural(passages, "passage")} the AI can use
              {working > 0 ? ` · ${working} being processed` : ""}
            </span>
          ) : (
            "Everything the AI agent of this workspace answers from."
          )
        }
      />
      {list.length > 0 ? (
        <div className="flex gap-1.5 overflow-x-auto border-b border-slate-100 px-5 py-2.5 sm:px-6" role="group" aria-label="Show">
          {FILTERS.map((value) => (
            <button
              key={value}
              type="button"
              aria-pressed={filter === value}
              onClick={() => setFilter(value)}
              data-testid={`knowledge-filter-${value}`}
              className={cn(
                "inline-flex h-7 items-center gap-1.5 rounded-full px-3 text-[13px] font-medium whitespace-nowrap ring-1 ring-inset transition-colors",
                filter === value
                  ? "bg-slate-900 text-white ring-slate-900"
                  : "bg-white text-slate-600 ring-slate-200 hover:bg-slate-50 hover:text-slate-900",
              )}
            >
              {value === "all" ? "All" : KIND_LABELS[value].many}
              <span className={cn("tabular-nums", filter === value ? "text-slate-300" : "text-slate-400")}>{counts[value]}</span>
            </button>
          ))}
        </div>
      ) : null}
      {actionError ? (
        <div className="px-5 pt-4 sm:px-6">
          <Alert tone="error">{actionError}</Alert>
        </div>
      ) : null}
      {body}
      <DeleteSourceDialog
        source={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(sourceId) => {
          setDeleting(null);
          onRemoved(sourceId);
          void onReload();
        }}
      />
    </Card>
  );
}

function SourceRow({
  source,
  now,
  onError,
  onReload,
  onDelete,
}: {
  source: KnowledgeSource;
  now: number;
  onError: (message: string | null) => void;
  onReload: () => Promise<void>;
  onDelete: () => void;
}) {
  const { api, workspace } = useWorkspace();
  const canManage = workspace.can_manage;
  const [busy, setBusy] = useState<"refresh" | "cancel" | null>(null);
  const name = sourceName(source);
  const active = isActive(source);
  const articleHref = `/w/${workspace.id}/knowledge/articles/${source.id}`;

  async function run(action: "refresh" | "cancel") {
    setBusy(action);
    onError(null);
    try {
      if (action === "refresh") await api.refreshKnowledgeSource(workspace.id, source.id);
      else await api.cancelKnowledgeSource(workspace.id, source.id);
      await onReload();
    } catch (caught) {
      onError(errorMessage(caught));
    } finally {
      setBusy(null);
    }
  }

  const canRefresh = !active && (source.kind === "website" || source.status === "failed" || source.status === "cancelled");
  const refreshLabel = source.status === "failed" ? "Retry" : source.kind === "website" ? "Refresh now" : "Process again";

  return (
    <li
      className="flex items-start gap-3 px-5 py-4 sm:gap-4 sm:px-6"
      data-testid="knowledge-source"
      data-source-id={source.id}
      data-kind={source.kind}
      data-status={source.status}
      data-title={name}
    >
      <KindTile kind={source.kind} />
      <div className="min-w-0 flex-1">
        <div className="flex flex-wrap items-center gap-x-2 gap-y-1">
          {source.kind === "article" ? (
            <Link
              href={articleHref}
              className="truncate text-sm font-semibold text-slate-900 hover:text-brand-700"
              data-testid="knowledge-source-title"
            >
              {name}
            </Link>
          ) : (
            <span className="truncate text-sm font-semibold text-slate-900" data-testid="knowledge-source-title">
              {name}
            </span>
          )}
          <StatusBadge status={source.status} />
        </div>
        <SourceSubtitle source={source} />
        <SourceStatusLine source={source} now={now} />
      </div>
      <div className="flex shrink-0 items-center gap-1 sm:gap-1.5">
        {source.kind === "article" ? (
          <ButtonLink
            href={articleHref}
            size="sm"
            variant="ghost"
            aria-label={`${canManage ? "Edit" : "Read"} ${name}`}
            data-testid="knowledge-source-open"
          >
            <PenIcon className="size-3.5" />
            <span className="max-sm:hidden">{canManage ? "Edit" : "Read"}</span>
          </ButtonLink>
        ) : null}
        {canManage && active ? (
          <Button
            size="sm"
            variant="secondary"
            loading={busy === "cancel"}
            onClick={() => void run("cancel")}
            aria-label={`Cancel processing ${name}`}
            data-testid="knowledge-source-cancel"
          >
            {busy === "cancel" ? null : <StopIcon className="size-3.5" />}
            <span className="max-sm:hidden">Cancel</span>
          </Button>
        ) : null}
        {canManage && source.status === "failed" ? (
          <Button
            size="sm"
            variant="secondary"
            loading={busy === "refresh"}
            onClick={() => void run("refresh")}
            aria-label={`Retry ${name}`}
            data-testid="knowledge-source-retry"
          >
            {busy === "refresh" ? null : <RefreshIcon className="size-3.5" />}
            <span className="max-sm:hidden">Retry</span>
          </Button>
        ) : null}
        {canManage ? (
          <Menu
            label={`Actions for ${name}`}
            triggerLabel={`More actions for ${name}`}
            align="end"
            testId="knowledge-source-menu"
            triggerClassName="inline-flex size-8 items-center justify-center rounded-lg text-slate-500 hover:bg-slate-100 hover:text-slate-800 aria-expanded:bg-slate-100"
            trigger={<MoreIcon className="size-4" />}
            menuClassName="min-w-48"
          >
            {canRefresh ? (
              <MenuItem onSelect={() => void run("refresh")} testId="knowledge-source-refresh">
                <RefreshIcon className="size-4 text-slate-400" />
                {refreshLabel}
              </MenuItem>
            ) : null}
            {source.kind === "website" ? (
              <MenuItem href={`/w/${workspace.id}/knowledge/websites/${source.id}`} testId="knowledge-source-settings">
                <PenIcon className="size-4 text-slate-400" />
                Crawl settings
              </MenuItem>
            ) : null}
            {source.kind === "website" && source.url ? (
              <MenuItem
                onSelect={() => window.open(source.url ?? "", "_blank", "noopener,noreferrer")}
                testId="knowledge-source-visit"
              >
                <ExternalLinkIcon className="size-4 text-slate-400" />
                Open the site
              </MenuItem>
            ) : null}
            {canRefresh || source.kind === "website" ? <MenuSeparator /> : null}
            <MenuItem onSelect={onDelete} testId="knowledge-source-delete" className="text-red-700 hover:bg-red-50 focus:bg-red-50">
              <TrashIcon className="size-4" />
              Delete…
            </MenuItem>
          </Menu>
        ) : null}
      </div>
    </li>
  );
}

function SourceSubtitle({ source }: { source: KnowledgeSource }) {
  if (source.kind === "website" && source.url) {
    const schedule = scheduleLabel(source.refresh_interval_hours);
    return (
      <p className="mt-0.5 flex min-w-0 items-center gap-1.5 text-[13px] text-slate-500">
        <a
          href={source.url}
          target="_blank"
          rel="noopener noreferrer"
          className="truncate hover:text-brand-700 hover:underline"
        >
          {hostAndPath(source.url)}
        </a>
        {schedule ? (
          <>
            <span aria-hidden="true">·</span>
            <span className="whitespace-nowrap">{schedule}</span>
          </>
        ) : null}
      </p>
    );
  }
  if (source.kind === "document" && source.file_name && source.file_name !== sourceName(source)) {
    return <p className="mt-0.5 truncate text-[13px] text-slate-500">{source.file_name}</p>;
  }
  return null;
}

function SourceStatusLine({ source, now }: { source: KnowledgeSource; now: number }) {
  if (source.status === "queued" || source.status === "processing") {
    const progress = progressOf(source);
    const text = source.status === "queued" ? (source.status_detail ?? "Waiting to start…") : progress.text;
    return (
      <div className="mt-2.5 max-w-md space-y-1.5" data-testid="knowledge-source-progress">
        <ProgressBar
          value={source.status === "queued" ? 0 : progress.fraction}
          label={`Progress of ${sourceName(source)}`}
        />
        <p className="text-[13px] text-slate-500">
          {text}
          {source.status === "processing" && source.status_detail && source.status_detail !== text ? (
            <span className="text-slate-400"> · {source.status_detail}</span>
          ) : null}
        </p>
      </div>
    );
  }
  if (source.status === "failed") {
    return (
      <p className="mt-1.5 text-[13px] leading-relaxed text-red-700" data-testid="knowledge-source-reason">
        {failureReason(source)}
      </p>
    );
  }
  if (source.status === "cancelled") {
    return (
      <p className="mt-1.5 text-[13px] text-slate-500">
        {source.status_detail ?? "Stopped before it finished."}
        {source.chunk_count > 0 ? ` The AI still uses ${plural(source.chunk_count, "passage")} from before.` : ""}
      </p>
    );
  }
  const issues = crawlIssues(source);
  const refreshed = source.last_refreshed_at ?? source.updated_at;
  return (
    <p className="mt-1 text-[13px] text-slate-500" data-testid="knowledge-source-ready">
      <span className="font-medium text-slate-700">{plural(source.chunk_count, "passage")}</span>
      {refreshed ? <span> · {source.kind === "website" ? "refreshed" : "indexed"} {formatRelative(refreshed, now)}</span> : null}
      {issues ? <span className="text-amber-700"> · {issues}</span> : null}
      {source.chunk_count === 0 ? (
        <span className="block text-amber-700">No text was found, so the AI can&apos;t use it.</span>
      ) : null}
    </p>
  );
}

function DeleteSourceDialog({
  source,
  onClose,
  onDeleted,
}: {
  source: KnowledgeSource | null;
  onClose: () => void;
  onDeleted: (sourceId: string) => void;
}) {
  const { api, workspace } = useWorkspace();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    if (!source) return;
    setPending(true);
    setError(null);
    try {
      await api.deleteKnowledgeSource(workspace.id, source.id);
      onDeleted(source.id);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  const what = source ? KIND_LABELS[source.kind].one.toLowerCase() : "source";
  const count = source?.chunk_count ?? 0;
  return (
    <Dialog
      open={source !== null}
      onClose={() => {
        setError(null);
        onClose();
      }}
      title={`Delete “${source ? sourceName(source) : ""}”?`}
      description={
        count > 0
          ? `Its ${plural(count, "passage")} will be removed from the AI's knowledge right away, so the AI agent will no longer answer from this ${what}. This can't be undone.`
          : `Its passages will be removed from the AI's knowledge right away, so the AI agent will no longer answer from this ${what}. This can't be undone.`
      }
      size="sm"
      tone="danger"
      testId="delete-source-dialog"
      footer={
        <>
          <Button variant="secondary" onClick={onClose} data-autofocus>
            Keep it
          </Button>
          <Button variant="danger" loading={pending} onClick={() => void confirm()} data-testid="delete-source-confirm">
            Delete {what}
          </Button>
        </>
      }
    >
      {error ? <Alert tone="error">{error}</Alert> : null}
      {source?.kind === "website" ? (
        <p className="text-sm text-slate-600">The site itself is not touched; we just stop reading it.</p>
      ) : source?.kind === "document" ? (
        <p className="text-sm text-slate-600">The uploaded file is deleted too.</p>
      ) : null}
    </Dialog>
  );
}

function ListSkeleton() {
  return (
    <div className="space-y-5 px-5 py-5 sm:px-6" aria-busy="true" aria-label="Loading sources">
      {[0, 1, 2].map((index) => (
        <div key={index} className="flex items-center gap-4">
          <Skeleton className="size-9 rounded-lg" />
          <div className="flex-1 space-y-2">
            <Skeleton className="h-3.5 w-48" />
            <Skeleton className="h-3 w-72 max-w-full" />
          </div>
        </div>
      ))}
    </div>
  );
}
