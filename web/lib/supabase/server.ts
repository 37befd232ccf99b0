import { createServerClient } from "@supabase/ssr";
import { cookies } from "next/headers";

import { readRuntimeConfig } from "@/lib/runtime-config";

/** A Supabase client for server components and route handlers, bound to this request's cookies.
 * Create a new one for each request; never share it. */
export async function createClient() {
  const cookieStore = await cookies();
  const { supabaseUrl, supabaseAnonKey } = readRuntimeConfig();
  return createServerClient(supabaseUrl, supabaseAnonKey, {
    cookies: {
      getAll() {
        return cookieStore.getAll();
      },
      setAll(cookiesToSet) {
        try {
          cookiesToSet.forEach(({ name, value, options }) => cookieStore.set(name, value, options));
        } catch {
          // Called from a server component: cookies are read-only there. The proxy refreshes sessions.
        }
      },
    },
  });
}

export type SessionUser = { id: string; email: string; accessToken: string };

/** The signed-in user, verified by the auth server's keys (getClaims), with the access token for API calls. */
export async function getSessionUser(): Promise<SessionUser | null> {
  const supabase = await createClient();
  try {
    const { data, error } = await supabase.auth.getClaims();
    if (error || !data?.claims) return null;
    const { data: sessionData } = await supabase.auth.getSession();
    const session = sessionData.session;
    if (!session) return null;
    return {
      id: String(data.claims.sub),
      email: String(data.claims.email ?? session.user.email ?? ""),
      accessToken: session.access_token,
    };
  } catch {
    return null;
  }
}
