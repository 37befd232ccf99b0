"use client";

import type { ReactNode } from "react";

import { useWorkspaceContext } from "@/components/app/workspace-context";
import { Button, ButtonLink } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { AlertIcon, LayersIcon } from "@/components/ui/icons";
import { Skeleton } from "@/components/ui/spinner";

/** The page area under the top bar: a skeleton while the workspace loads, a clear message
 * when it can't be shown, and the page otherwise. */
export function WorkspaceMain({ children }: { children: ReactNode }) {
  const { workspace, workspaceError, refreshWorkspace } = useWorkspaceContext();

  let content: ReactNode;
  if (workspace) {
    content = children;
  } else if (workspaceError && [403, 404, 422].includes(workspaceError.status)) {
    content = (
      <Card>
        <EmptyState
          icon={<LayersIcon className="size-5" />}
          title="This workspace isn't available"
          description="It may have been deleted, or you are no longer a member. Your other workspaces are still here."
          action={<ButtonLink href="/">Go to my workspaces</ButtonLink>}
          testId="workspace-unavailable"
        />
      </Card>
    );
  } else if (workspaceError) {
    content = (
      <Card>
        <EmptyState
          icon={<AlertIcon className="size-5" />}
          title="We couldn't load this workspace"
          description={workspaceError.message}
          action={
            <Button variant="secondary" onClick={() => void refreshWorkspace()}>
              Try again
            </Button>
          }
          testId="workspace-error"
        />
      </Card>
    );
  } else {
    content = (
      <div aria-busy="true" aria-label="Loading workspace" className="space-y-6">
        <Skeleton className="h-8 w-64" />
        <Skeleton className="h-4 w-96 max-w-full" />
        <div className="grid gap-4 md:grid-cols-3">
          <Skeleton className="h-32" />
          <Skeleton className="h-32" />
          <Skeleton className="h-32" />
        </div>
      </div>
    );
  }

  return <main className="mx-auto w-full max-w-6xl px-4 py-8 sm:px-6 sm:py-10">{content}</main>;
}

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="mb-8 flex flex-wrap items-end justify-between gap-4">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900" data-testid="page-title">
          {title}
        </h1>
        {description ? <div className="mt-1.5 text-sm text-slate-500">{description}</div> : null}
      </div>
      {actions ? <div className="flex shrink-0 flex-wrap gap-3">{actions}</div> : null}
    </div>
  );
}
