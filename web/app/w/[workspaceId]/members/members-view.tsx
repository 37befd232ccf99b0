"use client";

import { useCallback, useEffect, useState, type FormEvent } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { Alert } from "@/components/ui/alert";
import { Avatar } from "@/components/ui/avatar";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { Dialog } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { Field, Input, Select } from "@/components/ui/field";
import { CheckIcon, CopyIcon, MailIcon, UsersIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";
import { ApiError, errorMessage, type CreatedInvitation, type Invitation, type Member, type WorkspaceRole } from "@/lib/api";
import { formatDate, formatRelative, plural } from "@/lib/format";

type Load<T> = { data: T | null; error: string | null; loading: boolean };

export function MembersView() {
  const { api, workspace, membersVersion, refreshWorkspace, refreshMe } = useWorkspace();
  const canManage = workspace.can_manage;
  const [members, setMembers] = useState<Load<Member[]>>({ data: null, error: null, loading: true });
  const [invitations, setInvitations] = useState<Load<Invitation[]>>({ data: null, error: null, loading: canManage });

  const loadMembers = useCallback(async () => {
    try {
      const data = await api.members(workspace.id);
      setMembers({ data, error: null, loading: false });
    } catch (error) {
      setMembers((previous) => ({ ...previous, error: errorMessage(error), loading: false }));
    }
  }, [api, workspace.id]);

  const loadInvitations = useCallback(async () => {
    if (!canManage) return;
    try {
      const data = await api.invitations(workspace.id);
      setInvitations({ data, error: null, loading: false });
    } catch (error) {
      setInvitations((previous) => ({ ...previous, error: errorMessage(error), loading: false }));
    }
  }, [api, workspace.id, canManage]);

  useEffect(() => {
    void loadMembers();
    void loadInvitations();
  }, [loadMembers, loadInvitations, membersVersion]);

  const pending = (invitations.data ?? []).filter((invitation) => invitation.status === "pending");

  return (
    <div data-testid="members-page">
      <PageHeader
        title="Members"
        description={
          canManage
            ? `People who take calls in ${workspace.name}. Admins can invite people and change settings.`
            : `People who take calls in ${workspace.name}.`
        }
      />
      <div className="grid gap-6 lg:grid-cols-[1fr_360px]">
        <div className="order-2 space-y-6 lg:order-1">
          <MembersCard
            state={members}
            canManage={canManage}
            onRetry={loadMembers}
            onChanged={async () => {
              await Promise.all([loadMembers(), refreshWorkspace(), refreshMe()]);
            }}
          />
          {canManage ? (
            <InvitationsCard
              state={invitations}
              pending={pending}
              onRetry={loadInvitations}
              onChanged={loadInvitations}
            />
          ) : null}
        </div>
        <div className="order-1 lg:order-2">
          {canManage ? (
            <InviteCard onInvited={loadInvitations} />
          ) : (
            <Card>
              <CardBody>
                <p className="text-sm text-slate-600">
                  Only workspace admins can invite people or change roles. Ask one of them if someone is missing.
                </p>
              </CardBody>
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}

function InviteCard({ onInvited }: { onInvited: () => Promise<void> }) {
  const { api, workspace } = useWorkspace();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<WorkspaceRole>("agent");
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | string | null>(null);
  const [created, setCreated] = useState<CreatedInvitation | null>(null);
  const [copied, setCopied] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setPending(true);
    setError(null);
    setCreated(null);
    setCopied(false);
    try {
      const result = await api.invite(workspace.id, email.trim(), role);
      setCreated(result);
      setEmail("");
      await onInvited();
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : errorMessage(caught));
    } finally {
      setPending(false);
    }
  }

  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  const fieldError = error instanceof ApiError && error.field === "email" ? error.message : undefined;
  const roleError = error instanceof ApiError && error.field === "role" ? error.message : undefined;
  const generalError = error && !fieldError && !roleError ? errorMessage(error) : null;

  return (
    <Card className="lg:sticky lg:top-32">
      <CardHeader title="Invite people" description={`They'll get an email with a link to join ${workspace.name}.`} />
      <CardBody>
        <form onSubmit={onSubmit} className="space-y-4" data-testid="invite-form">
          {generalError ? <Alert tone="error">{generalError}</Alert> : null}
          <Field label="Email address" error={fieldError}>
            <Input
              type="email"
              name="email"
              required
              autoComplete="off"
              placeholder="name@company.com"
              value={email}
              onChange={(event) => setEmail(event.target.value)}
              data-testid="invite-email"
            />
          </Field>
          <Field
            label="Role"
            error={roleError}
            hint={role === "admin" ? "Admins take calls, invite people and change settings." : "Agents take calls handed over by the AI."}
          >
            <Select
              name="role"
              value={role}
              onChange={(event) => setRole(event.target.value as WorkspaceRole)}
              data-testid="invite-role"
            >
              <option value="agent">Agent</option>
              <option value="admin">Admin</option>
            </Select>
          </Field>
          <Button type="submit" className="w-full" loading={pending} data-testid="invite-submit">
            <MailIcon className="size-4" />
            Send invitation
          </Button>
        </form>
        {created ? (
          <div className="mt-4" data-testid="invite-success">
            <Alert
              tone={created.email_sent === false ? "warning" : "success"}
              title={
                created.email_sent === false
                  ? `Invitation created, but the email to ${created.invitation.email} could not be sent`
                  : `Invitation sent to ${created.invitation.email}`
              }
            >
              <p>{created.email_sent === false ? "Share this link with them:" : "You can also share this link with them:"}</p>
              <div className="mt-2 flex items-center gap-2">
                <input
                  readOnly
                  value={created.invite_url}
                  aria-label="Invitation link"
                  onFocus={(event) => event.currentTarget.select()}
                  className="min-w-0 flex-1 rounded-md bg-white px-2 py-1 font-mono text-xs text-slate-700 ring-1 ring-emerald-200 ring-inset"
                  data-testid="invite-url"
                />
                <Button size="sm" variant="secondary" onClick={() => copy(created.invite_url)} aria-label="Copy invitation link">
                  {copied ? <CheckIcon className="size-3.5" /> : <CopyIcon className="size-3.5" />}
                  {copied ? "Copied" : "Copy"}
                </Button>
              </div>
            </Alert>
          </div>
        ) : null}
      </CardBody>
    </Card>
  );
}

function MembersCard({
  state,
  canManage,
  onRetry,
  onChanged,
}: {
  state: Load<Member[]>;
  canManage: boolean;
  onRetry: () => Promise<void>;
  onChanged: () => Promise<void>;
}) {
  const { api, workspace } = useWorkspace();
  const [actionError, setActionError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [removePending, setRemovePending] = useState(false);
  const [removeError, setRemoveError] = useState<string | null>(null);

  async function changeRole(member: Member, role: WorkspaceRole) {
    setBusy(member.user_id);
    setActionError(null);
    try {
      await api.changeMemberRole(workspace.id, member.user_id, role);
      await onChanged();
    } catch (error) {
      setActionError(errorMessage(error));
    } finally {
      setBusy(null);
    }
  }

  async function confirmRemove() {
    if (!removing) return;
    setRemovePending(true);
    setRemoveError(null);
    try {
      await api.removeMember(workspace.id, removing.user_id);
      setRemoving(null);
      await onChanged();
    } catch (error) {
      setRemoveError(errorMessage(error));
    } finally {
      setRemovePending(false);
    }
  }

  const members = state.data;
  return (
    <Card>
      <CardHeader
        title="Team"
        description={members ? plural(members.length, "member") : undefined}
      />
      {actionError ? (
        <div className="px-5 pt-4 sm:px-6">
          <Alert tone="error">{actionError}</Alert>
        </div>
      ) : null}
      {state.loading && !members ? (
        <ListSkeleton />
      ) : state.error && !members ? (
        <EmptyState
          title="We couldn't load the members"
          description={state.error}
          action={
            <Button variant="secondary" onClick={() => void onRetry()}>
              Try again
            </Button>
          }
        />
      ) : members && members.length === 0 ? (
        <EmptyState
          icon={<UsersIcon className="size-5" />}
          title="No members yet"
          description={canManage ? "Invite the people who will take calls in this workspace." : "Nobody has joined yet."}
        />
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="member-list">
          {(members ?? []).map((member) => (
            <li
              key={member.user_id}
              className="flex flex-wrap items-center gap-x-4 gap-y-2 px-5 py-3.5 sm:flex-nowrap sm:px-6"
              data-testid="member-row"
              data-email={member.email}
            >
              <Avatar name={member.full_name} email={member.email} />
              <div className="min-w-0 flex-1 basis-48">
                <p className="flex items-center gap-2 truncate text-sm font-medium text-slate-900">
                  <span className="truncate">{member.full_name || member.email}</span>
                  {member.is_you ? <Badge tone="brand">You</Badge> : null}
                </p>
                <p className="truncate text-[13px] text-slate-500">
                  {member.full_name ? member.email : null}
                  {member.full_name ? " · " : null}
                  Joined {formatDate(member.joined_at)}
                </p>
              </div>
              <div className="ml-12 flex items-center gap-2 sm:ml-0">
                {canManage && !member.is_you ? (
                  <>
                    <label className="sr-only" htmlFor={`role-${member.user_id}`}>
                      Role of {member.full_name || member.email}
                    </label>
                    <Select
                      size="sm"
                      id={`role-${member.user_id}`}
                      value={member.role}
                      disabled={busy === member.user_id}
                      onChange={(event) => void changeRole(member, event.target.value as WorkspaceRole)}
                      className="w-24"
                      data-testid="member-role"
                    >
                      <option value="agent">Agent</option>
                      <option value="admin">Admin</option>
                    </Select>
                    <Button
                      size="sm"
                      variant="ghost"
                      className="text-slate-500 hover:text-red-700"
                      onClick={() => {
                        setRemoveError(null);
                        setRemoving(member);
                      }}
                      aria-label={`Remove ${member.full_name || member.email}`}
                      data-testid="member-remove"
                    >
                      Remove
                    </Button>
                  </>
                ) : (
                  <Badge tone={member.role === "admin" ? "brand" : "neutral"}>
                    {member.role === "admin" ? "Admin" : "Agent"}
                  </Badge>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      <Dialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        title={`Remove ${removing?.full_name || removing?.email || "member"}?`}
        description={`They will lose access to ${workspace.name} right away. You can invite them again later.`}
        size="sm"
        tone="danger"
        testId="remove-member-dialog"
        footer={
          <>
            <Button variant="secondary" onClick={() => setRemoving(null)} data-autofocus>
              Cancel
            </Button>
            <Button variant="danger" loading={removePending} onClick={() => void confirmRemove()}>
              Remove
            </Button>
          </>
        }
      >
        {removeError ? <Alert tone="error">{removeError}</Alert> : null}
      </Dialog>
    </Card>
  );
}

function InvitationsCard({
  state,
  pending,
  onRetry,
  onChanged,
}: {
  state: Load<Invitation[]>;
  pending: Invitation[];
  onRetry: () => Promise<void>;
  onChanged: () => Promise<void>;
}) {
  const { api, workspace } = useWorkspace();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function revoke(invitation: Invitation) {
    setBusy(invitation.id);
    setError(null);
    try {
      await api.revokeInvitation(workspace.id, invitation.id);
      await onChanged();
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(null);
    }
  }

  return (
    <Card>
      <CardHeader title="Pending invitations" description="Invitations that haven't been accepted yet." />
      {error ? (
        <div className="px-5 pt-4 sm:px-6">
          <Alert tone="error">{error}</Alert>
        </div>
      ) : null}
      {state.loading && !state.data ? (
        <ListSkeleton rows={1} />
      ) : state.error && !state.data ? (
        <EmptyState
          title="We couldn't load the invitations"
          description={state.error}
          action={
            <Button variant="secondary" onClick={() => void onRetry()}>
              Try again
            </Button>
          }
        />
      ) : pending.length === 0 ? (
        <EmptyState
          icon={<MailIcon className="size-5" />}
          title="No pending invitations"
          description="Use the form to invite teammates by email. Their invitation shows up here until they accept it."
          className="py-8"
          testId="invitations-empty"
        />
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="invitation-list">
          {pending.map((invitation) => (
            <li
              key={invitation.id}
              className="flex flex-wrap items-center gap-x-4 gap-y-2 px-5 py-3.5 sm:flex-nowrap sm:px-6"
              data-testid="invitation-row"
              data-email={invitation.email}
            >
              <span className="flex size-8 shrink-0 items-center justify-center rounded-full bg-slate-100 text-slate-400">
                <MailIcon className="size-4" />
              </span>
              <div className="min-w-0 flex-1 basis-48">
                <p className="truncate text-sm font-medium text-slate-900">{invitation.email}</p>
                <p className="truncate text-[13px] text-slate-500">
                  {invitation.invited_by_email ? `Invited by ${invitation.invited_by_email} · ` : null}
                  Expires {formatRelative(invitation.expires_at)}
                </p>
              </div>
              <div className="ml-12 flex items-center gap-2 sm:ml-0">
                <Badge tone="warning">Pending</Badge>
                <Badge tone={invitation.role === "admin" ? "brand" : "neutral"}>
                  {invitation.role === "admin" ? "Admin" : "Agent"}
                </Badge>
                <Button
                  size="sm"
                  variant="ghost"
                  className="text-slate-500 hover:text-red-700"
                  loading={busy === invitation.id}
                  onClick={() => void revoke(invitation)}
                  aria-label={`Revoke the invitation of ${invitation.email}`}
                  data-testid="invitation-revoke"
                >
                  Revoke
                </Button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function ListSkeleton({ rows = 2 }: { rows?: number }) {
  return (
    <div className="space-y-4 px-5 py-4 sm:px-6" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, index) => (
        <div key={index} className="flex items-center gap-4">
          <Skeleton className="size-8 rounded-full" />
          <div className="flex-1 space-y-2">
            <Skeleton className="h-3.5 w-40" />
            <Skeleton className="h-3 w-56" />
          </div>
        </div>
      ))}
    </div>
  );
}
