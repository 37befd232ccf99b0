-- Handoff to a human agent: presence, routing, offers, wrap-up, callback
-- tasks and copilot suggestions.
--
-- Who does what:
--   * human agents set their presence and answer offers through the functions
--     below (no direct writes on any of these tables);
--   * the service (voice agent worker, API acting for it, supervisor sweep)
--     asks for a human, reports a dropped human, records callback tasks and
--     copilot suggestions;
--   * every routing decision goes through private.dispatch_handoffs, which
--     holds a per-workspace advisory lock, so two handoffs never get the same
--     agent and one agent never gets two offers (the partial unique indexes on
--     call_offers back that up).
--
-- Lock order, to stay clear of deadlocks: a call row first, then the agent's
-- presence row, then the workspace's routing lock. Dispatch itself never waits
-- on a row (`skip locked` everywhere; per-agent locks are only tried), so
-- whoever holds the routing lock always finishes. What dispatch skips it
-- repairs the next time it runs (a call left 'offered' without a ringing offer
-- goes back to 'waiting').

create type public.agent_presence_status as enum ('available', 'on_call', 'wrap_up', 'away', 'offline');
create type public.call_handoff_status as enum ('waiting', 'offered', 'connected', 'returned', 'missed');
create type public.call_offer_status as enum ('ringing', 'accepted', 'declined', 'expired', 'withdrawn');
create type public.call_disposition as enum ('resolved', 'follow_up', 'callback', 'escalated', 'unresolved');
create type public.callback_task_status as enum ('open', 'done', 'cancelled');

-- ---------------------------------------------------------------- agent settings

alter table public.agent_settings
  add column ring_timeout_seconds integer not null default 20 check (ring_timeout_seconds between 5 and 120);

-- ---------------------------------------------------------------- calls

alter table public.calls
  add column handoff_status public.call_handoff_status,
  add column human_user_id uuid references auth.users (id) on delete set null,
  add column human_name text check (human_name is null or char_length(human_name) <= 200),
  add column human_joined_at timestamptz,
  add column human_left_at timestamptz,
  add column disposition public.call_disposition,
  add column wrap_up_notes text check (wrap_up_notes is null or char_length(wrap_up_notes) <= 4000),
  add column wrapped_up_at timestamptz,
  add column wrapped_up_by uuid references auth.users (id) on delete set null;

-- The routing queue: live calls waiting for (or being offered to) a person.
create index calls_handoff_queue_idx on public.calls (workspace_id, handoff_requested_at)
  where handoff_status in ('waiting', 'offered') and status in ('ringing', 'active');
create index calls_human_idx on public.calls (human_user_id) where human_user_id is not null;

-- ---------------------------------------------------------------- presence

create table public.agent_presence (
  workspace_id uuid not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  business_id uuid not null,
  status public.agent_presence_status not null default 'offline',
  status_changed_at timestamptz not null default now(),
  -- Set when the agent becomes available: the oldest one is the longest idle.
  available_since timestamptz,
  -- The console's heartbeat; a closed tab stops it and the agent goes offline by itself.
  last_seen_at timestamptz not null default now(),
  -- The call the agent is on, or owes a wrap-up for.
  current_call_id uuid references public.calls (id) on delete set null,
  updated_at timestamptz not null default now(),
  primary key (workspace_id, user_id),
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade,
  -- Leaving the business removes the presence rows too.
  foreign key (business_id, user_id) references public.business_members (business_id, user_id) on delete cascade,
  check (status <> 'available' or available_since is not null)
);
create index agent_presence_user_idx on public.agent_presence (user_id);
create index agent_presence_routing_idx on public.agent_presence (workspace_id, available_since)
  where status = 'available';

create trigger agent_presence_touch before update on public.agent_presence
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------- offers

create table public.call_offers (
  id uuid primary key default gen_random_uuid(),
  call_id uuid not null,
  workspace_id uuid not null,
  user_id uuid not null references auth.users (id) on delete cascade,
  status public.call_offer_status not null default 'ringing',
  offered_at timestamptz not null default now(),
  expires_at timestamptz not null,
  responded_at timestamptz,
  foreign key (call_id, workspace_id) references public.calls (id, workspace_id) on delete cascade,
  check (expires_at > offered_at)
);
-- One ringing offer per agent and per call, whatever the functions do.
create unique index call_offers_one_ringing_per_user on public.call_offers (user_id) where status = 'ringing';
create unique index call_offers_one_ringing_per_call on public.call_offers (call_id) where status = 'ringing';
create index call_offers_call_idx on public.call_offers (call_id, offered_at);
create index call_offers_user_idx on public.call_offers (user_id, offered_at desc);

