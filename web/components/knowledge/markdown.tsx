"use client";

import ReactMarkdown, { type Components } from "react-markdown";
import remarkGfm from "remark-gfm";

import { cn } from "@/lib/cn";

/** react-markdown hands each component its syntax-tree `node`, which is no DOM attribute. */
function omitNode<T extends object>(props: T): Omit<T, "node"> {
  const copy: T & { node?: unknown } = { ...props };
  delete copy.node;
  return copy;
}

// Raw HTML in the Markdown is not rendered (react-markdown's default), so an article can't
// inject markup; images show as their description, since the AI only reads text.
const components: Components = {
  h1: (props) => <h1 className="mt-6 mb-3 text-xl font-semibold text-slate-900 first:mt-0" {...omitNode(props)} />,
  h2: (props) => <h2 className="mt-6 mb-2.5 text-lg font-semibold text-slate-900 first:mt-0" {...omitNode(props)} />,
  h3: (props) => <h3 className="mt-5 mb-2 text-base font-semibold text-slate-900 first:mt-0" {...omitNode(props)} />,
  h4: (props) => <h4 className="mt-4 mb-2 text-sm font-semibold text-slate-900 first:mt-0" {...omitNode(props)} />,
  h5: (props) => <h5 className="mt-4 mb-2 text-sm font-semibold text-slate-800 first:mt-0" {...omitNode(props)} />,
  h6: (props) => <h6 className="mt-4 mb-2 text-sm font-medium text-slate-700 first:mt-0" {...omitNode(props)} />,
  p: (props) => <p className="my-3 leading-relaxed first:mt-0 last:mb-0" {...omitNode(props)} />,
  a: (props) => (
    <a className="font-medium text-brand-700 underline decoration-brand-300 underline-offset-2 hover:text-brand-800" target="_blank" rel="noopener noreferrer" {...omitNode(props)} />
  ),
  ul: (props) => <ul className="my-3 list-disc space-y-1 pl-6 marker:text-slate-400" {...omitNode(props)} />,
  ol: (props) => <ol className="my-3 list-decimal space-y-1 pl-6 marker:text-slate-400" {...omitNode(props)} />,
  blockquote: (props) => (
    <blockquote className="my-3 border-l-2 border-slate-300 pl-4 text-slate-600" {...omitNode(props)} />
  ),
  code: ({ className, ...props }) => (
    <code className={cn("rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.85em] text-slate-800", className)} {...omitNode(props)} />
  ),
  pre: (props) => (
    <pre className="my-3 overflow-x-auto rounded-lg bg-slate-900 p-3.5 text-[13px] text-slate-100 [&_code]:bg-transparent [&_code]:p-0 [&_code]:text-slate-100" {...omitNode(props)} />
  ),
  hr: () => <hr className="my-5 border-slate-200" />,
  table: (props) => (
    <div className="my-3 overflow-x-auto">
      <table className="w-full border-collapse text-left text-[13px]" {...omitNode(props)} />
    </div>
  ),
  th: (props) => <th className="border-b border-slate-300 px-2.5 py-1.5 font-semibold" {...omitNode(props)} />,
  td: (props) => <td className="border-b border-slate-100 px-2.5 py-1.5 align-top" {...omitNode(props)} />,
  img: ({ alt }) => <span className="text-slate-500 italic">[image{alt ? `: ${alt}` : ""}]</span>,
};

export function Markdown({ children, className }: { children: string; className?: string }) {
  return (
    <div className={cn("text-sm break-words text-slate-700", className)}>
      <ReactMarkdown remarkPlugins={[remarkGfm]} components={components} skipHtml>
        {children}
      </ReactMarkdown>
    </div>
  );
}
