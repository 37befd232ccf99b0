"use client";

import { createBrowserClient } from "@supabase/ssr";
import type { SupabaseClient } from "@supabase/supabase-js";
import { useMemo } from "react";

import { useConfig } from "@/lib/config-context";

let cached: { key: string; client: SupabaseClient } | null = null;

/** The browser Supabase client (session kept in cookies, shared with the server). */
export function getBrowserClient(url: string, anonKey: string): SupabaseClient {
  const key = `${url}|${anonKey}`;
  if (!cached || cached.key !== key) {
    cached = { key, client: createBrowserClient(url, anonKey) };
  }
  return cached.client;
}

export function useSupabase(): SupabaseClient {
  const { supabaseUrl, supabaseAnonKey } = useConfig();
  return useMemo(() => getBrowserClient(supabaseUrl, supabaseAnonKey), [supabaseUrl, supabaseAnonKey]);
}