-- ---------------------------------------------------------------- callback tasks

create table public.callback_tasks (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  business_id uuid not null,
  call_id uuid not null,
  caller_number text check (caller_number is null or char_length(caller_number) <= 64),
  caller_identity text check (caller_identity is null or char_length(caller_identity) <= 200),
  note text not null default '' check (char_length(note) <= 4000),
  status public.callback_task_status not null default 'open',
  -- What the person who called back wrote when closing the task.
  completion_notes text check (completion_notes is null or char_length(completion_notes) <= 4000),
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  completed_by uuid references auth.users (id) on delete set null,
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade,
  foreign key (call_id, workspace_id) references public.calls (id, workspace_id) on delete cascade
);
create unique index callback_tasks_one_open_per_call on public.callback_tasks (call_id) where status = 'open';
create index callback_tasks_workspace_idx on public.callback_tasks (workspace_id, status, created_at);

-- ---------------------------------------------------------------- copilot suggestions

create table public.copilot_suggestions (
  id uuid primary key default gen_random_uuid(),
  call_id uuid not null,
  workspace_id uuid not null,
  for_user_id uuid not null references auth.users (id) on delete cascade,
  question text check (question is null or char_length(question) <= 20000),
  say text check (say is null or char_length(say) <= 20000),
  steps jsonb not null default '[]'::jsonb check (jsonb_typeof(steps) = 'array'),
  -- [{chunk_id, source_id, title, url, page, heading_path, content, score}]
  passages jsonb not null default '[]'::jsonb check (jsonb_typeof(passages) = 'array'),
  created_at timestamptz not null default now(),
  foreign key (call_id, workspace_id) references public.calls (id, workspace_id) on delete cascade
);
create index copilot_suggestions_call_idx on public.copilot_suggestions (call_id, created_at);

-- ---------------------------------------------------------------- security

alter table public.agent_presence enable row level security;
alter table public.call_offers enable row level security;
alter table public.callback_tasks enable row level security;
alter table public.copilot_suggestions enable row level security;

create policy "agent_presence: members read" on public.agent_presence for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "call_offers: own and managers read" on public.call_offers for select to authenticated
  using (user_id = (select auth.uid()) or private.can_manage_workspace(workspace_id));
create policy "callback_tasks: members read" on public.callback_tasks for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "copilot_suggestions: own and managers read" on public.copilot_suggestions for select to authenticated
  using (for_user_id = (select auth.uid()) or private.can_manage_workspace(workspace_id));

revoke all on public.agent_presence, public.call_offers, public.callback_tasks, public.copilot_suggestions
  from anon, authenticated;
grant select on public.agent_presence, public.call_offers, public.callback_tasks, public.copilot_suggestions
  to authenticated;
grant all on public.agent_presence, public.call_offers, public.callback_tasks, public.copilot_suggestions
  to service_role;
grant update (ring_timeout_seconds) on public.agent_settings to authenticated;

-- ---------------------------------------------------------------- helpers

-- Is this user (not necessarily the signed-in one) a member of the workspace,
-- directly or as an owner/admin of its business? Offers go only to members.
create function private.user_in_workspace(p_workspace_id uuid, p_user_id uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.workspace_members
    where workspace_id = p_workspace_id and user_id = p_user_id
  ) or exists (
    select 1 from public.workspaces w
    join public.business_members m on m.business_id = w.business_id
    where w.id = p_workspace_id and m.user_id = p_user_id and m.role in ('owner', 'admin')
  )
$$;

-- Advisory lock keys: a namespace (first key) and the id hashed (second key).
-- A hash collision only serialises two unrelated workspaces or agents a little.
create function private.routing_lock_key(p_namespace text, p_id uuid)
returns bigint
language sql immutable set search_path = ''
as $$
  select (hashtext(p_namespace)::bigint << 32) | (hashtext(p_id::text)::bigint & 4294967295)
