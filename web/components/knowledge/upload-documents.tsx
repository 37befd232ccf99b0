"use client";

import { useCallback, useEffect, useRef, useState, type DragEvent } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { Button } from "@/components/ui/button";
import { AlertIcon, CheckCircleIcon, FileTextIcon, RefreshIcon, UploadIcon, XIcon } from "@/components/ui/icons";
import { ProgressBar } from "@/components/ui/progress";
import { errorMessage } from "@/lib/api";
import { cn } from "@/lib/cn";
import { DOCUMENT_ACCEPT, MAX_DOCUMENT_BYTES, checkDocument, formatBytes, uploadToPresignedPost } from "@/lib/upload";

type ItemState = "invalid" | "waiting" | "registering" | "uploading" | "done" | "failed" | "cancelled";

type Item = {
  key: string;
  file: File;
  contentType: string | null;
  state: ItemState;
  /** 0..1 of the bytes sent. */
  progress: number;
  message: string | null;
};

/** Uploads at once; the rest wait their turn. */
const PARALLEL = 3;

let counter = 0;

export function UploadDocuments({ onUploaded }: { onUploaded: () => void }) {
  const { api, workspace } = useWorkspace();
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const controllers = useRef(new Map<string, AbortController>());
  const started = useRef(new Set<string>());
  const onUploadedRef = useRef(onUploaded);
  useEffect(() => {
    onUploadedRef.current = onUploaded;
  });

  const update = useCallback((key: string, patch: Partial<Item>) => {
    setItems((list) => list.map((item) => (item.key === key ? { ...item, ...patch } : item)));
  }, []);

  const start = useCallback(
    async (item: Item) => {
      const controller = new AbortController();
      controllers.current.set(item.key, controller);
      update(item.key, { state: "registering", progress: 0, message: null });
      let sourceId: string | null = null;
      try {
        const created = await api.createUpload(workspace.id, {
          file_name: item.file.name,
          content_type: item.contentType ?? "application/octet-stream",
          byte_size: item.file.size,
        });
        sourceId = created.source_id;
        if (controller.signal.aborted) throw new DOMException("The upload was cancelled.", "AbortError");
        update(item.key, { state: "uploading" });
        let shown = 0;
        await uploadToPresignedPost(created.upload, item.file, {
          signal: controller.signal,
          onProgress: (fraction) => {
            // Re-render only when the percentage moves.
            if (Math.floor(fraction * 100) === Math.floor(shown * 100)) return;
            shown = fraction;
            update(item.key, { progress: fraction });
          },
        });
        update(item.key, { state: "done", progress: 1 });
        onUploadedRef.current();
      } catch (caught) {
        const cancelled = caught instanceof DOMException && caught.name === "AbortError";
        update(item.key, cancelled ? { state: "cancelled", message: "Cancelled." } : { state: "failed", message: errorMessage(caught) });
        // The document was registered but its file never arrived: don't leave it waiting.
        if (sourceId) {
          await api.deleteKnowledgeSource(workspace.id, sourceId).catch(() => undefined);
          onUploadedRef.current();
        }
      } finally {
        controllers.current.delete(item.key);
      }
    },
    [api, workspace.id, update],
  );

  // Starts waiting uploads while fewer than PARALLEL are under way.
  useEffect(() => {
    const running = items.filter((item) => item.state === "registering" || item.state === "uploading").length;
    const next = items.filter((item) => item.state === "waiting").slice(0, Math.max(0, PARALLEL - running));
    for (const item of next) {
      if (started.current.has(item.key)) continue;
      started.current.add(item.key);
      void start(item);
    }
  }, [items, start]);

  useEffect(() => {
    const map = controllers.current;
    return () => {
      for (const controller of map.values()) controller.abort();
    };
  }, []);

  // Leaving the page would stop the uploads under way: ask first.
  const uploading = items.some((item) => item.state === "waiting" || item.state === "registering" || item.state === "uploading");
  useEffect(() => {
    if (!uploading) return;
    function onBeforeUnload(event: BeforeUnloadEvent) {
      event.preventDefault();
    }
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, [uploading]);

  function add(files: FileList | File[]) {
    const added = Array.from(files).map((file): Item => {
      const check = checkDocument(file);
      counter += 1;
      return {
        key: `${counter}-${file.name}`,
        file,
        contentType: check.ok ? check.contentType : null,
        state: check.ok ? "waiting" : "invalid",
        progress: 0,
        message: check.ok ? null : check.reason,
      };
    });
    if (added.length) setItems((list) => [...list, ...added]);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) add(event.dataTransfer.files);
  }

  const finished = items.filter((item) => ["done", "invalid", "cancelled", "failed"].includes(item.state));

  return (
    <div className="space-y-4" data-testid="upload-documents">
      <div
        onDragEnter={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = "copy";
        }}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={onDrop}
        data-testid="upload-dropzone"
        className={cn(
          "flex flex-col items-center justify-center rounded-xl border-2 border-dashed px-6 py-9 text-center transition-colors",
          dragging ? "border-brand-400 bg-brand-50/70" : "border-slate-300 bg-slate-50/50",
        )}
      >
        <span className="mb-3 flex size-11 items-center justify-center rounded-full bg-white text-brand-600 shadow-sm ring-1 ring-slate-200">
          <UploadIcon className="size-5" />
        </span>
        <p className="text-sm font-medium text-slate-800">{dragging ? "Drop to upload" : "Drag PDF and Word files here"}</p>
        <p className="mt-1 text-[13px] text-slate-500">
          .pdf or .docx, up to {formatBytes(MAX_DOCUMENT_BYTES)} each. Scanned PDFs are read too.
        </p>
        <Button variant="secondary" className="mt-4" onClick={() => input.current?.click()} data-testid="upload-choose">
          Choose files
        </Button>
        <input
          ref={input}
          type="file"
          multiple
          accept={DOCUMENT_ACCEPT}
          className="sr-only"
          tabIndex={-1}
          aria-label="Choose documents to upload"
          data-testid="upload-input"
          onChange={(event) => {
            if (event.target.files) add(event.target.files);
            event.target.value = "";
          }}
        />
      </div>

      {items.length > 0 ? (
        <div>
          <ul className="divide-y divide-slate-100 rounded-xl ring-1 ring-slate-200" data-testid="upload-list" aria-live="polite">
            {items.map((item) => (
              <UploadRow
                key={item.key}
                item={item}
                onCancel={() => {
                  const controller = controllers.current.get(item.key);
                  if (controller) controller.abort();
                  else if (item.state === "waiting") update(item.key, { state: "cancelled", message: "Cancelled." });
                }}
                onRetry={() => {
                  started.current.delete(item.key);
                  update(item.key, { state: "waiting", progress: 0, message: null });
                }}
                onDismiss={() => setItems((list) => list.filter((other) => other.key !== item.key))}
              />
            ))}
          </ul>
          {finished.length > 1 ? (
            <div className="mt-2 flex justify-end">
              <Button
                size="sm"
                variant="ghost"
                onClick={() => setItems((list) => list.filter((item) => !finished.includes(item)))}
              >
                Clear finished
              </Button>
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function UploadRow({
  item,
  onCancel,
  onRetry,
  onDismiss,
}: {
  item: Item;
  onCancel: () => void;
  onRetry: () => void;
  onDismiss: () => void;
}) {
  const running = item.state === "registering" || item.state === "uploading" || item.state === "waiting";
  const percent = Math.round(item.progress * 100);
  let status: string;
  if (item.state === "waiting") status = "Waiting…";
  else if (item.state === "registering") status = "Preparing…";
  else if (item.state === "uploading") status = `Uploading · ${percent}%`;
  else if (item.state === "done") status = "Uploaded. Reading it now: follow its progress in the list of sources.";
  else status = item.message ?? "";
  const bad = item.state === "failed" || item.state === "invalid";

  return (
    <li
      className="flex items-start gap-3 px-4 py-3"
      data-testid="upload-item"
      data-file-name={item.file.name}
      data-state={item.state}
    >
      <span
        className={cn(
          "mt-0.5 flex size-8 shrink-0 items-center justify-center rounded-lg",
          bad ? "bg-red-50 text-red-500" : item.state === "done" ? "bg-emerald-50 text-emerald-600" : "bg-slate-100 text-slate-500",
        )}
      >
        {bad ? (
          <AlertIcon className="size-4" />
        ) : item.state === "done" ? (
          <CheckCircleIcon className="size-4" />
        ) : (
          <FileTextIcon className="size-4" />
        )}
      </span>
      <div className="min-w-0 flex-1">
        <div className="flex items-baseline justify-between gap-3">
          <p className="truncate text-sm font-medium text-slate-900">{item.file.name}</p>
          <span className="shrink-0 text-xs text-slate-400 tabular-nums">{formatBytes(item.file.size)}</span>
        </div>
        {item.state === "uploading" || item.state === "registering" ? (
          <ProgressBar
            value={item.state === "registering" ? null : item.progress}
            label={`Upload of ${item.file.name}`}
            className="mt-2"
          />
        ) : null}
        <p
          className={cn("mt-1 text-[13px]", bad ? "text-red-700" : "text-slate-500")}
          data-testid="upload-item-status"
          role={bad ? "alert" : undefined}
        >
          {status}
        </p>
      </div>
      <div className="flex shrink-0 items-center gap-1">
        {item.state === "failed" ? (
          <Button size="sm" variant="ghost" onClick={onRetry} aria-label={`Retry ${item.file.name}`}>
            <RefreshIcon className="size-3.5" />
            Retry
          </Button>
        ) : null}
        <button
          type="button"
          onClick={running ? onCancel : onDismiss}
          aria-label={running ? `Cancel the upload of ${item.file.name}` : `Dismiss ${item.file.name}`}
          title={running ? "Cancel" : "Dismiss"}
          className="rounded-md p-1.5 text-slate-400 hover:bg-slate-100 hover:text-slate-700"
          data-testid={running ? "upload-item-cancel" : "upload-item-dismiss"}
        >
          <XIcon className="size-4" />
        </button>
      </div>
    </li>
  );
}
