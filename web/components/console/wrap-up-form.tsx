"use client";

import { useState, type FormEvent } from "react";

import { useWorkspace } from "@/components/app/workspace-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Field, Select, Textarea } from "@/components/ui/field";
import { ApiError, errorMessage } from "@/lib/api";
import { DISPOSITION_LABEL, type ActiveCall, type ConsoleApi, type Disposition } from "@/lib/console";
import { callerName } from "@/components/console/call-context";

const DISPOSITIONS = Object.keys(DISPOSITION_LABEL) as Disposition[];
const NOTES_MAX = 4000;

/** After the call (handed back, hung up, or the caller left): summary, outcome and notes; sending
 * it makes me available again. */
export function WrapUpForm({ api, call, onDone }: { api: ConsoleApi; call: ActiveCall; onDone: () => Promise<void> }) {
  const { workspace } = useWorkspace();
  const [summary, setSummary] = useState(call.summary ?? "");
  const [disposition, setDisposition] = useState<Disposition>("resolved");
  const [notes, setNotes] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stillConnected = call.handoff_status === "connected" && (call.call_status === "active" || call.call_status === "ringing");

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    try {
      await api.wrapUp(workspace.id, call.call_id, { disposition, summary: summary.trim(), notes: notes.trim() });
      await onDone();
    } catch (caught) {
      setError(
        caught instanceof ApiError && caught.code === "still_connected"
          ? "You are still connected to this call: hand it back or hang up first."
          : errorMessage(caught),
      );
      setPending(false);
    }
  }

  return (
    <Card data-testid="wrap-up" data-call-id={call.call_id}>
      <CardHeader title={`Wrap up: ${callerName(call)}`} description="You get new calls again once this is sent." />
      <CardBody>
        <form onSubmit={(event) => void onSubmit(event)} className="space-y-4">
          {stillConnected ? <Alert tone="warning">This call is still connected to you.</Alert> : null}
          <Field label="Summary">
            <Textarea value={summary} onChange={(event) => setSummary(event.target.value)} maxLength={NOTES_MAX} data-testid="wrap-up-summary" />
          </Field>
          <Field label="Outcome">
            <Select value={disposition} onChange={(event) => setDisposition(event.target.value as Disposition)} data-testid="wrap-up-disposition">
              {DISPOSITIONS.map((value) => (
                <option key={value} value={value}>
                  {DISPOSITION_LABEL[value]}
                </option>
              ))}
            </Select>
          </Field>
          <Field label="Notes" hint="For whoever picks this up next.">
            <Textarea value={notes} onChange={(event) => setNotes(event.target.value)} maxLength={NOTES_MAX} data-testid="wrap-up-notes" />
          </Field>
          {error ? (
            <Alert tone="error" testId="wrap-up-error">
              {error}
            </Alert>
          ) : null}
          <Button type="submit" loading={pending} data-testid="wrap-up-submit">
            Finish and become available
          </Button>
        </form>
      </CardBody>
    </Card>
  );
}
