import { cn } from "@/lib/cn";

/** A progress bar; `value` null shows an indeterminate (moving) bar. */
export function ProgressBar({
  value,
  label,
  className,
  tone = "brand",
}: {
  /** 0..1, or null when the total isn't known. */
  value: number | null;
  label: string;
  className?: string;
  tone?: "brand" | "success" | "danger";
}) {
  const percent = value === null ? null : Math.round(Math.max(0, Math.min(1, value)) * 100);
  const color = tone === "success" ? "bg-emerald-500" : tone === "danger" ? "bg-red-500" : "bg-brand-500";
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
      className={cn("relative h-1.5 w-full overflow-hidden rounded-full bg-slate-200/80", className)}
    >
      {percent === null ? (
        <div className={cn("absolute inset-y-0 w-1/3 animate-indeterminate rounded-full motion-reduce:left-1/3 motion-reduce:animate-none", color)} />
      ) : (
        <div
          className={cn("h-full rounded-full transition-[width] duration-500 ease-out", color)}
          style={{ width: `${Math.max(percent, 2)}%` }}
        />
      )}
    </div>
  );
}
