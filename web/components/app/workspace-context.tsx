"use client";

import { useRouter } from "next/navigation";
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";

import { ApiError, type Api, type Business, type Me, type Workspace } from "@/lib/api";
import { rememberWorkspace } from "@/lib/last-workspace";
import { usePostgresChanges, useRefreshOnFocus, type RealtimeState, type TableBinding } from "@/lib/realtime";
import { useApi } from "@/lib/use-api";

export type WorkspaceContextValue = {
  workspaceId: string;
  api: Api;
  me: Me | null;
  meError: ApiError | null;
  workspace: Workspace | null;
  workspaceError: ApiError | null;
  /** The current user's membership in the workspace's business. */
  business: Business | null;
  /** Owners and admins of the business can create workspaces. */
  canCreateWorkspace: boolean;
  realtime: RealtimeState;
  /** Goes up by one whenever realtime reports a change in this workspace's members. */
  membersVersion: number;
  refreshMe: () => Promise<void>;
  refreshWorkspace: () => Promise<void>;
};

const WorkspaceContext = createContext<WorkspaceContextValue | null>(null);

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(0, "error", error instanceof Error ? error.message : "Something went wrong.");
}

export function WorkspaceProvider({ workspaceId, children }: { workspaceId: string; children: ReactNode }) {
  const api = useApi();
  const router = useRouter();
  const [meState, setMeState] = useState<{ me: Me | null; error: ApiError | null }>({ me: null, error: null });
  // Keyed by workspace id, so a different workspace never shows the previous one's data.
  const [workspaceState, setWorkspaceState] = useState<{
    id: string;
    workspace: Workspace | null;
    error: ApiError | null;
  }>({ id: workspaceId, workspace: null, error: null });
  const [membersVersion, setMembersVersion] = useState(0);

  const onUnauthenticated = useCallback(
    (error: ApiError) => {
      if (error.status === 401) router.replace(`/login?next=${encodeURIComponent(`/w/${workspaceId}`)}`);
    },
    [router, workspaceId],
  );

  const refreshMe = useCallback(
    () =>
      api.me().then(
        (me) => setMeState({ me, error: null }),
        (error: unknown) => {
          const apiError = asApiError(error);
          setMeState((previous) => ({ ...previous, error: apiError }));
          onUnauthenticated(apiError);
        },
      ),
    [api, onUnauthenticated],
  );

  const refreshWorkspace = useCallback(
    () =>
      api.workspace(workspaceId).then(
        (workspace) => {
          setWorkspaceState({ id: workspaceId, workspace, error: null });
          rememberWorkspace(workspaceId);
        },
        (error: unknown) => {
          const apiError = asApiError(error);
          // A network blip keeps what is on screen; a 403/404 means it is gone or out of reach.
          const gone = apiError.status === 403 || apiError.status === 404 || apiError.status === 422;
          setWorkspaceState((previous) => ({
            id: workspaceId,
            workspace: gone || previous.id !== workspaceId ? null : previous.workspace,
            error: apiError,
          }));
          onUnauthenticated(apiError);
        },
      ),
    [api, workspaceId, onUnauthenticated],
  );

  useEffect(() => {
    void refreshWorkspace();
  }, [refreshWorkspace]);

  useEffect(() => {
    void refreshMe();
  }, [refreshMe]);

  const me = meState.me;
  const meError = meState.error;
  const current = workspaceState.id === workspaceId;
  const workspace = current ? workspaceState.workspace : null;
  const workspaceError = current ? workspaceState.error : null;

  // Realtime: workspaces of this business (created, renamed, deleted) and this workspace's members.
  const pending = useRef<{ timer: number | null; tables: Set<string> }>({ timer: null, tables: new Set() });
  const onChange = useCallback(
    (table: string) => {
      const queue = pending.current;
      queue.tables.add(table);
      if (queue.timer !== null) return;
      queue.timer = window.setTimeout(() => {
        const tables = new Set(queue.tables);
        queue.tables.clear();
        queue.timer = null;
        void refreshMe();
        void refreshWorkspace();
        if (tables.has("workspace_members")) setMembersVersion((value) => value + 1);
      }, 150);
    },
    [refreshMe, refreshWorkspace],
  );
  const businessId = workspace?.business_id ?? null;
  const bindings = useMemo<TableBinding[]>(
    () =>
      businessId
        ? [
            { table: "workspaces", filter: `business_id=eq.${businessId}` },
            { table: "workspace_members", filter: `workspace_id=eq.${workspaceId}` },
          ]
        : [],
    [businessId, workspaceId],
  );
  const realtime = usePostgresChanges(businessId ? `workspace:${workspaceId}` : null, bindings, onChange);
  useEffect(() => {
    const queue = pending.current;
    return () => {
      if (queue.timer !== null) window.clearTimeout(queue.timer);
    };
  }, []);

  useRefreshOnFocus(() => {
    void refreshMe();
    void refreshWorkspace();
    setMembersVersion((value) => value + 1);
  });

  const business = useMemo(
    () => (workspace && me ? (me.businesses.find((item) => item.id === workspace.business_id) ?? null) : null),
    [me, workspace],
  );
  const canCreateWorkspace = business?.role === "owner" || business?.role === "admin";

  const value: WorkspaceContextValue = {
    workspaceId,
    api,
    me,
    meError,
    workspace,
    workspaceError,
    business,
    canCreateWorkspace,
    realtime,
    membersVersion,
    refreshMe,
    refreshWorkspace,
  };
  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useWorkspaceContext(): WorkspaceContextValue {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error("useWorkspaceContext must be used inside <WorkspaceProvider>");
  return value;
}

/** For pages rendered by the shell once the workspace has loaded. */
export function useWorkspace(): WorkspaceContextValue & { workspace: Workspace } {
  const value = useWorkspaceContext();
  if (!value.workspace) throw new Error("The workspace has not loaded yet");
  return value as WorkspaceContextValue & { workspace: Workspace };
}
