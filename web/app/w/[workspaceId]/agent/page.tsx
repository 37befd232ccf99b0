import { AgentSettingsView } from "@/app/w/[workspaceId]/agent/agent-settings-view";

export const metadata = { title: "AI agent" };

export default function AgentPage() {
  return <AgentSettingsView />;
}
