"use client";

import type { RealtimeChannel, RealtimePostgresChangesPayload } from "@supabase/supabase-js";
import { useEffect, useRef, useState } from "react";

import { useSupabase } from "@/lib/supabase/client";

export type RealtimeState = "connecting" | "live" | "offline";

export type TableBinding = { table: string; filter: string };

export type ChangePayload = RealtimePostgresChangesPayload<Record<string, unknown>>;

/** Subscribes to Postgres changes (supabase-js `postgres_changes`) on one channel and calls
 * `onChange(table, payload)` for each event (`payload.new` holds the row as inserted or updated).
 * The page must keep working without it: callers also
 * refresh after their own changes and when the window regains focus. */
export function usePostgresChanges(
  channelName: string | null,
  bindings: TableBinding[],
  onChange: (table: string, payload: ChangePayload) => void,
): RealtimeState {
  const supabase = useSupabase();
  const [state, setState] = useState<RealtimeState>("connecting");
  const callback = useRef(onChange);
  useEffect(() => {
    callback.current = onChange;
  });
  const key = JSON.stringify(bindings);

  useEffect(() => {
    if (!channelName) return;
    const list = JSON.parse(key) as TableBinding[];
    let channel: RealtimeChannel | null = null;
    let cancelled = false;

    (async () => {
      // The realtime server authorizes rows with the user's JWT.
      const { data } = await supabase.auth.getSession();
      if (data.session) await supabase.realtime.setAuth(data.session.access_token).catch(() => undefined);
      if (cancelled) return;
      channel = supabase.channel(channelName);
      for (const binding of list) {
        channel = channel.on(
          "postgres_changes",
          { event: "*", schema: "public", table: binding.table, filter: binding.filter },
          (payload: ChangePayload) => callback.current(binding.table, payload),
        );
      }
      channel.subscribe((status) => {
        if (cancelled) return;
        if (status === "SUBSCRIBED") setState("live");
        else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") setState("offline");
      });
    })().catch(() => {
      if (!cancelled) setState("offline");
    });

    return () => {
      cancelled = true;
      setState("connecting");
      if (channel) void supabase.removeChannel(channel);
    };
  }, [supabase, channelName, key]);

  return state;
}

/** Calls `refresh` when the tab becomes visible again (the fallback when realtime is down). */
export function useRefreshOnFocus(refresh: () => void): void {
  const callback = useRef(refresh);
  useEffect(() => {
    callback.current = refresh;
  });
  useEffect(() => {
    let last = Date.now();
    function onVisible() {
      if (document.visibilityState !== "visible") return;
      if (Date.now() - last < 2000) return;
      last = Date.now();
      callback.current();
    }
    document.addEventListener("visibilitychange", onVisible);
    window.addEventListener("focus", onVisible);
    return () => {
      document.removeEventListener("visibilitychange", onVisible);
      window.removeEventListener("focus", onVisible);
    };
  }, []);
}
