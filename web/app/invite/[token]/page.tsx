import { AcceptInvitation } from "@/app/invite/[token]/accept-invitation";
import { AuthShell } from "@/components/app/auth-shell";
import { LogoutButton } from "@/components/app/logout-button";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { ButtonLink } from "@/components/ui/button";
import { BuildingIcon } from "@/components/ui/icons";
import { ApiError, createApi, errorMessage, type InvitationPreview } from "@/lib/api";
import { formatDate } from "@/lib/format";
import { readRuntimeConfig } from "@/lib/runtime-config";
import { getSessionUser } from "@/lib/supabase/server";

export const metadata = { title: "Invitation" };

export default async function InvitePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const here = `/invite/${encodeURIComponent(token)}`;

  let preview: InvitationPreview | null = null;
  let failure: ApiError | null = null;
  try {
    preview = await createApi(readRuntimeConfig().apiUrl, null).invitationPreview(token);
  } catch (error) {
    failure = error instanceof ApiError ? error : new ApiError(0, "error", errorMessage(error));
  }

  if (!preview) {
    const notFound = failure?.status === 404;
    return (
      <AuthShell
        title={notFound ? "This invitation link isn't valid" : "We couldn't open this invitation"}
        subtitle={notFound ? "Check that you copied the whole link, or ask for a new invitation." : undefined}
      >
        <div className="space-y-5" data-testid="invite-invalid">
          {notFound ? null : <Alert tone="error">{failure?.message}</Alert>}
          <ButtonLink href="/" variant="secondary" className="w-full">
            Go to the app
          </ButtonLink>
        </div>
      </AuthShell>
    );
  }

  const user = await getSessionUser();
  const role = preview.role === "admin" ? "Admin" : "Agent";
  const inviter = preview.invited_by_email ?? "A teammate";
  const authQuery = new URLSearchParams({ next: here, email: preview.email }).toString();

  let body: React.ReactNode;
  if (preview.status !== "pending") {
    const messages = {
      accepted: "This invitation has already been used. If it was you, log in to open the workspace.",
      revoked: `This invitation was revoked. Ask ${inviter} to send you a new one.`,
      expired: `This invitation has expired. Ask ${inviter} to send you a new one.`,
    } as const;
    body = (
      <div className="space-y-5" data-testid="invite-unavailable" data-status={preview.status}>
        <Alert tone="warning">{messages[preview.status]}</Alert>
        <ButtonLink href="/" variant="secondary" className="w-full">
          Go to the app
        </ButtonLink>
      </div>
    );
  } else if (!user) {
    body = (
      <div className="space-y-3" data-testid="invite-signed-out">
        <p className="pb-2 text-sm text-slate-600">
          Create an account with <strong className="font-medium text-slate-900">{preview.email}</strong> to accept, or
          log in if you already have one.
        </p>
        <ButtonLink href={`/signup?${authQuery}`} size="lg" className="w-full" data-testid="invite-signup">
          Create an account
        </ButtonLink>
        <ButtonLink href={`/login?${authQuery}`} size="lg" variant="secondary" className="w-full" data-testid="invite-login">
          Log in
        </ButtonLink>
      </div>
    );
  } else if (user.email.toLowerCase() === preview.email.toLowerCase()) {
    body = <AcceptInvitation token={token} workspaceName={preview.workspace_name} />;
  } else {
    body = (
      <div className="space-y-5" data-testid="invite-wrong-account">
        <Alert tone="warning" title="This invitation is for someone else">
          You&apos;re logged in as <strong>{user.email}</strong>, but this invitation was sent to{" "}
          <strong>{preview.email}</strong>. Log out, then sign in with that address.
        </Alert>
        <LogoutButton to={here} size="lg" className="w-full">
          Log out and continue
        </LogoutButton>
        <ButtonLink href="/" variant="ghost" className="w-full">
          Back to my workspaces
        </ButtonLink>
      </div>
    );
  }

  return (
    <AuthShell
      title={`Join ${preview.workspace_name}`}
      subtitle={`${inviter} invited you to a workspace of ${preview.business_name}.`}
    >
      <div className="mb-6 flex items-center gap-3 rounded-xl bg-slate-50 p-4 ring-1 ring-slate-200/70" data-testid="invite-preview">
        <span className="flex size-10 shrink-0 items-center justify-center rounded-lg bg-white text-brand-600 ring-1 ring-slate-200">
          <BuildingIcon className="size-5" />
        </span>
        <div className="min-w-0 flex-1">
          <p className="truncate text-sm font-semibold text-slate-900">{preview.workspace_name}</p>
          <p className="truncate text-[13px] text-slate-500">{preview.business_name}</p>
        </div>
        <Badge tone={preview.role === "admin" ? "brand" : "neutral"}>{role}</Badge>
      </div>
      {body}
      {preview.status === "pending" ? (
        <p className="mt-5 text-center text-xs text-slate-400">
          Sent to {preview.email} · expires {formatDate(preview.expires_at)}
        </p>
      ) : null}
    </AuthShell>
  );
}
