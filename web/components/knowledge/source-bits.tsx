import type { KnowledgeSourceKind, KnowledgeStatus } from "@/lib/api";
import { Badge } from "@/components/ui/badge";
import { AlertIcon, CheckIcon, FileTextIcon, GlobeIcon, PenIcon } from "@/components/ui/icons";
import { Spinner } from "@/components/ui/spinner";
import { cn } from "@/lib/cn";
import { KIND_LABELS, STATUS_LABELS } from "@/lib/knowledge";

const kindStyles: Record<KnowledgeSourceKind, string> = {
  website: "bg-sky-50 text-sky-600 ring-sky-100",
  article: "bg-violet-50 text-violet-600 ring-violet-100",
  document: "bg-amber-50 text-amber-700 ring-amber-100",
};

export function KindIcon({ kind, className }: { kind: KnowledgeSourceKind; className?: string }) {
  const Icon = kind === "website" ? GlobeIcon : kind === "article" ? PenIcon : FileTextIcon;
  return <Icon className={className} aria-hidden="true" />;
}

/** The kind's icon in a tinted square, labelled for assistive technology. */
export function KindTile({ kind, size = "md" }: { kind: KnowledgeSourceKind; size?: "sm" | "md" }) {
  return (
    <span
      className={cn(
        "flex shrink-0 items-center justify-center rounded-lg ring-1 ring-inset",
        size === "sm" ? "size-6" : "size-9",
        kindStyles[kind],
      )}
      title={KIND_LABELS[kind].one}
    >
      <KindIcon kind={kind} className={size === "sm" ? "size-3.5" : "size-4"} />
      <span className="sr-only">{KIND_LABELS[kind].one}</span>
    </span>
  );
}

export function StatusBadge({ status }: { status: KnowledgeStatus }) {
  const label = STATUS_LABELS[status];
  if (status === "processing") {
    return (
      <Badge tone="brand">
        <Spinner className="size-3" />
        {label}
      </Badge>
    );
  }
  if (status === "ready") {
    return (
      <Badge tone="success">
        <CheckIcon className="size-3" strokeWidth={2.5} />
        {label}
      </Badge>
    );
  }
  if (status === "failed") {
    return (
      <Badge tone="danger">
        <AlertIcon className="size-3" strokeWidth={2.2} />
        {label}
      </Badge>
    );
  }
  if (status === "queued") return <Badge tone="warning">{label}</Badge>;
  return <Badge tone="neutral">{label}</Badge>;
}
