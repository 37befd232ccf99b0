"use client";

import Link from "next/link";
import { useId, useState, type FormEvent } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { MarkdownEditor } from "@/components/knowledge/markdown-editor";
import { UploadDocuments } from "@/components/knowledge/upload-documents";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Field, Input, Select } from "@/components/ui/field";
import { FileTextIcon, GlobeIcon, PenIcon } from "@/components/ui/icons";
import { TabPanel, Tabs, useTabsId } from "@/components/ui/tabs";
import { ApiError, errorMessage, type KnowledgeSource } from "@/lib/api";
import { REFRESH_SCHEDULES, hostAndPath } from "@/lib/knowledge";

export type AddTab = "website" | "article" | "document";

export function AddKnowledge({
  tab,
  onTabChange,
  onAdded,
}: {
  tab: AddTab;
  onTabChange: (tab: AddTab) => void;
  /** A source was created: show it now, then reload. */
  onAdded: (source: KnowledgeSource | null) => void;
}) {
  const tabsId = useTabsId();
  return (
    <Card id="add-knowledge" data-testid="add-knowledge">
      <CardHeader
        title="Add knowledge"
        description="The AI agent answers callers only from what you add here."
      />
      <CardBody className="space-y-5">
        <Tabs
          items={[
            {
              value: "website",
              label: <ResponsiveLabel short="Website" long="Crawl a help center" />,
              icon: <GlobeIcon className="size-4 max-sm:hidden" />,
              testId: "add-tab-website",
            },
            {
              value: "article",
              label: <ResponsiveLabel short="Article" long="Write an article" />,
              icon: <PenIcon className="size-4 max-sm:hidden" />,
              testId: "add-tab-article",
            },
            {
              value: "document",
              label: <ResponsiveLabel short="Documents" long="Upload documents" />,
              icon: <FileTextIcon className="size-4 max-sm:hidden" />,
              testId: "add-tab-document",
            },
          ]}
          value={tab}
          onChange={onTabChange}
          label="Kind of knowledge to add"
          idBase={tabsId}
        />
        {/* All three stay mounted, so switching tabs keeps what was typed and uploads going. */}
        <TabPanel idBase={tabsId} value="website" className={tab === "website" ? undefined : "hidden"}>
          <WebsiteForm onAdded={onAdded} />
        </TabPanel>
        <TabPanel idBase={tabsId} value="article" className={tab === "article" ? undefined : "hidden"}>
          <ArticleForm onAdded={onAdded} />
        </TabPanel>
        <TabPanel idBase={tabsId} value="document" className={tab === "document" ? undefined : "hidden"}>
          <UploadDocuments onUploaded={() => onAdded(null)} />
        </TabPanel>
      </CardBody>
    </Card>
  );
}

function ResponsiveLabel({ short, long }: { short: string; long: string }) {
  return (
    <>
      <span className="sm:hidden">{short}</span>
      <span className="max-sm:hidden">{long}</span>
    </>
  );
}

/** "help.acme.com" → "https://help.acme.com"; anything with a scheme is left to the server. */
function normalizeUrl(value: string): string {
  const trimmed = value.trim();
  if (!trimmed) return trimmed;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
}

