import { WebsiteSettings } from "@/app/w/[workspaceId]/knowledge/websites/[sourceId]/website-settings";

export const metadata = { title: "Website settings" };

export default async function WebsitePage({ params }: { params: Promise<{ workspaceId: string; sourceId: string }> }) {
  const { sourceId } = await params;
  return <WebsiteSettings sourceId={sourceId} />;
}
