"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useId, useState, type FormEvent } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { Markdown } from "@/components/knowledge/markdown";
import { MarkdownEditor } from "@/components/knowledge/markdown-editor";
import { StatusBadge } from "@/components/knowledge/source-bits";
import { useKnowledgeSources, useNow } from "@/components/knowledge/use-knowledge-sources";
import { Alert } from "@/components/ui/alert";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardFooter } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, Input } from "@/components/ui/field";
import { AlertIcon, ArrowLeftIcon, BookIcon, TrashIcon } from "@/components/ui/icons";
import { ProgressBar } from "@/components/ui/progress";
import { Skeleton } from "@/components/ui/spinner";
import { ApiError, errorMessage, type KnowledgeArticle } from "@/lib/api";
import { formatRelative, plural } from "@/lib/format";
import { failureReason, isActive } from "@/lib/knowledge";

type Loaded = { article: KnowledgeArticle | null; error: ApiError | null };

export function ArticleEditor({ sourceId }: { sourceId: string }) {
  const { api, workspace } = useWorkspace();
  const router = useRouter();
  const canManage = workspace.can_manage;
  const back = `/w/${workspace.id}/knowledge`;
  const [loaded, setLoaded] = useState<Loaded>({ article: null, error: null });
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | string | null>(null);
  const [savedAt, setSavedAt] = useState<number | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deletePending, setDeletePending] = useState(false);
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const { sources, reload: reloadSources } = useKnowledgeSources("article");
  const now = useNow();
  const bodyId = useId();

  const article = loaded.article;
  const dirty = article !== null && (title !== article.title || body !== article.body_markdown);

  const load = useCallback(async () => {
    try {
      const next = await api.article(workspace.id, sourceId);
      setLoaded({ article: next, error: null });
      setTitle(next.title);
      setBody(next.body_markdown);
    } catch (error) {
      setLoaded((previous) => ({
        article: previous.article,
        error: error instanceof ApiError ? error : new ApiError(0, "error", errorMessage(error)),
      }));
    }
  }, [api, workspace.id, sourceId]);

  useEffect(() => {
    void load();
  }, [load]);

  // The live row of this article (status, passages, progress), fresher than the loaded copy.
  const live = sources?.find((source) => source.id === sourceId) ?? null;
  const goneLive = sources !== null && article !== null && live === null && !deletePending;

  // Someone else saved it while it is open here, and nothing is typed: show their version.
  const liveUpdatedAt = live?.updated_at ?? null;
  useEffect(() => {
    if (!article || dirty || saving || !liveUpdatedAt) return;
    if (new Date(liveUpdatedAt).getTime() > new Date(article.updated_at).getTime() + 1000) void load();
  }, [liveUpdatedAt, article, dirty, saving, load]);

  useEffect(() => {
    if (!dirty) return;
    function onBeforeUnload(event: BeforeUnloadEvent) {
      event.preventDefault();
    }
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [dirty]);

  async function save() {
    if (!article || saving) return;
    setSaving(true);
    setSaveError(null);
    try {
      const next = await api.updateArticle(workspace.id, sourceId, title.trim(), body);
      setLoaded({ article: next, error: null });
      setTitle(next.title);
      setBody(next.body_markdown);
      setSavedAt(Date.now());
      void reloadSources();
    } catch (caught) {
      setSaveError(caught instanceof ApiError ? caught : errorMessage(caught));
    } finally {
      setSaving(false);
    }
  }

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    void save();
  }

  async function confirmDelete() {
    setDeletePending(true);
    setDeleteError(null);
    try {
      await api.deleteKnowledgeSource(workspace.id, sourceId);
      router.replace(back);
    } catch (caught) {
      setDeleteError(errorMessage(caught));
      setDeletePending(false);
    }
  }

  const backLink = (
    <Link href={back} className="mb-3 inline-flex items-center gap-1.5 text-sm font-medium text-slate-500 hover:text-slate-800">
      <ArrowLeftIcon className="size-4" />
      Knowledge
    </Link>
  );

  if (!article) {
    const missing = loaded.error && [403, 404, 422].includes(loaded.error.status);
    return (
      <div data-testid="article-page">
        {backLink}
        {loaded.error ? (
          <Card>
            <EmptyState
              icon={missing ? <BookIcon className="size-5" /> : <AlertIcon className="size-5" />}
              title={missing ? "This article isn't available" : "We couldn't load this article"}
              description={missing ? "It may have been deleted." : loaded.error.message}
              action={
                missing ? (
                  <ButtonLink href={back}>Back to knowledge</ButtonLink>
                ) : (
                  <Button variant="secondary" onClick={() => void load()}>
                    Try again
                  </Button>
                )
              }
              testId="article-unavailable"
            />
          </Card>
        ) : (
          <div aria-busy="true" aria-label="Loading article" className="space-y-4">
            <Skeleton className="h-8 w-72" />
            <Skeleton className="h-96" />
          </div>
        )}
      </div>
    );
  }

  // Whichever copy is newer speaks: the save's answer, or the live row after it.
  const fresh = live && new Date(live.updated_at).getTime() >= new Date(article.updated_at).getTime() ? live : null;
  const status = fresh?.status ?? article.status;
  const chunks = fresh?.chunk_count ?? article.chunk_count;
  const detail = fresh ? fresh.status_detail : article.status_detail;
  const working = isActive({ status });
  const titleError = saveError instanceof ApiError && saveError.field === "title" ? saveError.message : undefined;
  const bodyError = saveError instanceof ApiError && saveError.field === "body_markdown" ? saveError.message : undefined;
  const generalError = saveError && !titleError && !bodyError ? errorMessage(saveError) : null;

  const statusLine = (
    <span className="flex flex-wrap items-center gap-x-2 gap-y-1" data-testid="article-status" data-status={status}>
      <StatusBadge status={status} />
      {status === "ready" ? (
        <span>
          {plural(chunks, "passage")} the AI can use · updated {formatRelative(fresh?.updated_at ?? article.updated_at, now)}
        </span>
      ) : working ? (
        <span>Indexing the latest version…</span>
      ) : status === "failed" ? (
        <span className="text-red-700">{failureReason({ status_detail: detail, kind: "article" })}</span>
      ) : null}
    </span>
  );

  return (
    <div data-testid="article-page">
      {backLink}
      <PageHeader title={article.title || "Untitled article"} description={statusLine} />
      {goneLive ? (
        <Alert tone="warning" className="mb-6" title="This article was deleted" testId="article-deleted">
          Someone removed it from the knowledge base. <Link href={back} className="font-medium underline">Back to knowledge</Link>
        </Alert>
      ) : null}

      {canManage ? (
        <form onSubmit={onSubmit} data-testid="article-edit-form">
          <Card>
            <CardBody className="space-y-5">
              {generalError ? <Alert tone="error">{generalError}</Alert> : null}
              {working ? <ProgressBar value={null} label="Indexing the article" /> : null}
              <Field label="Title" error={titleError}>
                <Input
                  name="title"
                  required
                  maxLength={200}
                  value={title}
                  onChange={(event) => setTitle(event.target.value)}
                  data-testid="article-edit-title"
                />
              </Field>
              <div className="space-y-1.5">
                <label htmlFor={bodyId} className="block text-sm font-medium text-slate-800">
                  Article
                </label>
                <div
                  onKeyDown={(event) => {
                    if ((event.metaKey || event.ctrlKey) && event.key.toLowerCase() === "s") {
                      event.preventDefault();
                      if (dirty) void save();
                    }
                  }}
                >
                  <MarkdownEditor
                    id={bodyId}
                    value={body}
                    onChange={setBody}
                    rows={20}
                    invalid={Boolean(bodyError)}
                    describedBy={`${bodyId}-note`}
                    testId="article-edit-body"
                  />
                </div>
                <p id={`${bodyId}-note`} className={bodyError ? "text-[13px] text-red-600" : "text-[13px] text-slate-500"}>
                  {bodyError ?? "Saving re-indexes the article right away; the AI uses the new version within seconds."}
                </p>
              </div>
            </CardBody>
            <CardFooter>
              <Button
                variant="danger-outline"
                className="mr-auto"
                onClick={() => {
                  setDeleteError(null);
                  setDeleting(true);
                }}
                data-testid="article-delete"
              >
                <TrashIcon className="size-4" />
                Delete
              </Button>
              <div className="flex flex-wrap items-center gap-3">
                <span className="text-[13px] text-slate-500" aria-live="polite" data-testid="article-save-state">
                  {dirty ? "Unsaved changes" : savedAt ? "Saved" : null}
                </span>
                {dirty ? (
                  <Button
                    variant="ghost"
                    onClick={() => {
                      setTitle(article.title);
                      setBody(article.body_markdown);
                      setSaveError(null);
                    }}
                  >
                    Discard
                  </Button>
                ) : null}
                <Button type="submit" loading={saving} disabled={!dirty || !title.trim() || !body.trim()} data-testid="article-save">
                  Save
                </Button>
              </div>
            </CardFooter>
          </Card>
        </form>
      ) : (
        <Card data-testid="article-read-only">
          <CardBody>
            <Markdown className="max-w-3xl">{article.body_markdown}</Markdown>
          </CardBody>
        </Card>
      )}

      <Dialog
        open={deleting}
        onClose={() => setDeleting(false)}
        title={`Delete “${article.title}”?`}
        description={
          chunks > 0
            ? `Its ${plural(chunks, "passage")} will be removed from the AI's knowledge right away, so the AI agent will no longer answer from this article. This can't be undone.`
            : "Its passages will be removed from the AI's knowledge right away, so the AI agent will no longer answer from this article. This can't be undone."
        }
        size="sm"
        tone="danger"
        testId="delete-source-dialog"
        footer={
          <>
            <Button variant="secondary" onClick={() => setDeleting(false)} data-autofocus>
              Keep it
            </Button>
            <Button variant="danger" loading={deletePending} onClick={() => void confirmDelete()} data-testid="delete-source-confirm">
              Delete article
            </Button>
          </>
        }
      >
        {deleteError ? <Alert tone="error">{deleteError}</Alert> : null}
      </Dialog>
    </div>
  );
}
