import { LiveView } from "@/app/w/[workspaceId]/live/live-view";

export const metadata = { title: "Live" };

export default function LivePage() {
  return <LiveView />;
}
