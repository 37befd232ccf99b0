-- Local-only change capture for the realtime stand-in (hosted Supabase reads
-- the WAL instead). Never part of supabase/migrations. Idempotent; the server
-- applies it at startup and installs `_realtime_local_capture` triggers on the
-- tables of the supabase_realtime publication itself.

create schema if not exists _realtime_local;
revoke all on schema _realtime_local from public;

-- One row per captured row change. NOTIFY carries only the id (payloads can
-- exceed NOTIFY's 8000 bytes); the server reads the row and prunes old ones.
create table if not exists _realtime_local.changes (
  id bigint generated always as identity primary key,
  txid bigint not null default txid_current(),
  schema_name text not null,
  table_name text not null,
  op text not null,
  new_row jsonb,
  old_row jsonb,
  captured_at timestamptz not null default clock_timestamp()
);
create index if not exists changes_txid_idx on _realtime_local.changes (txid);
create index if not exists changes_captured_at_idx on _realtime_local.changes (captured_at);

create or replace function _realtime_local.capture() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_id bigint;
begin
  insert into _realtime_local.changes (schema_name, table_name, op, new_row, old_row)
  values (
    tg_table_schema,
    tg_table_name,
    tg_op,
    case when tg_op <> 'DELETE' then to_jsonb(new) end,
    case when tg_op <> 'INSERT' then to_jsonb(old) end
  )
  returning id into v_id;
  perform pg_notify('_realtime_local_changes', v_id::text);
  return null;
end
$$;
revoke all on function _realtime_local.capture() from public;

-- Rows added to realtime.messages (realtime.send) become broadcasts.
create or replace function _realtime_local.message_inserted() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.extension = 'broadcast' then
    perform pg_notify('_realtime_local_messages', new.id::text);
  end if;
  return null;
end
$$;
revoke all on function _realtime_local.message_inserted() from public;

create or replace trigger _realtime_local_broadcast after insert on realtime.messages
  for each row execute function _realtime_local.message_inserted();

-- Tell the server when the publication (or a table's shape) changes.
create or replace function _realtime_local.ddl_changed() returns event_trigger
language plpgsql
as $$
begin
  perform pg_notify('_realtime_local_ddl', tg_tag);
end
$$;

do $$
begin
  if not exists (select from pg_event_trigger where evtname = '_realtime_local_ddl') then
    create event trigger _realtime_local_ddl on ddl_command_end
      when tag in ('CREATE PUBLICATION', 'ALTER PUBLICATION', 'DROP PUBLICATION', 'ALTER TABLE', 'DROP TABLE')
      execute function _realtime_local.ddl_changed();
  end if;
end
$$;
