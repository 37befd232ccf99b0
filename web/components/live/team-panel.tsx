import Link from "next/link";

import { Avatar } from "@/components/ui/avatar";
import { Card, CardBody, CardHeader } from "@/components/ui/card";
import { formatDuration } from "@/lib/calls";
import { cn } from "@/lib/cn";
import type { AgentPresence } from "@/lib/console";
import { PRESENCE_DOT, agentName, effectivePresence, presenceLabel, sortAgents, statusSince } from "@/lib/live";

/** The workspace's people with the status the team sees and how long they have been in it. */
export function TeamPanel({ agents, workspaceId, now }: { agents: AgentPresence[]; workspaceId: string; now: number }) {
  // Heartbeats stop arriving when a console closes: the status goes stale here without any row changing.
  const current = sortAgents(agents.map((agent) => ({ ...agent, effective_status: effectivePresence(agent, now) })));
  const available = current.filter((agent) => agent.effective_status === "available").length;
  return (
    <Card data-testid="team-panel">
      <CardHeader title="Team" description={`${available} available of ${current.length}`} />
      <CardBody className="px-0 py-2 sm:px-0">
        {current.length === 0 ? (
          <p className="px-5 py-4 text-sm text-slate-500 sm:px-6">Nobody in this workspace yet.</p>
        ) : (
          <ul className="divide-y divide-slate-100">
            {current.map((agent) => {
              const since = statusSince(agent);
              const elapsed = since ? Math.max(0, (now - new Date(since).getTime()) / 1000) : null;
              return (
                <li
                  key={agent.user_id}
                  className="flex items-center gap-3 px-5 py-2.5 sm:px-6"
                  data-testid="team-agent"
                  data-status={agent.effective_status}
                  data-user-id={agent.user_id}
                  data-email={agent.email ?? ""}
                >
                  <span className="relative">
                    <Avatar name={agent.name} email={agent.email ?? ""} />
                    <span
                      className={cn(
                        "absolute -right-0.5 -bottom-0.5 size-3 rounded-full ring-2 ring-white",
                        PRESENCE_DOT[agent.effective_status],
                      )}
                    />
                  </span>
                  <div className="min-w-0 flex-1">
                    <p className="truncate text-sm font-medium text-slate-900">{agentName(agent)}</p>
                    <p className="text-xs text-slate-500">
                      <span data-testid="team-agent-status">{presenceLabel(agent.effective_status)}</span>
                      {elapsed !== null ? (
                        <span className="tabular-nums" data-testid="team-agent-since">
                          {" "}
                          · {formatDuration(elapsed)}
                        </span>
                      ) : null}
                    </p>
                  </div>
                  {agent.current_call_id && (agent.effective_status === "on_call" || agent.effective_status === "wrap_up") ? (
                    <Link
                      href={`/w/${workspaceId}/calls/${agent.current_call_id}`}
                      className="text-xs font-medium text-brand-700 hover:underline"
                    >
                      View call
                    </Link>
                  ) : null}
                </li>
              );
            })}
          </ul>
        )}
      </CardBody>
    </Card>
  );
}
