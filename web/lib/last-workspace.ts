export const LAST_WORKSPACE_COOKIE = "cc_last_workspace";

/** Remembers the workspace the person last opened, so `/` can take them back to it. */
export function rememberWorkspace(workspaceId: string): void {
  if (typeof document === "undefined") return;
  document.cookie = `${LAST_WORKSPACE_COOKIE}=${encodeURIComponent(workspaceId)}; path=/; max-age=31536000; samesite=lax`;
}
