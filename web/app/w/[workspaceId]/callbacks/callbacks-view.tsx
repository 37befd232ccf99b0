"use client";

import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import { PageHeader } from "@/components/app/workspace-main";
import { useWorkspace } from "@/components/app/workspace-context";
import { useNow } from "@/components/knowledge/use-knowledge-sources";
import { CallbackTaskItem } from "@/components/live/callback-task-item";
import { PhoneOutgoingIcon } from "@/components/ui/icons";
import { RetryAlert } from "@/components/ui/retry-alert";
import { Card } from "@/components/ui/card";
import { EmptyState } from "@/components/ui/empty-state";
import { Skeleton } from "@/components/ui/spinner";
import { TabPanel, Tabs, useTabsId } from "@/components/ui/tabs";
import { errorMessage } from "@/lib/api";
import { useConsoleApi, type CallbackStatus, type CallbackTask } from "@/lib/console";
import { usePostgresChanges, useRefreshOnFocus, type TableBinding } from "@/lib/realtime";

type Shown = Extract<CallbackStatus, "open" | "done">;

const TABS = [
  { value: "open", label: "Open", testId: "callbacks-tab-open" },
  { value: "done", label: "Done", testId: "callbacks-tab-done" },
] as const;

/** Callbacks the AI promised callers when nobody could take their call. */
export function CallbacksView() {
  const { workspace } = useWorkspace();
  const api = useConsoleApi();
  const [shown, setShown] = useState<Shown>("open");
  const [tasks, setTasks] = useState<{ status: Shown; tasks: CallbackTask[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const now = useNow(30_000);
  const tabsId = useTabsId();
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    return api.callbacks(workspace.id, shown).then(
      (page) => {
        if (mine !== generation.current) return;
        setTasks({ status: shown, tasks: page.tasks });
        setError(null);
      },
      (caught: unknown) => {
        if (mine === generation.current) setError(errorMessage(caught));
      },
    );
  }, [api, workspace.id, shown]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const bindings = useMemo<TableBinding[]>(
    () => [{ table: "callback_tasks", filter: `workspace_id=eq.${workspace.id}` }],
    [workspace.id],
  );
  const realtime = usePostgresChanges(`callbacks:${workspace.id}`, bindings, () => void reload());
  useRefreshOnFocus(() => void reload());

  async function complete(taskId: string, notes: string) {
    await api.completeCallback(workspace.id, taskId, notes);
    setTasks((previous) =>
      previous ? { ...previous, tasks: previous.tasks.filter((task) => task.id !== taskId || previous.status !== "open") } : previous,
    );
    void reload();
  }

  const list = tasks && tasks.status === shown ? tasks.tasks : null;
  return (
    <div data-testid="callbacks-page" data-realtime={realtime}>
      <PageHeader
        title="Callbacks"
        description="Callers the AI promised a call back when nobody on the team could take their call."
      />
      <Tabs items={TABS} value={shown} onChange={setShown} label="Callback tasks" idBase={tabsId} className="mb-4 max-w-xs" />
      {error ? (
        <RetryAlert className="mb-4" onRetry={reload}>
          {error}
        </RetryAlert>
      ) : null}
      <TabPanel idBase={tabsId} value={shown}>
        <Card>
          {list === null ? (
            <div className="space-y-3 p-5" aria-busy="true">
              <Skeleton className="h-12" />
              <Skeleton className="h-12" />
            </div>
          ) : list.length === 0 ? (
            <EmptyState
              icon={<PhoneOutgoingIcon className="size-5" />}
              title={shown === "open" ? "No callbacks to make" : "No callbacks done yet"}
              description={
                shown === "open"
                  ? "When every agent is busy, the AI offers callers a call back; each one shows up here."
                  : "Callbacks you mark done are listed here with your notes."
              }
              testId="callbacks-empty"
            />
          ) : (
            <ul className="divide-y divide-slate-100" data-testid="callbacks-list">
              {list.map((task) => (
                <CallbackTaskItem
                  key={task.id}
                  task={task}
                  workspaceId={workspace.id}
                  now={now}
                  onComplete={(notes) => complete(task.id, notes)}
                />
              ))}
            </ul>
          )}
        </Card>
      </TabPanel>
    </div>
  );
}
