import type { NextRequest } from "next/server";

/** An absolute URL on the host the browser used (its Host header).
 *
 * `request.url` / `request.nextUrl` under `next start -H 127.0.0.1` name `localhost`, and
 * cookies set on 127.0.0.1 are not sent to localhost, so redirects must keep the browser's host. */
export function urlOnRequestHost(request: NextRequest, path: string): URL {
  const host = request.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || request.headers.get("host");
  const proto =
    request.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || request.nextUrl.protocol.replace(/:$/, "");
  const base = host ? `${proto}://${host}` : request.url;
  return new URL(path, base);
}