$$;

create function private.presence_is_fresh(p_last_seen_at timestamptz)
returns boolean
language sql stable set search_path = ''
as $$
  select p_last_seen_at > now() - interval '30 seconds'
$$;

-- The presence row of a member, created 'offline' if missing, locked.
create function private.lock_presence(p_workspace_id uuid, p_user_id uuid)
returns public.agent_presence
language plpgsql security definer set search_path = ''
as $$
declare
  v_row public.agent_presence;
begin
  insert into public.agent_presence (workspace_id, user_id, business_id, status)
  select w.id, p_user_id, w.business_id, 'offline' from public.workspaces w where w.id = p_workspace_id
  on conflict (workspace_id, user_id) do nothing;
  select * into v_row from public.agent_presence
  where workspace_id = p_workspace_id and user_id = p_user_id
  for update;
  return v_row;
end
$$;

-- The one way an agent's status changes. status_changed_at moves only with the
-- status; available_since is when they became available (the longest idle gets
-- the next call); an available agent is on no call. p_call_id: the call they are
-- on or owe a wrap-up for (null keeps the one they have). p_seen: they acted just
-- now, which counts as a heartbeat. The caller holds the row (lock_presence or
-- `for update`).
create function private.change_presence(
  p_workspace_id uuid, p_user_id uuid, p_status public.agent_presence_status,
  p_call_id uuid default null, p_seen boolean default false
)
returns public.agent_presence
language plpgsql security definer set search_path = ''
as $$
declare
  v_row public.agent_presence;
begin
  update public.agent_presence
  set status = p_status,
      status_changed_at = case when status = p_status then status_changed_at else now() end,
      available_since = case
        when p_status <> 'available' then null
        when status = 'available' then available_since
        else now()
      end,
      current_call_id = case when p_status = 'available' then null else coalesce(p_call_id, current_call_id) end,
      last_seen_at = case when p_seen then now() else last_seen_at end
  where workspace_id = p_workspace_id and user_id = p_user_id
  returning * into v_row;
  return v_row;
end
$$;

-- The one way an offer stops ringing (accepted, declined, expired, withdrawn).
-- Returns the agent it was made to.
create function private.close_offer(p_offer_id uuid, p_status public.call_offer_status)
returns uuid
language sql security definer set search_path = ''
as $$
  update public.call_offers set status = p_status, responded_at = now() where id = p_offer_id
  returning user_id
$$;

-- The signed-in user's offer, locked after its call and their presence (the
-- lock order above). Not theirs, or no longer a member: offer_not_found.
create function private.lock_my_offer(p_offer_id uuid)
returns public.call_offers
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_offer public.call_offers;
begin
  select * into v_offer from public.call_offers o where o.id = p_offer_id and o.user_id = v_user;
  if not found or not private.is_workspace_member(v_offer.workspace_id) then
    raise exception 'That offer was not found.' using errcode = 'P0002', hint = 'offer_not_found';
  end if;
  perform 1 from public.calls c where c.id = v_offer.call_id for update;
  perform private.lock_presence(v_offer.workspace_id, v_user);
  select * into v_offer from public.call_offers o where o.id = p_offer_id for update;
  return v_offer;
end
$$;

-- The signed-in user, a member of the workspace (workspace_not_found otherwise).
create function private.require_workspace_member(p_workspace_id uuid)
returns uuid
language plpgsql stable security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
begin
  if v_user is null or not private.is_workspace_member(p_workspace_id) then
    raise exception 'That workspace was not found.' using errcode = 'P0002', hint = 'workspace_not_found';
  end if;
  return v_user;
end
$$;

