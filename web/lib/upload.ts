/** Document uploads: checks before anything is sent, and the browser-to-S3 presigned POST.
 *
 * The API registers the document and answers with a presigned POST (a URL and form fields
 * whose signed policy limits the size and type); the browser then sends the file straight
 * to S3 (locally, the S3-compatible server) with XMLHttpRequest, whose upload events give
 * the progress that fetch cannot. */

import type { PresignedPost } from "@/lib/api";

export const MAX_DOCUMENT_BYTES = 25 * 1024 * 1024;

const DOCUMENT_TYPES: Record<string, string> = {
  pdf: "application/pdf",
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
};

/** For <input accept>: extensions and types, since some systems know only one of them. */
export const DOCUMENT_ACCEPT = [...Object.keys(DOCUMENT_TYPES).map((ext) => `.${ext}`), ...Object.values(DOCUMENT_TYPES)].join(",");

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  const megabytes = bytes / (1024 * 1024);
  return `${megabytes < 10 ? megabytes.toFixed(1) : Math.round(megabytes)} MB`;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot < 0 ? "" : name.slice(dot + 1).toLowerCase();
}

export type CheckedDocument = { ok: true; contentType: string } | { ok: false; reason: string };

/** What can be told before uploading: the type by its extension (the server then decides from
 * the content), an empty file, the size limit. */
export function checkDocument(file: { name: string; size: number; type: string }): CheckedDocument {
  const ext = extensionOf(file.name);
  const contentType = DOCUMENT_TYPES[ext];
  if (!contentType) {
    if (ext === "doc") return { ok: false, reason: "Old Word (.doc) files can't be read. Save it as .docx and upload that." };
    return { ok: false, reason: "Only PDF (.pdf) and Word (.docx) documents can be uploaded." };
  }
  if (file.size === 0) return { ok: false, reason: "This file is empty." };
  if (file.size > MAX_DOCUMENT_BYTES) {
    return {
      ok: false,
      reason: `This file is ${formatBytes(file.size)}; documents can be at most ${formatBytes(MAX_DOCUMENT_BYTES)}. Split it into smaller files.`,
    };
  }
  return { ok: true, contentType };
}

export class UploadError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "UploadError";
    this.status = status;
    this.code = code;
  }
}

function storageMessage(status: number, body: string): UploadError {
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? "";
  const detail = /<Message>([^<]+)<\/Message>/.exec(body)?.[1] ?? "";
  if (code === "EntityTooLarge" || /too large|exceeds the maximum/i.test(detail)) {
    return new UploadError(status, "too_large", `The storage refused this file: documents can be at most ${formatBytes(MAX_DOCUMENT_BYTES)}.`);
  }
  if (code === "EntityTooSmall") return new UploadError(status, "too_small", "The storage refused this file: it is empty.");
  if (/expired/i.test(`${code} ${detail}`)) {
    return new UploadError(status, "expired", "The upload link expired before the file was sent. Try again.");
  }
  if (code === "AccessDenied" && /policy|condition/i.test(detail)) {
    return new UploadError(status, "refused", "The storage refused this file: only PDF and Word (.docx) documents up to 25 MB are accepted.");
  }
  if (code === "AccessDenied" || status === 403) {
    return new UploadError(status, "refused", "The storage refused the upload. Try again; if it keeps failing, tell your administrator.");
  }
  if (status >= 500) return new UploadError(status, "storage_error", "The file storage had a problem. Try again in a moment.");
  return new UploadError(status, code || "upload_failed", `The upload failed (${status}${code ? `: ${code}` : ""}). Try again.`);
}

/** POSTs `file` to a presigned POST (fields first, the file last, as S3 requires). Reports
 * progress as a fraction; rejects with UploadError, or with an AbortError DOMException when
 * `signal` aborts. */
export function uploadToPresignedPost(
  target: PresignedPost,
  file: File,
  { onProgress, signal }: { onProgress?: (fraction: number) => void; signal?: AbortSignal } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException("The upload was cancelled.", "AbortError"));
      return;
    }
    const form = new FormData();
    for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
    form.append("file", file, file.name);

    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = () => signal?.removeEventListener("abort", onAbort);

    xhr.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable && event.total > 0) onProgress?.(Math.min(1, event.loaded / event.total));
    });
    xhr.addEventListener("load", () => {
      done();
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress?.(1);
        resolve();
      } else {
        reject(storageMessage(xhr.status, xhr.responseText ?? ""));
      }
    });
    xhr.addEventListener("error", () => {
      done();
      reject(new UploadError(0, "network_error", "We couldn't reach the file storage. Check your connection and try again."));
    });
    xhr.addEventListener("timeout", () => {
      done();
      reject(new UploadError(0, "timeout", "The upload took too long and was stopped. Try again."));
    });
    xhr.addEventListener("abort", () => {
      done();
      reject(new DOMException("The upload was cancelled.", "AbortError"));
    });
    xhr.open("POST", target.url);
    xhr.send(form);
  });
}
