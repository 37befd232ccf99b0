"use client";

import Link from "next/link";
import { useCallback, useEffect, useMemo, useState, type FormEvent } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { StatusBadge } from "@/components/knowledge/source-bits";
import { useKnowledgeSources, useNow } from "@/components/knowledge/use-knowledge-sources";
import { Alert } from "@/components/ui/alert";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card, CardBody, CardFooter } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, Input, Select } from "@/components/ui/field";
import { AlertIcon, ArrowLeftIcon, BookIcon } from "@/components/ui/icons";
import { ProgressBar } from "@/components/ui/progress";
import { Skeleton } from "@/components/ui/spinner";
import { ApiError, errorMessage } from "@/lib/api";
import { useConfig } from "@/lib/config-context";
import { formatRelative, plural } from "@/lib/format";
import {
  REFRESH_SCHEDULES,
  changesRecrawl,
  failureReason,
  hostAndPath,
  isActive,
  progressOf,
  scheduleLabel,
  websiteChanges,
  websiteSettingsApi,
  type WebsiteChanges,
  type WebsiteSource,
} from "@/lib/knowledge";
import { useSupabase } from "@/lib/supabase/client";

type Form = Required<WebsiteChanges>;
type Loaded = { source: WebsiteSource | null; error: ApiError | null };

const FIELDS = ["title", "url", "include_path_prefix", "max_pages", "max_depth", "refresh_interval_hours"] as const;

function formOf(source: WebsiteSource): Form {
  return {
    title: source.title ?? "",
    url: source.url ?? "",
    include_path_prefix: source.include_path_prefix ?? "",
    max_pages: source.max_pages ?? 200,
    max_depth: source.max_depth ?? 5,
    refresh_interval_hours: source.refresh_interval_hours,
  };
}

function useWebsiteSettingsApi() {
  const { apiUrl } = useConfig();
  const supabase = useSupabase();
  return useMemo(
    () =>
      websiteSettingsApi(apiUrl, async () => {
        const { data } = await supabase.auth.getSession();
        return data.session?.access_token ?? null;
      }),
    [apiUrl, supabase],
  );
}