-- A person stops being on the call (handed back, dropped, or the call ended):
-- they owe a wrap-up. The call row must already be locked by the caller.
create function private.release_human(p_call_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_call public.calls;
begin
  select * into v_call from public.calls where id = p_call_id;
  if v_call.human_user_id is null then
    return;
  end if;
  perform private.change_presence(p.workspace_id, p.user_id, 'wrap_up', v_call.id)
  from public.agent_presence p
  where p.workspace_id = v_call.workspace_id and p.user_id = v_call.human_user_id
    and (p.status = 'on_call' or p.current_call_id = v_call.id);
end
$$;

-- The person leaves a call they are connected to (handed back or dropped): the
-- AI has the caller again. The call row must already be locked by the caller.
create function private.return_call_to_ai(p_call_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
begin
  update public.calls set handoff_status = 'returned', human_left_at = now() where id = p_call_id;
  perform private.release_human(p_call_id);
end
$$;

-- ---------------------------------------------------------------- routing

create function private.dispatch_handoffs(p_workspace_id uuid)
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_ring_timeout integer;
  v_expired_agents uuid[];
  v_call record;
  v_agent record;
  v_offers integer := 0;
begin
  perform pg_advisory_xact_lock(private.routing_lock_key('handoff_dispatch', p_workspace_id));

  -- 1) Offers nobody answered in time: the agent is not at the desk, so they
  --    go 'away' in every workspace (as contact centers do) and the call waits
  --    for the next one.
  select coalesce(array_agg(private.close_offer(o.id, 'expired')), '{}') into v_expired_agents
  from (
    select id from public.call_offers
    where workspace_id = p_workspace_id and status = 'ringing' and expires_at <= now()
    for update skip locked
  ) o;
  perform private.change_presence(p.workspace_id, p.user_id, 'away')
  from (
    select workspace_id, user_id from public.agent_presence
    where user_id = any(v_expired_agents) and status = 'available'
    for update skip locked
  ) p;

  -- A call 'offered' without a ringing offer (expired above, declined, or an
  -- offer some concurrent step could not reach) waits again.
  update public.calls c set handoff_status = 'waiting'
  where c.id in (
    select id from public.calls
    where workspace_id = p_workspace_id and handoff_status = 'offered' and status in ('ringing', 'active')
      and not exists (select 1 from public.call_offers o where o.call_id = calls.id and o.status = 'ringing')
    for update skip locked
  );

  -- 2) Closed tabs: no heartbeat for 30 s means offline.
  perform private.change_presence(p.workspace_id, p.user_id, 'offline')
  from (
    select workspace_id, user_id from public.agent_presence
    where workspace_id = p_workspace_id and status in ('available', 'away', 'wrap_up')
      and not private.presence_is_fresh(last_seen_at)
    for update skip locked
  ) p;

  -- 3) Waiting calls, oldest request first, each to the longest idle agent.
  select ring_timeout_seconds into v_ring_timeout from public.agent_settings where workspace_id = p_workspace_id;
  v_ring_timeout := coalesce(v_ring_timeout, 20);

  for v_call in
    select id from public.calls
    where workspace_id = p_workspace_id and handoff_status = 'waiting' and status in ('ringing', 'active')
    order by handoff_requested_at, id
    for update skip locked
  loop
    for v_agent in
      select p.user_id from public.agent_presence p
      where p.workspace_id = p_workspace_id and p.status = 'available' and private.presence_is_fresh(p.last_seen_at)
      order by p.available_since, p.user_id
    loop
      -- Another workspace may be offering this agent a call right now: skip them
      -- rather than wait. Once the lock is ours, the checks below (a new
      -- statement, a new snapshot) see everything committed before it.
      continue when not pg_try_advisory_xact_lock(private.routing_lock_key('handoff_agent', v_agent.user_id));
      continue when not exists (
        select 1 from public.agent_presence p
        where p.workspace_id = p_workspace_id and p.user_id = v_agent.user_id
          and p.status = 'available' and private.presence_is_fresh(p.last_seen_at)
      );
      continue when not private.user_in_workspace(p_workspace_id, v_agent.user_id);
      continue when exists (
        select 1 from public.call_offers o where o.user_id = v_agent.user_id and o.status = 'ringing'
      );
      continue when exists (
        select 1 from public.agent_presence p
        where p.user_id = v_agent.user_id and p.status in ('on_call', 'wrap_up')
      );
      -- Declined this very call a moment ago.
      continue when exists (
        select 1 from public.call_offers o
        where o.call_id = v_call.id and o.user_id = v_agent.user_id and o.status = 'declined'
          and o.responded_at > now() - interval '60 seconds'
      );

      insert into public.call_offers (call_id, workspace_id, user_id, status, offered_at, expires_at)
      values (v_call.id, p_workspace_id, v_agent.user_id, 'ringing', now(),
              now() + make_interval(secs => v_ring_timeout));
      update public.calls set handoff_status = 'offered' where id = v_call.id;
      v_offers := v_offers + 1;
      exit;
    end loop;
  end loop;

  return v_offers;
