import { connection } from "next/server";

/** Configuration read from the server's environment at request time.
 *
 * Nothing here is inlined at build time: the launcher (or the deployment)
 * sets these variables when it starts `next start`, and the root layout hands
 * them to client components through <ConfigProvider>. */
export type RuntimeConfig = {
  supabaseUrl: string;
  supabaseAnonKey: string;
  apiUrl: string;
  /** Local mail catcher inbox (only set when running locally). */
  mailCatcherUrl: string | null;
};

function trimSlash(value: string): string {
  return value.replace(/\/+$/, "");
}

/** Reads the environment without marking the render as dynamic (for route handlers and the proxy). */
export function readRuntimeConfig(): RuntimeConfig {
  return {
    supabaseUrl: trimSlash(process.env.SUPABASE_URL ?? ""),
    supabaseAnonKey: process.env.SUPABASE_ANON_KEY ?? "",
    apiUrl: trimSlash(process.env.API_URL ?? ""),
    mailCatcherUrl: process.env.MAIL_CATCHER_URL ? trimSlash(process.env.MAIL_CATCHER_URL) : null,
  };
}

/** For server components: opts the render out of prerendering so the values are the ones of this request. */
export async function getRuntimeConfig(): Promise<RuntimeConfig> {
  await connection();
  return readRuntimeConfig();
}