export function WebsiteSettings({ sourceId }: { sourceId: string }) {
  const { workspace } = useWorkspace();
  const api = useWebsiteSettingsApi();
  const canManage = workspace.can_manage;
  const back = `/w/${workspace.id}/knowledge`;
  const [loaded, setLoaded] = useState<Loaded>({ source: null, error: null });
  const [form, setForm] = useState<Form | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<ApiError | string | null>(null);
  const [savedNote, setSavedNote] = useState<string | null>(null);
  const { sources, reload: reloadSources } = useKnowledgeSources("website-settings");
  const now = useNow();

  const load = useCallback(async () => {
    try {
      const next = await api.website(workspace.id, sourceId);
      if (next.kind !== "website") throw new ApiError(404, "not_found", "That website was not found.");
      setLoaded({ source: next, error: null });
      setForm(formOf(next));
    } catch (error) {
      setLoaded((previous) => ({
        source: previous.source,
        error: error instanceof ApiError ? error : new ApiError(0, "error", errorMessage(error)),
      }));
    }
  }, [api, workspace.id, sourceId]);

  useEffect(() => {
    void load();
  }, [load]);

  const source = loaded.source;
  const changes = source && form ? websiteChanges(source, form) : {};
  const dirty = Object.keys(changes).length > 0;

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!source || !dirty || saving) return;
    setSaving(true);
    setSaveError(null);
    setSavedNote(null);
    try {
      const next = await api.updateWebsite(workspace.id, sourceId, changes);
      setLoaded({ source: next, error: null });
      setForm(formOf(next));
      setSavedNote(changesRecrawl(changes) ? "Saved. The site is being crawled again with the new settings." : "Saved.");
      void reloadSources();
    } catch (caught) {
      setSaveError(caught instanceof ApiError ? caught : errorMessage(caught));
    } finally {
      setSaving(false);
    }
  }

  const backLink = (
    <Link href={back} className="mb-3 inline-flex items-center gap-1.5 text-sm font-medium text-slate-500 hover:text-slate-800">
      <ArrowLeftIcon className="size-4" />
      Knowledge
    </Link>
  );

  if (!source || !form) {
    const missing = loaded.error && [403, 404, 422].includes(loaded.error.status);
    return (
      <div data-testid="website-page">
        {backLink}
        {loaded.error ? (
          <Card>
            <EmptyState
              icon={missing ? <BookIcon className="size-5" /> : <AlertIcon className="size-5" />}
              title={missing ? "This website isn't available" : "We couldn't load this website"}
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
              testId="website-unavailable"
            />
          </Card>
        ) : (
          <div aria-busy="true" aria-label="Loading website" className="space-y-4">
            <Skeleton className="h-8 w-72" />
            <Skeleton className="h-96" />
          </div>
        )}
      </div>
    );
  }

  // The live row (status, progress) is fresher than the loaded copy once the crawl moves.
  const live = sources?.find((item) => item.id === sourceId) ?? null;
  const current = live && new Date(live.updated_at).getTime() >= new Date(source.updated_at).getTime() ? live : source;
  const working = isActive(current);
  const progress = progressOf(current);
  const fieldError = (name: (typeof FIELDS)[number]) =>
    saveError instanceof ApiError && saveError.field === name ? saveError.message : undefined;
  const generalError =
    saveError && !(saveError instanceof ApiError && FIELDS.some((name) => name === saveError.field))
      ? errorMessage(saveError)
      : null;
  const schedules: Array<{ value: string; label: string }> = REFRESH_SCHEDULES.map((item) => ({
    value: item.value,
    label: item.label,
  }));
  const hours = form.refresh_interval_hours;
  if (hours && !schedules.some((item) => item.value === String(hours))) {
    schedules.push({ value: String(hours), label: scheduleLabel(hours) ?? `Every ${plural(hours, "hour")}` });
  }
  const set = <K extends keyof Form>(name: K, value: Form[K]) => setForm({ ...form, [name]: value });
  const number = (value: string, fallback: number) => (value.trim() === "" ? fallback : Math.trunc(Number(value)));

  const statusLine = (
    <span className="flex flex-wrap items-center gap-x-2 gap-y-1" data-testid="website-status" data-status={current.status}>
      <StatusBadge status={current.status} />
      {current.status === "ready" ? (
        <span>
          {plural(current.chunk_count, "passage")} the AI can use
          {current.last_refreshed_at ? ` · crawled ${formatRelative(current.last_refreshed_at, now)}` : null}
        </span>
      ) : working ? (
        <span>{progress.text ?? "Waiting to crawl…"}</span>
      ) : current.status === "failed" ? (
        <span className="text-red-700">{failureReason({ status_detail: current.status_detail, kind: "website" })}</span>
      ) : null}
    </span>
  );

  return (
    <div data-testid="website-page">
      {backLink}
      <PageHeader title={source.title || hostAndPath(source.url ?? "")} description={statusLine} />
      <form onSubmit={(event) => void save(event)} data-testid="website-settings-form">
        <Card>
          <CardBody className="space-y-5">
            {canManage ? null : (
              <Alert tone="info" testId="website-read-only">
                Only workspace admins can change how this site is crawled.
              </Alert>
            )}
            {generalError ? <Alert tone="error">{generalError}</Alert> : null}
            {savedNote ? (
              <Alert tone="success" testId="website-saved">
                {savedNote}
              </Alert>
            ) : null}
            {working ? <ProgressBar value={progress.fraction} label="Crawling the site" /> : null}
            <fieldset disabled={!canManage || saving} className="grid gap-5 sm:grid-cols-2">
              <Field label="Name" error={fieldError("title")} className="sm:col-span-2">
                <Input
                  name="title"
                  required
                  maxLength={200}
                  value={form.title}
                  onChange={(event) => set("title", event.target.value)}
                  data-testid="website-title"
                />
              </Field>
              <Field label="Start address" hint="Where the crawl starts." error={fieldError("url")} className="sm:col-span-2">
                <Input
                  name="url"
                  type="url"
                  required
                  maxLength={2048}
                  value={form.url}
                  onChange={(event) => set("url", event.target.value)}
                  data-testid="website-url"
                />
              </Field>
              <Field
                label="Stay under this path"
                hint="Only pages whose address starts with this path are read, e.g. /hc/en-us. Leave empty for the start page's folder."
                error={fieldError("include_path_prefix")}
                className="sm:col-span-2"
              >
                <Input
                  name="include_path_prefix"
                  maxLength={1024}
                  placeholder="/help"
                  value={form.include_path_prefix}
                  onChange={(event) => set("include_path_prefix", event.target.value)}
                  data-testid="website-path"
                />
              </Field>
              <Field label="At most this many pages" error={fieldError("max_pages")}>
                <Input
                  name="max_pages"
                  type="number"
                  min={1}
                  max={10000}
                  required
                  value={form.max_pages}
                  onChange={(event) => set("max_pages", number(event.target.value, 0))}
                  data-testid="website-max-pages"
                />
              </Field>
              <Field label="Links to follow from the start page" error={fieldError("max_depth")}>
                <Input
                  name="max_depth"
                  type="number"
                  min={0}
                  max={50}
                  required
                  value={form.max_depth}
                  onChange={(event) => set("max_depth", number(event.target.value, -1))}
                  data-testid="website-max-depth"
                />
              </Field>
              <Field label="Refresh" error={fieldError("refresh_interval_hours")} className="sm:col-span-2">
                <Select
                  name="refresh_interval_hours"
                  value={hours ? String(hours) : ""}
                  onChange={(event) => set("refresh_interval_hours", event.target.value ? Number(event.target.value) : null)}
                  data-testid="website-refresh"
                >
                  {schedules.map((item) => (
                    <option key={item.value} value={item.value}>
                      {item.label}
                    </option>
                  ))}
                </Select>
              </Field>
            </fieldset>
          </CardBody>
          {canManage ? (
            <CardFooter>
              <span className="mr-auto text-[13px] text-slate-500" aria-live="polite" data-testid="website-save-state">
                {dirty
                  ? changesRecrawl(changes)
                    ? "Saving re-crawls the site; what is indexed now stays searchable meanwhile."
                    : "Unsaved changes"
                  : null}
              </span>
              {dirty ? (
                <Button
                  variant="ghost"
                  onClick={() => {
                    setForm(formOf(source));
                    setSaveError(null);
                  }}
                >
                  Discard
                </Button>
              ) : null}
              <Button type="submit" loading={saving} disabled={!dirty || !form.title.trim() || !form.url.trim()} data-testid="website-save">
                Save
              </Button>
            </CardFooter>
          ) : null}
        </Card>
      </form>
    </div>
  );
}
