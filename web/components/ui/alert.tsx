import type { ReactNode } from "react";

import { cn } from "@/lib/cn";
import { AlertIcon, CheckCircleIcon, InfoIcon } from "@/components/ui/icons";

type Tone = "error" | "info" | "success" | "warning";

const tones: Record<Tone, { box: string; icon: string }> = {
  error: { box: "bg-red-50 text-red-800 ring-red-200", icon: "text-red-500" },
  warning: { box: "bg-amber-50 text-amber-900 ring-amber-200", icon: "text-amber-500" },
  info: { box: "bg-brand-50 text-brand-900 ring-brand-200", icon: "text-brand-500" },
  success: { box: "bg-emerald-50 text-emerald-900 ring-emerald-200", icon: "text-emerald-500" },
};

export function Alert({
  tone = "error",
  title,
  children,
  action,
  className,
  testId,
}: {
  tone?: Tone;
  title?: ReactNode;
  children?: ReactNode;
  action?: ReactNode;
  className?: string;
  testId?: string;
}) {
  const Icon = tone === "success" ? CheckCircleIcon : tone === "info" ? InfoIcon : AlertIcon;
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      data-testid={testId}
      className={cn("flex gap-3 rounded-lg px-3.5 py-3 text-sm ring-1 ring-inset", tones[tone].box, className)}
    >
      <Icon className={cn("mt-0.5 size-4 shrink-0", tones[tone].icon)} />
      <div className="min-w-0 flex-1 space-y-1">
        {title ? <p className="font-medium">{title}</p> : null}
        {children ? <div className="leading-relaxed">{children}</div> : null}
        {action ? <div className="pt-1">{action}</div> : null}
      </div>
    </div>
  );
}
