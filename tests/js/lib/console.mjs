// Helpers for the console browser tests that need no voice room: SQL as the agent worker's service
// connection runs it (a phone call row, its heartbeat, request_human, the call ending), the API as
// a signed-in person calls it, and the workspace's ring time.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

function readEnvFile(file) {
  if (!fs.existsSync(file)) return {};
  return Object.fromEntries(
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

const env = { ...readEnvFile(path.join(ROOT, ".local", "runtime.env")), ...process.env };
export const API_URL = (env.API_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
const SUPABASE_URL = env.SUPABASE_URL ?? "http://127.0.0.1:54321";
const DATABASE_URL = env.DATABASE_URL ?? "postgresql://postgres:postgres@127.0.0.1:54322/postgres";

function findPsql() {
  if (process.env.PSQL) return process.env.PSQL;
  const lib = path.join(ROOT, ".venv", "lib");
  for (const dir of fs.existsSync(lib) ? fs.readdirSync(lib) : []) {
    const candidate = path.join(lib, dir, "site-packages", "embedded_postgres", "pginstall", "bin", "psql");
    if (fs.existsSync(candidate)) return candidate;
  }
  return "psql";
}
const PSQL = findPsql();

/** Runs SQL as postgres (what the agent worker's service connection may do); `vars` become psql
 * variables (:'name' in the SQL). Returns the output rows. */
export function sql(text, vars = {}) {
  const args = ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", DATABASE_URL];
  for (const [name, value] of Object.entries(vars)) args.push("-v", `${name}=${value}`);
  return new Promise((resolve, reject) => {
    const child = execFile(PSQL, args, (error, stdout, stderr) => {
      if (error) reject(new Error(`psql failed: ${stderr || error.message}\n${text}`));
      else resolve(stdout.split("\n").filter((line) => line !== ""));
    });
    child.stdin.end(text);
  });
}

/** A password session from Supabase Auth (what the web app's supabase-js holds). */
export async function accessToken(email, password) {
  const response = await fetch(`${SUPABASE_URL}/auth/v1/token?grant_type=password`, {
    method: "POST",
    headers: { "Content-Type": "application/json", apikey: env.SUPABASE_ANON_KEY ?? "" },
    body: JSON.stringify({ email, password }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token;
}

/** One request to the API as the holder of `token`; returns {status, body} whatever the status. */
export async function apiRequest(token, method, route, body) {
  const response = await fetch(`${API_URL}${route}`, {
    method,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

/** The workspace's API as the holder of `token`: answers the parsed body, fails on an error status. */
export function workspaceApi(token, workspaceId) {
  return async (method, route, body) => {
    const answer = await apiRequest(token, method, `/v1/workspaces/${workspaceId}${route}`, body);
    assert.ok(answer.status < 400, `${method} ${route} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
}

const EDITABLE_AGENT_FIELDS = [
  "agent_name",
  "greeting",
  "instructions",
  "voice",
  "language",
  "escalation",
  "intent_labels",
  "topic_labels",
];

/** Sets how long an offer rings (agent_settings.ring_timeout_seconds) the way the agent settings form
 * saves it: the current settings read back and put again with the new ring time. */
export async function setRingTimeout(ownerApi, seconds) {
  const current = await ownerApi("GET", "/agent");
  const edit = Object.fromEntries(EDITABLE_AGENT_FIELDS.map((field) => [field, current[field]]));
  edit.escalation = { ...current.escalation, ring_timeout_seconds: seconds };
  const saved = await ownerApi("PUT", "/agent", edit);
  assert.equal(saved.escalation.ring_timeout_seconds, seconds);
}

/** A live phone call with the AI, written as the agent worker writes one; `analysis` holds intent,
 * topic, sentiment_label, sentiment_score and sentiment_trend. `lines` become transcript segments
 * ([speaker, text] in order). */
export async function seedPhoneCall({ callId, workspaceId, caller, analysis, lines = [] }) {
  await sql(
    `insert into public.calls (id, workspace_id, business_id, room_name, channel, caller_number, status, answered_at,
                               agent_worker_id, agent_heartbeat_at, intent, topic, sentiment_label, sentiment_score,
                               sentiment_trend)
     select :'call', w.id, w.business_id, 'call-' || :'call', 'phone', :'caller', 'active', now(), 'console-test', now(),
            :'intent', :'topic', :'sentiment', :'score', :'trend'
     from public.workspaces w where w.id = :'ws'`,
    {
      call: callId,
      ws: workspaceId,
      caller,
      intent: analysis.intent,
      topic: analysis.topic,
      sentiment: analysis.sentiment_label,
      score: analysis.sentiment_score,
      trend: analysis.sentiment_trend,
    },
  );
  for (const [index, [speaker, text]] of lines.entries()) {
    await sql(
      `insert into public.call_transcript_segments (id, call_id, workspace_id, speaker, text, started_at, ended_at)
       values (gen_random_uuid(), :'call', :'ws', :'speaker', :'text',
               now() - make_interval(secs => :'ago'), now() - make_interval(secs => :'ago'))`,
      { call: callId, ws: workspaceId, speaker, text, ago: lines.length - index },
    );
  }
}

/** The worker's heartbeat on the live calls among `callIds()` (as long as a worker holds a call it
 * beats; a call without one would be taken for abandoned). Returns a stop function. */
export function heartbeatCalls(callIds) {
  const beat = () => {
    for (const callId of callIds()) {
      void sql("update public.calls set agent_heartbeat_at = now() where id = :'call' and status = 'active'", {
        call: callId,
      }).catch(() => undefined);
    }
  };
  const interval = setInterval(beat, 5_000);
  return () => clearInterval(interval);
}

/** The AI asks for a person (public.request_human, as the worker calls it); answers the handoff
 * status and whom it rings. */
export async function requestHuman(callId, context) {
  const [row] = await sql(
    `select handoff_status || '|' || coalesce(offered_to::text, '')
     from public.request_human(:'call', 'requested_person', :'context'::jsonb)`,
    { call: callId, context: JSON.stringify(context) },
  );
  const [status, offeredTo] = row.split("|");
  return { status, offeredTo: offeredTo || null };
}

/** The caller hangs up: the worker ends the call row. */
export async function endCall(callId) {
  await sql("update public.calls set status = 'ended', ended_at = now() where id = :'call' and status = 'active'", {
    call: callId,
  });
}

/** The offers made for a call, oldest first, as [user_id, status]. */
export async function offerStatuses(callId) {
  const rows = await sql(
    "select user_id || '|' || status from public.call_offers where call_id = :'call' order by offered_at, id",
    { call: callId },
  );
  return rows.map((row) => row.split("|"));
}

/** Where a call's handoff stands in the database: handoff_status, the person who has it, when they left. */
export async function handoffRow(callId) {
  const [row] = await sql(
    `select coalesce(handoff_status::text, '') || '|' || coalesce(human_user_id::text, '') || '|' ||
            coalesce(human_left_at::text, '') || '|' || status
     from public.calls where id = :'call'`,
    { call: callId },
  );
  const [handoffStatus, humanUserId, humanLeftAt, status] = row.split("|");
  return { handoffStatus, humanUserId: humanUserId || null, humanLeftAt: humanLeftAt || null, status };
}

/** The presence of the member with `email` in the workspace: status and the call they are on or owe a wrap-up for. */
export async function presenceOf(workspaceId, email) {
  const [row] = await sql(
    `select p.status || '|' || coalesce(p.current_call_id::text, '')
     from public.agent_presence p join auth.users u on u.id = p.user_id
     where p.workspace_id = :'ws' and lower(u.email) = lower(:'email')`,
    { ws: workspaceId, email },
  );
  if (!row) return null;
  const [status, currentCallId] = row.split("|");
  return { status, currentCallId: currentCallId || null };
}
