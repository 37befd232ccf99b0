import { CallbacksView } from "@/app/w/[workspaceId]/callbacks/callbacks-view";

export const metadata = { title: "Callbacks" };

export default function CallbacksPage() {
  return <CallbacksView />;
}
