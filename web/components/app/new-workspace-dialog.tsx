"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";

import { useWorkspaceContext } from "@/components/app/workspace-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { errorMessage } from "@/lib/api";

export function NewWorkspaceDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="New workspace"
      description="One workspace per department: each has its own AI agent, phone number, knowledge base and team."
      testId="new-workspace-dialog"
    >
      {open ? <NewWorkspaceForm onClose={onClose} /> : null}
    </Dialog>
  );
}

function NewWorkspaceForm({ onClose }: { onClose: () => void }) {
  const { api, business, refreshMe } = useWorkspaceContext();
  const router = useRouter();
  const [name, setName] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!business) return;
    setPending(true);
    setError(null);
    try {
      const workspace = await api.createWorkspace(business.id, name.trim());
      await refreshMe();
      onClose();
      router.push(`/w/${workspace.id}`);
    } catch (caught) {
      setError(errorMessage(caught));
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-5">
      {error ? <Alert tone="error">{error}</Alert> : null}
      <Field label="Workspace name" hint={business ? `In ${business.name}.` : undefined}>
        <Input
          name="workspace_name"
          required
          maxLength={80}
          data-autofocus
          value={name}
          onChange={(event) => setName(event.target.value)}
          placeholder="Billing"
        />
      </Field>
      <div className="flex justify-end gap-3">
        <Button variant="secondary" onClick={onClose}>
          Cancel
        </Button>
        <Button type="submit" loading={pending} disabled={!name.trim()}>
          Create workspace
        </Button>
      </div>
    </form>
  );
}
