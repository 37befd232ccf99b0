import { ArticleEditor } from "@/app/w/[workspaceId]/knowledge/articles/[sourceId]/article-editor";

export const metadata = { title: "Article" };

export default async function ArticlePage({ params }: { params: Promise<{ workspaceId: string; sourceId: string }> }) {
  const { sourceId } = await params;
  return <ArticleEditor sourceId={sourceId} />;
}
