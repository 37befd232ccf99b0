// The production auth client (@supabase/supabase-js 2.109 / auth-js) against the local
// Supabase Auth stand-in, through the gateway exactly as the web app reaches it:
// sign up, follow the confirmation link from the mail catcher, sign in, read the user,
// verify the JWT with the JWKS, refresh, sign out; the PKCE variant; duplicate sign-ups.
//
// Needs `./dev up` (gateway, auth, mail, and the API for the before-user-created hook).
// SUPABASE_URL, SUPABASE_ANON_KEY, SUPABASE_SERVICE_ROLE_KEY and MAIL_CATCHER_URL default to
// the values in .local/runtime.env.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

import { createClient } from "@supabase/supabase-js";

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

function runtimeEnv() {
  try {
    const text = readFileSync(path.join(ROOT, ".local", "runtime.env"), "utf8");
    return Object.fromEntries(
      text
        .split("\n")
        .filter((line) => line.includes("="))
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
  } catch {
    return {};
  }
}

const ENV = { ...runtimeEnv(), ...process.env };
const SUPABASE_URL = (ENV.SUPABASE_URL ?? "http://127.0.0.1:54321").replace(/\/+$/, "");
const ANON_KEY = ENV.SUPABASE_ANON_KEY;
const SERVICE_ROLE_KEY = ENV.SUPABASE_SERVICE_ROLE_KEY;
const MAIL_URL = (ENV.MAIL_CATCHER_URL ?? "http://127.0.0.1:54324").replace(/\/+$/, "");
const SITE_URL = (ENV.SITE_URL ?? "http://127.0.0.1:3000").replace(/\/+$/, "");
const PASSWORD = `Pw-${randomBytes(6).toString("hex")}`;
const created = [];

const rand = (bytes = 4) => randomBytes(bytes).toString("hex");
// A business-looking address: the before-user-created hook refuses free-mail domains.
const newEmail = (prefix) => `${prefix}-${rand(5)}@corp-${rand(3)}.com`;

// supabase-js builds a realtime client eagerly and, on Node 20, insists on a WebSocket class.
// These tests never open a channel, so a placeholder that refuses to connect is enough.
class NoWebSocket {
  constructor() {
    throw new Error("realtime is not used by the auth tests");
  }
}

function client(options = {}, key = ANON_KEY) {
  return createClient(SUPABASE_URL, key, {
    auth: { persistSession: true, autoRefreshToken: false, detectSessionInUrl: false, ...options },
    realtime: { transport: NoWebSocket },
  });
}

async function confirmationLink(email, { timeout = 10_000 } = {}) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const response = await fetch(`${MAIL_URL}/api/messages?to=${encodeURIComponent(email)}`);
    const messages = await response.json();
    const link = messages.flatMap((message) => message.links).find((l) => l.includes("type=signup"));
    if (link) return link;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no confirmation email for ${email}`);
}

async function follow(link) {
  const response = await fetch(link, { redirect: "manual" });
  assert.equal(response.status, 303);
  return new URL(response.headers.get("location"));
}

before(async () => {
  assert.ok(ANON_KEY, "SUPABASE_ANON_KEY missing (run ./dev up)");
  const health = await fetch(`${SUPABASE_URL}/auth/v1/health`).catch(() => null);
  assert.ok(health?.ok, `Supabase Auth is not reachable at ${SUPABASE_URL}/auth/v1 (run ./dev up)`);
  const inbox = await fetch(`${MAIL_URL}/api/messages`).catch(() => null);
  assert.ok(inbox?.ok, `the mail catcher is not reachable at ${MAIL_URL}`);
});

after(async () => {
  if (!SERVICE_ROLE_KEY) return;
  const admin = client({ persistSession: false }, SERVICE_ROLE_KEY);
  for (const id of created) await admin.auth.admin.deleteUser(id);
});

test("sign up, confirm by email, sign in, get the user, refresh, sign out", async () => {
  const supabase = client();
  const email = newEmail("js");
  const redirectTo = `${SITE_URL}/auth/callback`;

  const signUp = await supabase.auth.signUp({
    email,
    password: PASSWORD,
    options: { data: { full_name: "JS Test" }, emailRedirectTo: redirectTo },
  });
  assert.equal(signUp.error, null);
  assert.equal(signUp.data.session, null, "email confirmation is on: no session before confirming");
  assert.equal(signUp.data.user.email, email);
  assert.equal(signUp.data.user.user_metadata.full_name, "JS Test");
  created.push(signUp.data.user.id);

  const early = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
  assert.equal(early.error?.code, "email_not_confirmed");
  assert.equal(early.error?.status, 400);

  const link = await confirmationLink(email);
  assert.ok(link.startsWith(`${SUPABASE_URL}/auth/v1/verify?token=`), link);
  const landing = await follow(link);
  assert.equal(`${landing.origin}${landing.pathname}`, redirectTo);
  const fragment = new URLSearchParams(landing.hash.slice(1));
  assert.equal(fragment.get("type"), "signup");
  const fromLink = await supabase.auth.setSession({
    access_token: fragment.get("access_token"),
    refresh_token: fragment.get("refresh_token"),
  });
  assert.equal(fromLink.error, null);
  assert.equal(fromLink.data.user.email, email);

  const signIn = await supabase.auth.signInWithPassword({ email, password: PASSWORD });
  assert.equal(signIn.error, null);
  const session = signIn.data.session;
  assert.equal(session.token_type, "bearer");
  assert.ok(session.expires_at > Date.now() / 1000);

  const { data: userData, error: userError } = await supabase.auth.getUser();
  assert.equal(userError, null);
  assert.equal(userData.user.id, signUp.data.user.id);
  assert.ok(userData.user.email_confirmed_at);
  assert.deepEqual(userData.user.app_metadata.providers, ["email"]);

  const { data: claimsData, error: claimsError } = await supabase.auth.getClaims();
  assert.equal(claimsError, null);
  assert.equal(claimsData.header.alg, "ES256");
  assert.equal(claimsData.claims.sub, signUp.data.user.id);
  assert.equal(claimsData.claims.role, "authenticated");
  assert.equal(claimsData.claims.session_id, JSON.parse(atob(session.access_token.split(".")[1])).session_id);

  const refreshed = await supabase.auth.refreshSession();
  assert.equal(refreshed.error, null);
  assert.notEqual(refreshed.data.session.refresh_token, session.refresh_token);
  assert.equal(refreshed.data.user.id, signUp.data.user.id);

  const accessToken = refreshed.data.session.access_token;
  const signOut = await supabase.auth.signOut();
  assert.equal(signOut.error, null);
  assert.equal((await supabase.auth.getSession()).data.session, null);
  const afterSignOut = await supabase.auth.getUser(accessToken);
  assert.equal(afterSignOut.error?.name, "AuthSessionMissingError");
  const stale = await client().auth.refreshSession({ refresh_token: refreshed.data.session.refresh_token });
  assert.equal(stale.error?.code, "refresh_token_not_found");
});

test("PKCE: the confirmation link carries a code that exchangeCodeForSession turns into a session", async () => {
  const supabase = client({ flowType: "pkce" });
  const email = newEmail("js-pkce");
  const signUp = await supabase.auth.signUp({
    email,
    password: PASSWORD,
    options: { emailRedirectTo: `${SITE_URL}/auth/callback?next=/app` },
  });
  assert.equal(signUp.error, null);
  created.push(signUp.data.user.id);

  const link = await confirmationLink(email);
  assert.match(link, /token=pkce_/);
  const landing = await follow(link);
  assert.equal(landing.searchParams.get("next"), "/app");
  const code = landing.searchParams.get("code");
  assert.ok(code, landing.toString());

  const { data, error } = await supabase.auth.exchangeCodeForSession(code);
  assert.equal(error, null);
  assert.equal(data.user.email, email);
  assert.ok(data.session.access_token);
  const again = await supabase.auth.exchangeCodeForSession(code);
  assert.ok(again.error, "an auth code is single use");
});

test("signing up twice, and wrong passwords", async () => {
  const supabase = client();
  const email = newEmail("js-dup");
  const first = await supabase.auth.signUp({ email, password: PASSWORD });
  assert.equal(first.error, null);
  created.push(first.data.user.id);
  await follow(await confirmationLink(email));

  const second = await supabase.auth.signUp({ email, password: PASSWORD });
  assert.equal(second.error, null);
  assert.notEqual(second.data.user.id, first.data.user.id, "an existing account is not revealed");
  assert.deepEqual(second.data.user.identities, []);

  const wrong = await supabase.auth.signInWithPassword({ email, password: "not-the-password" });
  assert.equal(wrong.error?.code, "invalid_credentials");
  assert.equal(wrong.error?.message, "Invalid login credentials");

  const weak = await supabase.auth.signUp({ email: newEmail("js-weak"), password: "123" });
  assert.equal(weak.error?.code, "weak_password");
  assert.deepEqual(weak.error?.reasons, ["length"]);
});
