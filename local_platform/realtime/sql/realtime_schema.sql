-- The part of Supabase Realtime's database schema that application SQL uses,
-- with Supabase's names and signatures: realtime.messages (RLS policies on it
-- authorize private channels), realtime.topic(), realtime.send() and
-- realtime.broadcast_changes(). On a hosted project the Realtime service
-- creates these; locally the realtime stand-in applies this file at startup.
-- Idempotent. Written for the local platform (not copied from Supabase).

create schema if not exists realtime;
grant usage on schema realtime to postgres, anon, authenticated, service_role;

create table if not exists realtime.messages (
  id uuid not null default gen_random_uuid(),
  topic text not null,
  extension text not null,
  payload jsonb,
  event text,
  private boolean default false,
  updated_at timestamp without time zone not null default now(),
  inserted_at timestamp without time zone not null default now(),
  constraint messages_pkey primary key (id)
);
create index if not exists messages_inserted_at_idx on realtime.messages (inserted_at);
alter table realtime.messages enable row level security;
grant select, insert, update on realtime.messages to anon, authenticated, service_role;

-- The channel topic being authorized or sent to, for use in policies.
create or replace function realtime.topic() returns text
language sql stable
as $$
  select nullif(current_setting('realtime.topic', true), '')::text
$$;

-- Broadcast `payload` as `event` to subscribers of `topic` (private channels by default).
-- Runs as the caller, so the caller needs insert rights on realtime.messages;
-- failures become warnings, as on Supabase, so a trigger calling it never aborts a write.
create or replace function realtime.send(payload jsonb, event text, topic text, private boolean default true)
returns void
language plpgsql
as $$
begin
  begin
    perform set_config('realtime.topic', topic, true);
    insert into realtime.messages (payload, event, topic, private, extension)
    values (payload, event, topic, private, 'broadcast');
  exception when others then
    raise warning 'ErrorSendingBroadcastMessage: %', sqlerrm;
  end;
end
$$;

-- For row triggers: broadcast a row change to `topic_name` as event `event_name`
-- with payload {operation, schema, table, record, old_record}.
create or replace function realtime.broadcast_changes(
  topic_name text,
  event_name text,
  operation text,
  table_name text,
  table_schema text,
  new record,
  old record,
  level text default 'ROW'
)
returns void
language plpgsql
as $$
declare
  change jsonb;
begin
  if level = 'STATEMENT' then
    raise exception 'function can only be triggered for each row, not for each statement';
  end if;
  if operation not in ('INSERT', 'UPDATE', 'DELETE') then
    raise exception 'Unexpected operation type: %', operation;
  end if;
  change := jsonb_build_object(
    'operation', operation,
    'schema', table_schema,
    'table', table_name,
    'record', new,
    'old_record', old
  );
  perform realtime.send(change, event_name, topic_name);
end
$$;

grant execute on function realtime.topic() to anon, authenticated, service_role;
grant execute on function realtime.send(jsonb, text, text, boolean) to anon, authenticated, service_role;
grant execute on function realtime.broadcast_changes(text, text, text, text, text, record, record, text)
  to anon, authenticated, service_role;
