"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";

import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field, Textarea } from "@/components/ui/field";
import { errorMessage } from "@/lib/api";
import { formatRelative } from "@/lib/format";
import type { CallbackTask } from "@/lib/console";
import { callbackCaller } from "@/lib/live";

const NOTES_MAX = 4000;

/** One callback promised to a caller; "Mark done" asks for what happened, then completes it. */
export function CallbackTaskItem({
  task,
  workspaceId,
  now,
  onComplete,
}: {
  task: CallbackTask;
  workspaceId: string;
  now: number;
  onComplete: (notes: string) => Promise<void>;
}) {
  const [completing, setCompleting] = useState(false);
  const [notes, setNotes] = useState("");
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await onComplete(notes.trim());
      setCompleting(false);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setSaving(false);
    }
  }

  return (
    <li className="px-5 py-4 sm:px-6" data-testid="callback-task" data-task-id={task.id} data-status={task.status}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 space-y-1">
          <p className="font-medium text-slate-900" data-testid="callback-caller">
            {callbackCaller(task)}
          </p>
          <p className="text-xs text-slate-500">
            Requested {formatRelative(task.created_at, now)}
            {task.call_id ? (
              <>
                <span aria-hidden="true"> · </span>
                <Link
                  href={`/w/${workspaceId}/calls/${task.call_id}`}
                  className="font-medium text-brand-700 hover:underline"
                  data-testid="callback-call-link"
                >
                  View the call
                </Link>
              </>
            ) : null}
          </p>
          {task.note ? (
            <p className="text-sm whitespace-pre-line text-slate-700" data-testid="callback-note">
              {task.note}
            </p>
          ) : null}
          {task.status === "done" ? (
            <p className="text-xs text-slate-500" data-testid="callback-completed">
              Done {formatRelative(task.completed_at, now)}
              {task.completed_by_name ? ` by ${task.completed_by_name}` : ""}
            </p>
          ) : null}
        </div>
        {task.status === "open" && !completing ? (
          <Button size="sm" variant="secondary" onClick={() => setCompleting(true)} data-testid="callback-mark-done">
            Mark done
          </Button>
        ) : task.status !== "open" ? (
          <Badge tone={task.status === "done" ? "success" : "neutral"}>{task.status === "done" ? "Done" : "Cancelled"}</Badge>
        ) : null}
      </div>
      {completing ? (
        <form className="mt-3 space-y-3" onSubmit={(event) => void submit(event)} data-testid="callback-complete-form">
          <Field label="What happened on the callback?" hint="Optional. Kept with the task.">
            <Textarea
              value={notes}
              maxLength={NOTES_MAX}
              onChange={(event) => setNotes(event.target.value)}
              data-testid="callback-notes"
              autoFocus
            />
          </Field>
          {error ? <Alert tone="error">{error}</Alert> : null}
          <div className="flex gap-2">
            <Button type="submit" size="sm" loading={saving} data-testid="callback-complete">
              Mark done
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setCompleting(false)} disabled={saving}>
              Cancel
            </Button>
          </div>
        </form>
      ) : null}
    </li>
  );
}
