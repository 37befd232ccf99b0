"""A local stand-in for Supabase Auth (GoTrue), for laptops and CI only.

Supabase Auth's Go module cannot be installed here, so this package speaks
the part of its HTTP API that our clients use (supabase-js / auth-js 2.109 in
the browser and Node, @supabase/ssr, and our own Python code), over the same
database tables, with request and response shapes, status codes and error
codes modelled on Supabase Auth v2.189.0. In production the hosted Supabase
Auth is used instead; nothing here is deployed.

Implemented (paths as seen behind the /auth/v1 prefix):
  GET  /health, /settings, /.well-known/jwks.json (public keys only)
  POST /signup                email + password; `data` -> user_metadata; PKCE;
                               confirmation email unless GOTRUE_MAILER_AUTOCONFIRM;
                               before-user-created HTTP hook
  POST /token                 grant_type=password | refresh_token | pkce
  GET  /verify                email links (signup, recovery, email_change; magiclink and
                               invite tokens are accepted but nothing here sends them)
                               -> 303 to redirect_to (?code= or #access_token=)
  POST /verify                token_hash + type, or email + token (OTP code)
  GET  /user, PUT /user       email (double-confirmed change), password, data
  POST /logout                ?scope=global|local|others
  POST /recover, POST /resend (signup, email_change)
  GET/POST /admin/users, GET/PUT/DELETE /admin/users/{id}

Tokens: ES256 (or RS256) access tokens signed with GOTRUE_JWT_KEYS, with
Supabase Auth's claims; Supabase Auth's original 12-character rotating
refresh tokens in auth.refresh_tokens (not its newer v2 signed format), with
a 10 s reuse interval by default (GOTRUE_SECURITY_REFRESH_TOKEN_REUSE_INTERVAL,
as on hosted projects).

The before-user-created hook runs where Supabase Auth v2.189 runs it: on
POST /signup (not on POST /admin/users). Its refusals, failures and
timeouts surface with Supabase Auth's statuses (an unreachable hook is
422 hook_timeout_after_retry after 3 attempts).

Not implemented: phone/SMS, anonymous sign-in, OAuth/OIDC providers and
id_token/web3 grants, SSO/SAML, MFA (factors), passkeys, magic links and
/otp, /invite, /admin/generate_link, /reauthenticate, identity linking,
the OAuth 2.1 server, custom access token / send-email / password
verification hooks, captcha, audit log, HaveIBeenPwned checks,
database-level encryption, IP-based request rate limits (only the per-user
email frequency limit and an optional GOTRUE_RATE_LIMIT_EMAIL_SENT), and
custom email templates (Supabase Auth's default templates are used)."""