function WebsiteForm({ onAdded }: { onAdded: (source: KnowledgeSource) => void }) {
  const { api, workspace } = useWorkspace();
  const [url, setUrl] = useState("");
  const [maxPages, setMaxPages] = useState("200");
  const [maxDepth, setMaxDepth] = useState("");
  const [schedule, setSchedule] = useState<string>("168");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [added, setAdded] = useState<KnowledgeSource | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setAdded(null);
    try {
      const hours = REFRESH_SCHEDULES.find((item) => item.value === schedule)?.hours ?? null;
      const source = await api.addWebsite(workspace.id, {
        url: normalizeUrl(url),
        max_pages: maxPages ? Number(maxPages) : undefined,
        max_depth: maxDepth ? Number(maxDepth) : undefined,
        refresh_interval_hours: hours,
      });
      setAdded(source);
      setUrl("");
      onAdded(source);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  const fieldError = (name: string) => (error instanceof ApiError && error.field === name ? error.message : undefined);
  const urlError = fieldError("url");
  const pagesError = fieldError("max_pages");
  const depthError = fieldError("max_depth");
  const scheduleError = fieldError("refresh_interval_hours");
  const generalError = error && !urlError && !pagesError && !depthError && !scheduleError ? errorMessage(error) : null;

  return (
    <form onSubmit={onSubmit} className="space-y-4" data-testid="website-form" noValidate>
      <p className="text-sm text-slate-600">
        We read the pages of your help center (same site, under the address you give), keep the article text and
        leave out menus, footers and cookie banners. Sitemaps and robots.txt are honored.
      </p>
      {generalError ? <Alert tone="error">{generalError}</Alert> : null}
      {added ? (
        <Alert tone="success" testId="website-added">
          Crawling {hostAndPath(added.url ?? "")}. Its progress shows in the list of sources.
        </Alert>
      ) : null}
      <Field label="Help center address" error={urlError} hint="For example https://help.example.com or https://example.com/support">
        <Input
          type="url"
          inputMode="url"
          name="url"
          required
          autoComplete="url"
          placeholder="https://help.example.com"
          value={url}
          onChange={(event) => setUrl(event.target.value)}
          data-testid="website-url"
        />
      </Field>
      <div className="grid grid-cols-2 gap-4 sm:grid-cols-3">
        <Field label="Pages at most" error={pagesError}>
          <Input
            type="number"
            name="max_pages"
            min={1}
            max={10000}
            inputMode="numeric"
            value={maxPages}
            onChange={(event) => setMaxPages(event.target.value)}
            data-testid="website-max-pages"
          />
        </Field>
        <Field label="Link depth" error={depthError}>
          <Input
            type="number"
            name="max_depth"
            min={0}
            max={50}
            inputMode="numeric"
            placeholder="5"
            value={maxDepth}
            onChange={(event) => setMaxDepth(event.target.value)}
            data-testid="website-max-depth"
          />
        </Field>
        <Field label="Keep it fresh" error={scheduleError} className="col-span-2 sm:col-span-1">
          <Select name="refresh" value={schedule} onChange={(event) => setSchedule(event.target.value)} data-testid="website-schedule">
            {REFRESH_SCHEDULES.map((item) => (
              <option key={item.value} value={item.value}>
                {item.label}
              </option>
            ))}
          </Select>
        </Field>
      </div>
      <div className="flex justify-end">
        <Button type="submit" loading={pending} disabled={!url.trim()} data-testid="website-submit">
          <GlobeIcon className="size-4" />
          Start crawling
        </Button>
      </div>
    </form>
  );
}

const ARTICLE_PLACEHOLDER = `## Returns

You can return any item within 30 days of delivery.

- Start the return from **Orders** in your account.
- Refunds reach your card within 5 business days.`;

function ArticleForm({ onAdded }: { onAdded: (source: KnowledgeSource) => void }) {
  const { api, workspace } = useWorkspace();
  const [title, setTitle] = useState("");
  const [body, setBody] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [added, setAdded] = useState<KnowledgeSource | null>(null);
  const bodyId = useId();

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setAdded(null);
    try {
      const source = await api.createArticle(workspace.id, title.trim(), body);
      setAdded(source);
      setTitle("");
      setBody("");
      onAdded(source);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  const titleError = error instanceof ApiError && error.field === "title" ? error.message : undefined;
  const bodyError = error instanceof ApiError && error.field === "body_markdown" ? error.message : undefined;
  const generalError = error && !titleError && !bodyError ? errorMessage(error) : null;

  return (
    <form onSubmit={onSubmit} className="space-y-4" data-testid="article-form">
      <p className="text-sm text-slate-600">
        Write what callers ask that your documents don&apos;t cover. Headings split the article into sections the AI
        can quote on their own.
      </p>
      {generalError ? <Alert tone="error">{generalError}</Alert> : null}
      {added ? (
        <Alert tone="success" testId="article-added">
          “{added.title}” is saved and being indexed.{" "}
          <Link href={`/w/${workspace.id}/knowledge/articles/${added.id}`} className="font-medium underline underline-offset-2">
            Open it
          </Link>
        </Alert>
      ) : null}
      <Field label="Title" error={titleError}>
        <Input
          name="title"
          required
          maxLength={200}
          placeholder="Returns and refunds"
          value={title}
          onChange={(event) => setTitle(event.target.value)}
          data-testid="article-title"
        />
      </Field>
      <div className="space-y-1.5">
        <label htmlFor={bodyId} className="block text-sm font-medium text-slate-800">
          Article
        </label>
        <MarkdownEditor
          id={bodyId}
          value={body}
          onChange={setBody}
          invalid={Boolean(bodyError)}
          describedBy={`${bodyId}-note`}
          placeholder={ARTICLE_PLACEHOLDER}
          testId="article-body"
        />
        <p id={`${bodyId}-note`} className={bodyError ? "text-[13px] text-red-600" : "text-[13px] text-slate-500"}>
          {bodyError ?? "Markdown: ## for headings, **bold**, - for lists, [text](link)."}
        </p>
      </div>
      <div className="flex justify-end">
        <Button type="submit" loading={pending} disabled={!title.trim() || !body.trim()} data-testid="article-submit">
          <PenIcon className="size-4" />
          Save article
        </Button>
      </div>
    </form>
  );
}
