import { SettingsView } from "@/app/w/[workspaceId]/settings/settings-view";

export const metadata = { title: "Settings" };

export default function SettingsPage() {
  return <SettingsView />;
}
