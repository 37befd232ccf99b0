import { KnowledgeView } from "@/app/w/[workspaceId]/knowledge/knowledge-view";

export const metadata = { title: "Knowledge" };

export default function KnowledgePage() {
  return <KnowledgeView />;
}