end
$$;

create function public.dispatch_handoffs(p_workspace_id uuid)
returns integer
language sql security definer set search_path = ''
as $$
  select private.dispatch_handoffs(p_workspace_id)
$$;

-- Dispatch in several workspaces, each once, in id order: every
-- multi-workspace dispatch takes the routing locks in the same order.
create function private.dispatch_workspaces(p_workspace_ids uuid[])
returns integer
language plpgsql security definer set search_path = ''
as $$
declare
  v_workspace uuid;
  v_offers integer := 0;
begin
  for v_workspace in
    select distinct w.id from unnest(p_workspace_ids) w (id) where w.id is not null order by 1
  loop
    v_offers := v_offers + private.dispatch_handoffs(v_workspace);
  end loop;
  return v_offers;
end
$$;

-- An agent became free for new offers (declined one, finished a wrap-up, an
-- offer was withdrawn): route in this workspace and in every other one where
-- they are available.
create function private.dispatch_for_agent(p_workspace_id uuid, p_user_id uuid)
returns integer
language sql security definer set search_path = ''
as $$
  select private.dispatch_workspaces(array_prepend(p_workspace_id, array(
    select workspace_id from public.agent_presence where user_id = p_user_id and status = 'available'
  )))
$$;

-- The supervisor's sweep: expiries, stale presence and waiting calls everywhere.
create function public.dispatch_all_handoffs()
returns integer
language sql security definer set search_path = ''
as $$
  select private.dispatch_workspaces(array(
    select workspace_id from public.calls
    where handoff_status in ('waiting', 'offered') and status in ('ringing', 'active')
    union
    select workspace_id from public.agent_presence
    where status in ('available', 'away', 'wrap_up') and not private.presence_is_fresh(last_seen_at)
    union
    select workspace_id from public.call_offers where status = 'ringing' and expires_at <= now()
  ))
$$;

-- ---------------------------------------------------------------- presence

create function public.set_presence(p_workspace_id uuid, p_status public.agent_presence_status)
returns public.agent_presence
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := private.require_workspace_member(p_workspace_id);
  v_row public.agent_presence;
begin
  if p_status is null or p_status not in ('available', 'away', 'offline') then
    raise exception 'Presence can be set to available, away or offline.' using errcode = '22023', hint = 'invalid_status';
  end if;

  v_row := private.lock_presence(p_workspace_id, v_user);
  if v_row.status = 'on_call' then
    raise exception 'You are on a call. Hand it back or hang up first.' using errcode = 'P0001', hint = 'on_call';
  end if;
  perform pg_advisory_xact_lock(private.routing_lock_key('handoff_dispatch', p_workspace_id));

  perform private.change_presence(p_workspace_id, v_user, p_status, p_seen => true);

  if p_status <> 'available' then
    -- Not at the desk: an offer ringing for them is declined (the call goes on
    -- to the next agent). An offer being answered right now is left to that answer.
    perform private.close_offer(o.id, 'declined')
    from (
      select id from public.call_offers
      where workspace_id = p_workspace_id and user_id = v_user and status = 'ringing'
      for update skip locked
    ) o;
  end if;

  perform private.dispatch_handoffs(p_workspace_id);
  select * into v_row from public.agent_presence where workspace_id = p_workspace_id and user_id = v_user;
  return v_row;
end
$$;

create function public.presence_heartbeat(p_workspace_id uuid)
returns public.agent_presence
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := private.require_workspace_member(p_workspace_id);
  v_row public.agent_presence;
begin
  v_row := private.lock_presence(p_workspace_id, v_user);
  update public.agent_presence set last_seen_at = now()
  where workspace_id = p_workspace_id and user_id = v_user;
  -- Every open console thus moves expired offers and waiting calls along every
  -- 10 s, even between the supervisor's sweeps.
  perform private.dispatch_handoffs(p_workspace_id);
  select * into v_row from public.agent_presence where workspace_id = p_workspace_id and user_id = v_user;
  return v_row;
end
$$;

