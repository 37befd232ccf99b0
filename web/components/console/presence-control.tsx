"use client";

import { cn } from "@/lib/cn";
import { CHOSEN_PRESENCE, PRESENCE_LABEL, type AgentPresence, type ChosenPresence, type PresenceStatus } from "@/lib/console";

const DOT: Record<PresenceStatus, string> = {
  available: "bg-emerald-500",
  on_call: "bg-red-500",
  wrap_up: "bg-amber-500",
  away: "bg-slate-400",
  offline: "bg-slate-300",
};

/** My status: I choose Available, Away or Offline; On a call and Wrap-up are set by the system. */
export function PresenceControl({
  presence,
  onChoose,
}: {
  presence: AgentPresence;
  onChoose: (status: ChosenPresence) => Promise<void>;
}) {
  const status = presence.status;
  const systemSet = status === "on_call" || status === "wrap_up";
  return (
    <div className="flex flex-wrap items-center gap-3" data-testid="presence-status" data-status={status}>
      <span className="inline-flex items-center gap-2 text-sm font-medium text-slate-800" data-testid="presence-label">
        <span className={cn("size-2.5 rounded-full", DOT[status])} aria-hidden="true" />
        {PRESENCE_LABEL[status]}
      </span>
      <div role="radiogroup" aria-label="Your status" className="inline-flex rounded-lg bg-slate-100 p-0.5">
        {CHOSEN_PRESENCE.map((choice) => (
          <button
            key={choice}
            type="button"
            role="radio"
            aria-checked={status === choice}
            disabled={systemSet}
            onClick={() => void onChoose(choice)}
            data-testid={`presence-${choice}`}
            className={cn(
              "rounded-md px-3 py-1.5 text-[13px] font-medium transition-colors disabled:cursor-not-allowed disabled:opacity-50",
              status === choice ? "bg-white text-slate-900 shadow-sm" : "text-slate-600 hover:text-slate-900",
            )}
          >
            {PRESENCE_LABEL[choice]}
          </button>
        ))}
      </div>
    </div>
  );
}
