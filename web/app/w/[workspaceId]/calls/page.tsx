import { CallsView } from "@/app/w/[workspaceId]/calls/calls-view";

export const metadata = { title: "Calls" };

export default function CallsPage() {
  return <CallsView />;
}