-- ---------------------------------------------------------------- the service asks for a person

create function public.handoff_state(p_call_id uuid)
returns table (
  handoff_status public.call_handoff_status, queue_position integer, offered_to uuid,
  human_user_id uuid, human_name text
)
language sql stable security definer set search_path = ''
as $$
  select c.handoff_status,
    case when c.handoff_status in ('waiting', 'offered') and c.status in ('ringing', 'active') then
      1 + (
        select count(*)::integer from public.calls q
        where q.workspace_id = c.workspace_id and q.id <> c.id
          and q.handoff_status in ('waiting', 'offered') and q.status in ('ringing', 'active')
          and (q.handoff_requested_at, q.id) < (c.handoff_requested_at, c.id)
      )
    end,
    (select o.user_id from public.call_offers o where o.call_id = c.id and o.status = 'ringing'),
    c.human_user_id,
    c.human_name
  from public.calls c
  where c.id = p_call_id
$$;

create function public.request_human(
  p_call_id uuid, p_reason public.call_handoff_reason, p_context jsonb
)
returns table (handoff_status public.call_handoff_status, queue_position integer, offered_to uuid)
language plpgsql security definer set search_path = ''
as $$
declare
  v_call public.calls;
begin
  select * into v_call from public.calls where id = p_call_id for update;
  if not found then
    raise exception 'That call was not found.' using errcode = 'P0002', hint = 'call_not_found';
  elsif v_call.status in ('ended', 'failed') then
    raise exception 'That call has ended.' using errcode = 'P0001', hint = 'call_ended';
  end if;
  if v_call.handoff_status is null or v_call.handoff_status not in ('waiting', 'offered', 'connected') then
    update public.calls
    set handoff_reason = p_reason, handoff_requested_at = now(), handoff_context = p_context,
        handoff_status = 'waiting', human_user_id = null, human_name = null,
        human_joined_at = null, human_left_at = null
    where id = p_call_id;
    perform private.dispatch_handoffs(v_call.workspace_id);
  end if;
  return query select s.handoff_status, s.queue_position, s.offered_to from public.handoff_state(p_call_id) s;
end
$$;

-- ---------------------------------------------------------------- the human answers

create function public.accept_offer(p_offer_id uuid)
returns table (call_id uuid, room_name text, workspace_id uuid)
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_offer public.call_offers;
  v_call public.calls;
  v_name text;
begin
  -- The call is locked first: two people joining the same call are served one after the other.
  v_offer := private.lock_my_offer(p_offer_id);
  select * into v_call from public.calls c where c.id = v_offer.call_id;

  if v_offer.status = 'accepted' and v_call.human_user_id = v_user and v_call.handoff_status = 'connected' then
    -- Clicked twice, or the page reloaded: the same answer again.
    return query select v_call.id, v_call.room_name, v_call.workspace_id;
    return;
  end if;
  if v_call.status in ('ended', 'failed') then
    raise exception 'The caller has hung up.' using errcode = 'P0001', hint = 'call_ended';
  elsif v_call.handoff_status = 'connected' or (v_call.human_user_id is not null and v_call.human_user_id <> v_user) then
    raise exception 'Someone else has taken this call.' using errcode = 'P0001', hint = 'call_taken';
  elsif v_offer.status <> 'ringing' or v_offer.expires_at <= now() then
    raise exception 'This offer has expired.' using errcode = 'P0001', hint = 'offer_expired';
  end if;

  select coalesce(nullif(btrim(p.full_name), ''), p.email) into v_name from public.profiles p where p.id = v_user;

  perform private.close_offer(p_offer_id, 'accepted');
  update public.calls
  set handoff_status = 'connected', human_user_id = v_user, human_name = left(coalesce(v_name, 'A colleague'), 200),
      human_joined_at = now(), human_left_at = null
  where id = v_call.id;
  perform private.change_presence(v_offer.workspace_id, v_user, 'on_call', v_call.id, p_seen => true);

  return query select v_call.id, v_call.room_name, v_call.workspace_id;
end
$$;

