import type { EmailOtpType } from "@supabase/supabase-js";
import { NextResponse, type NextRequest } from "next/server";

import { urlOnRequestHost } from "@/lib/request-url";
import { safeNext } from "@/lib/safe-next";
import { createClient } from "@/lib/supabase/server";

/** Where the confirmation email's link lands.
 * PKCE: `?code=...` is exchanged for a session (the code verifier cookie was set at sign-up).
 * Token hash: `?token_hash=...&type=...` is verified with verifyOtp. */
export async function GET(request: NextRequest) {
  const { searchParams } = request.nextUrl;
  const next = safeNext(searchParams.get("next"));
  const code = searchParams.get("code");
  const tokenHash = searchParams.get("token_hash");
  const type = searchParams.get("type") as EmailOtpType | null;

  const toLogin = (message: string) => {
    const url = urlOnRequestHost(request, "/login");
    url.searchParams.set("error", message);
    if (next !== "/") url.searchParams.set("next", next);
    return NextResponse.redirect(url);
  };

  const upstreamError = searchParams.get("error_description") ?? searchParams.get("error");
  if (upstreamError && !code && !tokenHash) {
    return toLogin(`${upstreamError}. Log in, or request a new confirmation email.`);
  }

  const supabase = await createClient();
  try {
    if (code) {
      const { error } = await supabase.auth.exchangeCodeForSession(code);
      if (!error) return NextResponse.redirect(urlOnRequestHost(request, next));
      return toLogin(
        "Your email is confirmed, but we couldn't sign you in from this link (it may have been opened in another browser). Please log in.",
      );
    }
    if (tokenHash && type) {
      const { error } = await supabase.auth.verifyOtp({ type, token_hash: tokenHash });
      if (!error) return NextResponse.redirect(urlOnRequestHost(request, next));
      return toLogin(`${error.message}. The link may have expired: log in to get a new one.`);
    }
  } catch {
    return toLogin("We couldn't reach the sign-in service. Please try again.");
  }
  return toLogin("This confirmation link is incomplete. Log in, or request a new confirmation email.");
}
