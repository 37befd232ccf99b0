"use client";

import { useMemo } from "react";

import { createApi, type Api } from "@/lib/api";
import { useConfig } from "@/lib/config-context";
import { useSupabase } from "@/lib/supabase/client";

/** The API client for client components: takes the current (auto-refreshed) access token for each call. */
export function useApi(): Api {
  const { apiUrl } = useConfig();
  const supabase = useSupabase();
  return useMemo(
    () =>
      createApi(apiUrl, async () => {
        const { data } = await supabase.auth.getSession();
        return data.session?.access_token ?? null;
      }),
    [apiUrl, supabase],
  );
}