create function public.decline_offer(p_offer_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_offer public.call_offers;
begin
  v_offer := private.lock_my_offer(p_offer_id);
  if v_offer.status <> 'ringing' then
    raise exception 'This offer has expired.' using errcode = 'P0001', hint = 'offer_expired';
  end if;
  perform private.close_offer(p_offer_id, 'declined');
  update public.calls set handoff_status = 'waiting'
  where id = v_offer.call_id and handoff_status = 'offered' and status in ('ringing', 'active');
  perform private.dispatch_for_agent(v_offer.workspace_id, v_user);
end
$$;

-- ---------------------------------------------------------------- the human leaves

create function public.hand_back_call(p_call_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_call public.calls;
begin
  select * into v_call from public.calls
  where id = p_call_id and human_user_id = (select auth.uid()) and human_user_id is not null
  for update;
  if not found then
    raise exception 'That call was not found.' using errcode = 'P0002', hint = 'call_not_found';
  elsif v_call.handoff_status is distinct from 'connected' then
    raise exception 'You are not connected to this call.' using errcode = 'P0001', hint = 'not_connected';
  end if;
  perform private.return_call_to_ai(p_call_id);
end
$$;

-- The worker: the person left the room and did not come back within the grace.
create function public.human_dropped(p_call_id uuid)
returns boolean
language plpgsql security definer set search_path = ''
as $$
declare
  v_call public.calls;
begin
  select * into v_call from public.calls where id = p_call_id for update;
  if not found or v_call.handoff_status is distinct from 'connected' then
    return false;
  end if;
  perform private.return_call_to_ai(p_call_id);
  return true;
end
$$;

create function public.submit_wrap_up(
  p_call_id uuid, p_disposition public.call_disposition, p_summary text, p_notes text
)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_call public.calls;
  v_presence public.agent_presence;
begin
  -- Whoever took the call owes its wrap-up, even after the call was handed back and another person took it.
  select * into v_call from public.calls c
  where c.id = p_call_id and (c.human_user_id = v_user or exists (
    select 1 from public.call_offers o where o.call_id = c.id and o.user_id = v_user and o.status = 'accepted'
  ))
  for update;
  if not found then
    raise exception 'That call was not found.' using errcode = 'P0002', hint = 'call_not_found';
  elsif v_call.human_user_id = v_user and v_call.handoff_status = 'connected' and v_call.status in ('ringing', 'active') then
    raise exception 'You are still on this call. Hand it back or hang up first.'
      using errcode = 'P0001', hint = 'still_connected';
  elsif p_disposition is null then
    raise exception 'Choose how the call ended.' using errcode = '22023', hint = 'invalid_disposition';
  end if;
  v_presence := private.lock_presence(v_call.workspace_id, v_user);

  update public.calls
  set disposition = p_disposition,
      wrap_up_notes = nullif(btrim(coalesce(p_notes, '')), ''),
      summary = coalesce(nullif(btrim(coalesce(p_summary, '')), ''), summary),
      wrapped_up_at = now(), wrapped_up_by = v_user
  where id = p_call_id;

  if v_presence.status = 'wrap_up' then
    perform private.change_presence(v_call.workspace_id, v_user, 'available', p_seen => true);
  elsif v_presence.current_call_id = p_call_id then
    update public.agent_presence set current_call_id = null
    where workspace_id = v_call.workspace_id and user_id = v_user;
  end if;

  perform private.dispatch_for_agent(v_call.workspace_id, v_user);
end
$$;

-- ---------------------------------------------------------------- the call ends

-- Before: the call row's own handoff fields.
create function private.calls_end_handoff() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if new.handoff_status in ('waiting', 'offered') then
    new.handoff_status := 'missed';
  elsif new.handoff_status = 'connected' then
    new.human_left_at := coalesce(new.human_left_at, now());
  end if;
  return new;
end
$$;

-- After: offers withdrawn, the person to wrap-up, and whoever is free now
-- may take a waiting call.
create function private.calls_end_release() returns trigger
language plpgsql security definer set search_path = ''
as $$
declare
  v_offered_to uuid;
begin
  select private.close_offer(o.id, 'withdrawn') into v_offered_to
  from (select id from public.call_offers where call_id = new.id and status = 'ringing' for update) o;
  if old.handoff_status = 'connected' then
    perform private.release_human(new.id);
  end if;
  if v_offered_to is not null then
    perform private.dispatch_for_agent(new.workspace_id, v_offered_to);
  end if;
  return null;
end
$$;

create trigger calls_end_handoff before update of status on public.calls
  for each row when (new.status in ('ended', 'failed') and old.status in ('ringing', 'active'))
  execute function private.calls_end_handoff();
create trigger calls_end_release after update of status on public.calls
  for each row when (new.status in ('ended', 'failed') and old.status in ('ringing', 'active'))
  execute function private.calls_end_release();

-- ---------------------------------------------------------------- callback tasks

create function public.create_callback_task(p_call_id uuid, p_note text)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_call public.calls;
  v_task uuid;
begin
  select * into v_call from public.calls where id = p_call_id;
  if not found then
    raise exception 'That call was not found.' using errcode = 'P0002', hint = 'call_not_found';
  end if;
  insert into public.callback_tasks (workspace_id, business_id, call_id, caller_number, caller_identity, note)
  values (v_call.workspace_id, v_call.business_id, v_call.id, v_call.caller_number, v_call.caller_identity,
          left(coalesce(p_note, ''), 4000))
  on conflict (call_id) where status = 'open' do nothing
  returning id into v_task;
  if v_task is null then
    select id into v_task from public.callback_tasks where call_id = p_call_id and status = 'open';
  end if;
  return v_task;
end
$$;

create function public.complete_callback_task(p_task_id uuid, p_notes text)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_task public.callback_tasks;
begin
  select * into v_task from public.callback_tasks where id = p_task_id for update;
  if not found or not private.is_workspace_member(v_task.workspace_id) then
    raise exception 'That callback task was not found.' using errcode = 'P0002', hint = 'callback_task_not_found';
  elsif v_task.status <> 'open' then
    raise exception 'That callback task is already closed.' using errcode = 'P0001', hint = 'callback_task_closed';
  end if;
  update public.callback_tasks
  set status = 'done', completed_at = now(), completed_by = (select auth.uid()),
      completion_notes = nullif(btrim(coalesce(p_notes, '')), '')
  where id = p_task_id;
end
$$;

-- ---------------------------------------------------------------- who may call what

revoke execute on function
  private.user_in_workspace(uuid, uuid), private.routing_lock_key(text, uuid), private.presence_is_fresh(timestamptz),
  private.lock_presence(uuid, uuid), private.release_human(uuid), private.dispatch_handoffs(uuid),
  private.dispatch_for_agent(uuid, uuid), private.dispatch_workspaces(uuid[]),
  private.change_presence(uuid, uuid, public.agent_presence_status, uuid, boolean),
  private.close_offer(uuid, public.call_offer_status), private.lock_my_offer(uuid),
  private.require_workspace_member(uuid), private.return_call_to_ai(uuid),
  private.calls_end_handoff(), private.calls_end_release()
  from public, anon, authenticated;
grant execute on function private.dispatch_handoffs(uuid) to service_role;

revoke execute on function
  public.set_presence(uuid, public.agent_presence_status), public.presence_heartbeat(uuid),
  public.dispatch_handoffs(uuid), public.dispatch_all_handoffs(), public.handoff_state(uuid),
  public.request_human(uuid, public.call_handoff_reason, jsonb), public.accept_offer(uuid), public.decline_offer(uuid),
  public.hand_back_call(uuid), public.human_dropped(uuid),
  public.submit_wrap_up(uuid, public.call_disposition, text, text),
  public.create_callback_task(uuid, text), public.complete_callback_task(uuid, text)
  from public, anon, authenticated;
grant execute on function
  public.set_presence(uuid, public.agent_presence_status), public.presence_heartbeat(uuid),
  public.accept_offer(uuid), public.decline_offer(uuid), public.hand_back_call(uuid),
  public.submit_wrap_up(uuid, public.call_disposition, text, text), public.complete_callback_task(uuid, text)
  to authenticated;
grant execute on function
  public.dispatch_handoffs(uuid), public.dispatch_all_handoffs(), public.handoff_state(uuid),
  public.request_human(uuid, public.call_handoff_reason, jsonb), public.human_dropped(uuid),
  public.create_callback_task(uuid, text)
  to service_role;

-- ---------------------------------------------------------------- realtime

alter publication supabase_realtime add table public.agent_presence, public.call_offers,
  public.callback_tasks, public.copilot_suggestions;
