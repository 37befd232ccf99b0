import { WorkspaceHome } from "@/app/w/[workspaceId]/workspace-home";

export const metadata = { title: "Workspace" };

export default function WorkspacePage() {
  return <WorkspaceHome />;
}
