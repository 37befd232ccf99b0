import { BookIcon, ExternalLinkIcon } from "@/components/ui/icons";
import type { KnowledgeUsed } from "@/lib/api";
import { cn } from "@/lib/cn";

/** Passages with their titles and links; the passage text folds open. */
export function PassageList({
  passages,
  testId,
  className,
}: {
  passages: KnowledgeUsed[];
  testId: string;
  className?: string;
}) {
  if (passages.length === 0) return null;
  return (
    <ul className={cn("space-y-2", className)} data-testid={testId}>
      {passages.map((passage, index) => (
        <li key={`${passage.chunk_id ?? "passage"}-${index}`} className="text-[13px]" data-testid={`${testId}-item`}>
          <p className="flex flex-wrap items-center gap-1.5 font-medium text-slate-800">
            <BookIcon className="size-3.5 text-brand-500" />
            {passage.url ? (
              <a href={passage.url} target="_blank" rel="noreferrer" className="inline-flex items-center gap-1 text-brand-700 hover:underline">
                {passage.title ?? passage.url}
                <ExternalLinkIcon className="size-3" />
              </a>
            ) : (
              <span>{passage.title ?? "Untitled"}</span>
            )}
            {passage.page !== null ? <span className="font-normal text-slate-500">· page {passage.page}</span> : null}
            {passage.heading_path.length > 0 ? (
              <span className="font-normal text-slate-500">· {passage.heading_path.join(" › ")}</span>
            ) : null}
          </p>
          <details className="mt-0.5">
            <summary className="cursor-pointer text-slate-500">Passage</summary>
            <p className="mt-1 leading-relaxed whitespace-pre-line text-slate-600">{passage.content}</p>
          </details>
        </li>
      ))}
    </ul>
  );
}
