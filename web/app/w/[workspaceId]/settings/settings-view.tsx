"use client";

import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardFooter, CardHeader } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { Field, Input } from "@/components/ui/field";
import { Skeleton } from "@/components/ui/spinner";
import { errorMessage, type DeletionImpact } from "@/lib/api";
import { formatDate } from "@/lib/format";

export function SettingsView() {
  const { workspace, business } = useWorkspace();
  const canManageBusiness = business?.role === "owner" || business?.role === "admin";
  return (
    <div data-testid="settings-page">
      <PageHeader title="Settings" description={`Settings of the ${workspace.name} workspace.`} />
      <div className="max-w-3xl space-y-6">
        {workspace.can_manage ? (
          <WorkspaceNameCard />
        ) : (
          <Alert tone="info">Only workspace admins can change these settings.</Alert>
        )}
        {canManageBusiness && business ? <BusinessNameCard /> : null}
        <Card>
          <CardHeader title="Details" />
          <CardBody>
            <dl className="grid gap-4 text-sm sm:grid-cols-2">
              <div>
                <dt className="text-slate-500">Business</dt>
                <dd className="mt-0.5 font-medium text-slate-800">{workspace.business_name}</dd>
              </div>
              <div>
                <dt className="text-slate-500">Created</dt>
                <dd className="mt-0.5 font-medium text-slate-800">{formatDate(workspace.created_at)}</dd>
              </div>
              <div className="sm:col-span-2">
                <dt className="text-slate-500">Workspace ID</dt>
                <dd className="mt-0.5 font-mono text-xs text-slate-700">{workspace.id}</dd>
              </div>
            </dl>
          </CardBody>
        </Card>
        {workspace.can_manage ? <DangerZone /> : null}
      </div>
    </div>
  );
}

function WorkspaceNameCard() {
  const { api, workspace } = useWorkspace();
  return (
    <NameCard
      testId="rename-workspace-form"
      title="Workspace name"
      description="Usually the department: Support, Billing, Sales…"
      label="Name"
      inputName="name"
      maxLength={60}
      current={workspace.name}
      save={(name) => api.renameWorkspace(workspace.id, name)}
    />
  );
}

function BusinessNameCard() {
  const { api, workspace } = useWorkspace();
  return (
    <NameCard
      testId="rename-business-form"
      title="Business name"
      description="Shared by all the workspaces of your business."
      label="Business name"
      inputName="business_name"
      maxLength={100}
      current={workspace.business_name}
      save={(name) => api.renameBusiness(workspace.business_id, name)}
    />
  );
}

// maxLength mirrors the API's limits (workspace 60, business 100 characters).
function NameCard(props: {
  testId: string;
  title: string;
  description: string;
  label: string;
  inputName: string;
  maxLength: number;
  current: string;
  save: (name: string) => Promise<unknown>;
}) {
  const { refreshWorkspace, refreshMe } = useWorkspace();
  const [name, setName] = useState(props.current);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const unchanged = name.trim() === props.current;

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setSaved(false);
    try {
      await props.save(name.trim());
      await Promise.all([refreshWorkspace(), refreshMe()]);
      setSaved(true);
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  return (
    <Card>
      <form onSubmit={onSubmit} data-testid={props.testId}>
        <CardHeader title={props.title} description={props.description} />
        <CardBody className="space-y-4">
          {error ? <Alert tone="error">{error}</Alert> : null}
          <Field label={props.label}>
            <Input
              name={props.inputName}
              required
              maxLength={props.maxLength}
              value={name}
              onChange={(event) => {
                setName(event.target.value);
                setSaved(false);
              }}
              className="max-w-md"
            />
          </Field>
        </CardBody>
        <CardFooter>
          {saved ? (
            <span role="status" className="mr-auto text-sm text-emerald-700">
              Saved.
            </span>
          ) : null}
          <Button type="submit" loading={pending} disabled={unchanged || !name.trim()}>
            Save
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}

function DangerZone() {
  const { workspace } = useWorkspace();
  const [open, setOpen] = useState(false);
  return (
    <Card className="ring-red-200">
      <CardHeader title="Delete workspace" description="Permanently delete this workspace and everything in it." />
      <CardBody className="flex flex-wrap items-center justify-between gap-4">
        <p className="max-w-lg text-sm text-slate-600">
          Members lose access to <strong className="font-medium text-slate-800">{workspace.name}</strong> and pending
          invitations stop working. This can&apos;t be undone.
        </p>
        <Button variant="danger-outline" onClick={() => setOpen(true)} data-testid="delete-workspace">
          Delete workspace
        </Button>
      </CardBody>
      <Dialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Delete ${workspace.name}?`}
        tone="danger"
        testId="delete-workspace-dialog"
      >
        {open ? <DeleteWorkspaceForm onCancel={() => setOpen(false)} /> : null}
      </Dialog>
    </Card>
  );
}

function DeleteWorkspaceForm({ onCancel }: { onCancel: () => void }) {
  const { api, workspace, refreshMe } = useWorkspace();
  const router = useRouter();
  const [impact, setImpact] = useState<DeletionImpact | null>(null);
  const [impactError, setImpactError] = useState<string | null>(null);
  const [typed, setTyped] = useState("");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const matches = typed === workspace.name;

  useEffect(() => {
    let active = true;
    api
      .deletionImpact(workspace.id)
      .then((result) => active && setImpact(result))
      .catch((caught: unknown) => active && setImpactError(errorMessage(caught)));
    return () => {
      active = false;
    };
  }, [api, workspace.id]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!matches) return;
    setPending(true);
    setError(null);
    try {
      await api.deleteWorkspace(workspace.id, typed);
      await refreshMe();
      router.replace("/");
      router.refresh();
    } catch (caught) {
      setError(errorMessage(caught));
      setPending(false);
    }
  }

  return (
    <form onSubmit={onSubmit} className="space-y-5">
      <div className="rounded-lg bg-red-50/60 p-4 ring-1 ring-red-100 ring-inset" data-testid="deletion-impact">
        <p className="text-sm font-medium text-red-900">This will permanently delete:</p>
        {impact ? (
          impact.summary.length > 0 ? (
            <ul className="mt-2 list-disc space-y-1 pl-5 text-sm text-red-900/90">
              {impact.summary.map((line) => (
                <li key={line}>{line}</li>
              ))}
            </ul>
          ) : (
            <p className="mt-2 text-sm text-red-900/90">The workspace and its settings.</p>
          )
        ) : impactError ? (
          <p className="mt-2 text-sm text-red-800">We couldn&apos;t load what goes with it: {impactError}</p>
        ) : (
          <div className="mt-3 space-y-2" aria-busy="true" aria-label="Loading what will be deleted">
            <Skeleton className="h-3.5 w-3/4 bg-red-100" />
            <Skeleton className="h-3.5 w-1/2 bg-red-100" />
          </div>
        )}
      </div>
      {error ? <Alert tone="error">{error}</Alert> : null}
      <Field
        label={
          <>
            Type <strong className="font-semibold text-slate-900">{workspace.name}</strong> to confirm
          </>
        }
      >
        <Input
          name="confirm"
          autoComplete="off"
          data-autofocus
          spellCheck={false}
          value={typed}
          onChange={(event) => setTyped(event.target.value)}
          data-testid="delete-confirm-input"
        />
      </Field>
      <div className="flex justify-end gap-3">
        <Button variant="secondary" onClick={onCancel}>
          Cancel
        </Button>
        <Button type="submit" variant="danger" disabled={!matches} loading={pending} data-testid="delete-confirm">
          Delete workspace
        </Button>
      </div>
    </form>
  );
}
