import { ConsoleView } from "@/app/w/[workspaceId]/console/console-view";

export const metadata = { title: "Console" };

export default function ConsolePage() {
  return <ConsoleView />;
}
