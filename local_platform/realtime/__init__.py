"""Local stand-in for Supabase Realtime (which is Elixir and cannot run here).

It speaks the Phoenix channels protocol the way @supabase/realtime-js 2.109
does, so supabase-js runs unchanged against it. Run it with
`python -m local_platform.realtime` (env: PORT, HOST, DB_URL, JWKS_URL,
JWT_JWKS, JWT_SECRET, JWT_ISSUER, LOG_LEVEL); health at GET /health.

Implemented (the subset the platform uses):
- Sockets at /websocket (vsn 1.0.0 JSON objects, vsn 2.0.0 JSON arrays and
  binary broadcast frames); the `apikey` param (or x-api-key header) must be a
  valid JWT or the upgrade is refused with 403. Heartbeats on topic `phoenix`;
  sockets silent for 60 s are closed.
- Tokens: ES256/RS256/EdDSA from a JWKS (JWT_JWKS inline and/or JWKS_URL,
  cached), HS256 only if JWT_SECRET is set; `exp` and `role` required, role one
  of anon/authenticated/service_role, `iss` must equal JWT_ISSUER when set.
  Joins use the join's `access_token` (else the apikey); bad tokens get the
  error reply realtime-js shows ("InvalidJWTToken: Token has expired ...").
  `access_token` pushes replace a channel's token; when a channel's token
  expires it gets a `system` error and `phx_close` (no more deliveries).
- postgres_changes: event INSERT/UPDATE/DELETE/*, schema, table (or all of a
  schema), filters eq/neq/lt/lte/gt/gte/in (comma = AND). Only tables in the
  `supabase_realtime` publication stream. Join replies carry the subscription
  ids, then a `system` "Subscribed to PostgreSQL" (or the filter error).
  Each change is authorized as the subscriber: role and request.jwt.claims set
  in a rolled-back transaction, row selected by primary key (tables without
  RLS need only SELECT). For DELETE, the rows the same transaction deleted are
  restored inside that rolled-back transaction first, so policies (and their
  membership lookups) see the row as it was. Payloads have Supabase's shape;
  UPDATE/DELETE old records hold only the primary key unless REPLICA IDENTITY
  FULL (deletes on RLS tables: primary key only, as Supabase).
- Broadcast: client -> topic (self and ack options), REST POST /api/broadcast
  and POST /api/broadcast/{topic}/events/{event} (httpSend), and rows inserted
  into realtime.messages by realtime.send()/realtime.broadcast_changes().
- Presence: track/untrack, presence_state on join, presence_diff on change,
  entries removed when their channel leaves or their socket closes.
- Private channels (config.private): joining needs a row of realtime.messages
  with realtime.topic() = the topic to be selectable as the user (broadcast or
  presence extension), sending needs the insert policy, both checked as
  Supabase does. sql/realtime_schema.sql creates realtime.messages,
  realtime.topic(), realtime.send() and realtime.broadcast_changes().
- Change capture is local-only (sql/capture.sql, schema `_realtime_local`):
  a row trigger on each published table records the change and NOTIFYs its id;
  the server installs/removes these triggers as the publication changes
  (event trigger + 10 s poll) and prunes captured rows after a minute.
- Each socket has a bounded send queue (1000 frames or about 16 MB); a client
  that falls that far behind is disconnected (close 1013) instead of slowing
  the others down.
  Malformed frames get an error reply and the socket stays open.

Not implemented (differences from hosted Supabase):
- No WAL/logical replication: changes made while the server is not listening
  are not delivered later; commit_timestamp is the time the row changed inside
  its transaction, not the commit time. TRUNCATE is not streamed.
- Filter operators beyond eq/neq/lt/lte/gt/gte/in (like, ilike, is, not.*),
  filters on json/array columns, the `select` column list option, column-level
  privileges and publication column lists: rows are sent whole.
- Broadcast replay, the replication_ready wait (answered at once), rate limits,
  tenants, publishable `sb_` keys, the Postgres CDC "wait for subscription"
  option, multi-node anything. A private broadcast refused by policy gets an
  error reply when ack is on (Supabase stays silent).
- The DELETE visibility check restores only rows deleted in the same
  transaction from published tables; it needs a superuser database URL.
"""
