import type { ReactNode } from "react";

import { TopBar } from "@/components/app/top-bar";
import { WorkspaceProvider } from "@/components/app/workspace-context";
import { WorkspaceMain } from "@/components/app/workspace-main";

export default async function WorkspaceLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ workspaceId: string }>;
}) {
  const { workspaceId } = await params;
  return (
    <WorkspaceProvider workspaceId={workspaceId}>
      <div className="flex min-h-dvh flex-col">
        <TopBar />
        <WorkspaceMain>{children}</WorkspaceMain>
      </div>
    </WorkspaceProvider>
  );
}
