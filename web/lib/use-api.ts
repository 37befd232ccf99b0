"use client";

import { useMemo } from "react";

import { createApi, type Api } from "@/lib/api";
import { useConfig } from "@/lib/config-context";
import { useSupabase } from "@/lib/supabase/client";

type AccessToken = () => Promise<string | null>;

/** An API client for client components (made by `create`, a module-level function): each call takes the
 * current (auto-refreshed) access token. */
export function useApiClient<Client>(create: (baseUrl: string, token: AccessToken) => Client): Client {
  const { apiUrl } = useConfig();
  const supabase = useSupabase();
  return useMemo(
    () =>
      create(apiUrl, async () => {
        const { data } = await supabase.auth.getSession();
        return data.session?.access_token ?? null;
      }),
    [apiUrl, supabase, create],
  );
}

export function useApi(): Api {
  return useApiClient(createApi);
}
