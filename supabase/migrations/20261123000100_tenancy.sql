-- Tenancy: a business (the company) has members with a role, and workspaces
-- (one per department) whose members are the human agents and admins of that
-- department. Every table has row level security; membership checks live in
-- security-definer helpers in the `private` schema so policies stay short and
-- do not recurse through each other's RLS.

create type public.business_role as enum ('owner', 'admin', 'agent');
create type public.workspace_role as enum ('admin', 'agent');

-- ---------------------------------------------------------------- tables

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text not null,
  full_name text check (full_name is null or char_length(full_name) <= 120),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.businesses (
  id uuid primary key default gen_random_uuid(),
  name text not null check (char_length(btrim(name)) between 1 and 100 and name = btrim(name)),
  email_domain text not null check (email_domain = lower(email_domain) and char_length(email_domain) <= 253),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.business_members (
  business_id uuid not null references public.businesses (id) on delete cascade,
  user_id uuid not null references auth.users (id) on delete cascade,
  role public.business_role not null,
  created_at timestamptz not null default now(),
  primary key (business_id, user_id)
);
create index business_members_user_idx on public.business_members (user_id);

create table public.workspaces (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null references public.businesses (id) on delete cascade,
  name text not null check (char_length(btrim(name)) between 1 and 60 and name = btrim(name)),
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, business_id)
);
create unique index workspaces_business_name_key on public.workspaces (business_id, lower(name));

-- business_id is repeated so that leaving a business removes the member from
-- all of its workspaces (composite foreign keys), and so realtime can filter on it.
create table public.workspace_members (
  workspace_id uuid not null,
  business_id uuid not null,
  user_id uuid not null,
  role public.workspace_role not null,
  created_at timestamptz not null default now(),
  primary key (workspace_id, user_id),
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade,
  foreign key (business_id, user_id) references public.business_members (business_id, user_id) on delete cascade
);
create index workspace_members_user_idx on public.workspace_members (user_id);

create table public.invitations (
  id uuid primary key default gen_random_uuid(),
  business_id uuid not null,
  workspace_id uuid not null,
  email text not null check (email = lower(btrim(email)) and char_length(email) between 3 and 254),
  role public.workspace_role not null default 'agent',
  -- Only a hash is stored; the token itself is in the emailed link.
  token_hash bytea not null unique,
  invited_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  accepted_at timestamptz,
  accepted_by uuid references auth.users (id) on delete set null,
  revoked_at timestamptz,
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade
);
create unique index invitations_pending_email_key on public.invitations (workspace_id, email)
  where accepted_at is null and revoked_at is null;

-- ---------------------------------------------------------------- helpers

create schema if not exists private;
grant usage on schema private to authenticated, service_role;

create function private.business_role_of(p_business_id uuid)
returns public.business_role
language sql stable security definer set search_path = ''
as $$
  select role from public.business_members
  where business_id = p_business_id and user_id = (select auth.uid())
$$;

create function private.has_business_role(p_business_id uuid, p_roles public.business_role[])
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.business_members
    where business_id = p_business_id and user_id = (select auth.uid()) and role = any (p_roles)
  )
$$;

create function private.is_business_member(p_business_id uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select private.has_business_role(p_business_id, array['owner', 'admin', 'agent']::public.business_role[])
$$;

-- A workspace is visible to its own members and to the business's owners and admins.
create function private.is_workspace_member(p_workspace_id uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.workspace_members
    where workspace_id = p_workspace_id and user_id = (select auth.uid())
  ) or exists (
    select 1 from public.workspaces w
    join public.business_members m on m.business_id = w.business_id
    where w.id = p_workspace_id and m.user_id = (select auth.uid()) and m.role in ('owner', 'admin')
  )
$$;

-- Managing a workspace (rename, members, invitations): business owners and
-- admins, and the workspace's own admins.
create function private.can_manage_workspace(p_workspace_id uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.workspace_members
    where workspace_id = p_workspace_id and user_id = (select auth.uid()) and role = 'admin'
  ) or exists (
    select 1 from public.workspaces w
    join public.business_members m on m.business_id = w.business_id
    where w.id = p_workspace_id and m.user_id = (select auth.uid()) and m.role in ('owner', 'admin')
  )
$$;

create function private.shares_business_with(p_user_id uuid)
returns boolean
language sql stable security definer set search_path = ''
as $$
  select exists (
    select 1 from public.business_members mine
    join public.business_members theirs on theirs.business_id = mine.business_id
    where mine.user_id = (select auth.uid()) and theirs.user_id = p_user_id
  )
$$;

grant execute on all functions in schema private to authenticated, service_role;

-- ---------------------------------------------------------------- triggers

create function private.touch_updated_at() returns trigger
language plpgsql set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger profiles_touch before update on public.profiles
  for each row execute function private.touch_updated_at();
create trigger businesses_touch before update on public.businesses
  for each row execute function private.touch_updated_at();
create trigger workspaces_touch before update on public.workspaces
  for each row execute function private.touch_updated_at();

-- Every auth user gets a profile.
create function private.handle_new_user() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.profiles (id, email, full_name)
  values (
    new.id,
    lower(coalesce(new.email, '')),
    nullif(left(btrim(coalesce(new.raw_user_meta_data ->> 'full_name', '')), 120), '')
  )
  on conflict (id) do nothing;
  return new;
end
$$;

create trigger on_auth_user_created after insert on auth.users
  for each row execute function private.handle_new_user();

-- A business always keeps at least one owner (unless the business itself is being deleted).
create function private.protect_last_owner() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if old.role = 'owner' and (tg_op = 'DELETE' or new.role <> 'owner') then
    -- Lock the business row so that two owners stepping down at the same time
    -- are serialised: the second one then sees that the first is gone. (While
    -- the business itself is being deleted, the row is no longer there.)
    perform 1 from public.businesses where id = old.business_id for no key update;
    if found and not exists (
      select 1 from public.business_members
      where business_id = old.business_id and role = 'owner' and user_id <> old.user_id
    ) then
      raise exception 'A business must keep at least one owner. Make someone else an owner first.'
        using errcode = 'P0001', hint = 'last_owner';
    end if;
  end if;
  return coalesce(new, old);
end
$$;

create trigger business_members_last_owner before update or delete on public.business_members
  for each row execute function private.protect_last_owner();

-- ---------------------------------------------------------------- row level security

alter table public.profiles enable row level security;
alter table public.businesses enable row level security;
alter table public.business_members enable row level security;
alter table public.workspaces enable row level security;
alter table public.workspace_members enable row level security;
alter table public.invitations enable row level security;

create policy "profiles: read own and colleagues" on public.profiles for select to authenticated
  using (id = (select auth.uid()) or private.shares_business_with(id));
create policy "profiles: update own" on public.profiles for update to authenticated
  using (id = (select auth.uid())) with check (id = (select auth.uid()));

create policy "businesses: members read" on public.businesses for select to authenticated
  using (private.is_business_member(id));
create policy "businesses: owners and admins update" on public.businesses for update to authenticated
  using (private.has_business_role(id, array['owner', 'admin']::public.business_role[]))
  with check (private.has_business_role(id, array['owner', 'admin']::public.business_role[]));
create policy "businesses: owners delete" on public.businesses for delete to authenticated
  using (private.has_business_role(id, array['owner']::public.business_role[]));

create policy "business_members: members read" on public.business_members for select to authenticated
  using (private.is_business_member(business_id));
-- Owners manage everyone; admins manage agents and admins but cannot make,
-- demote or remove an owner.
create policy "business_members: owners and admins manage" on public.business_members for update to authenticated
  using (private.has_business_role(business_id, array['owner']::public.business_role[])
         or (role <> 'owner' and private.has_business_role(business_id, array['admin']::public.business_role[])))
  with check (private.has_business_role(business_id, array['owner', 'admin']::public.business_role[])
              and (role <> 'owner' or private.has_business_role(business_id, array['owner']::public.business_role[])));
create policy "business_members: owners and admins remove, anyone leaves" on public.business_members for delete to authenticated
  using (user_id = (select auth.uid())
         or private.has_business_role(business_id, array['owner']::public.business_role[])
         or (role <> 'owner' and private.has_business_role(business_id, array['admin']::public.business_role[])));

-- The row's own business_id is checked first: for INSERT ... RETURNING the new
-- row is checked before it is visible to is_workspace_member's lookup.
create policy "workspaces: members read" on public.workspaces for select to authenticated
  using (private.has_business_role(business_id, array['owner', 'admin']::public.business_role[])
         or private.is_workspace_member(id));
create policy "workspaces: owners and admins create" on public.workspaces for insert to authenticated
  with check (private.has_business_role(business_id, array['owner', 'admin']::public.business_role[])
              and created_by = (select auth.uid()));
create policy "workspaces: managers rename" on public.workspaces for update to authenticated
  using (private.can_manage_workspace(id)) with check (private.can_manage_workspace(id));
create policy "workspaces: owners and admins delete" on public.workspaces for delete to authenticated
  using (private.has_business_role(business_id, array['owner', 'admin']::public.business_role[]));

create policy "workspace_members: members read" on public.workspace_members for select to authenticated
  using (private.is_workspace_member(workspace_id));
create policy "workspace_members: managers add" on public.workspace_members for insert to authenticated
  with check (private.can_manage_workspace(workspace_id));
create policy "workspace_members: managers change" on public.workspace_members for update to authenticated
  using (private.can_manage_workspace(workspace_id)) with check (private.can_manage_workspace(workspace_id));
create policy "workspace_members: managers remove, anyone leaves" on public.workspace_members for delete to authenticated
  using (user_id = (select auth.uid()) or private.can_manage_workspace(workspace_id));

create policy "invitations: managers read" on public.invitations for select to authenticated
  using (private.can_manage_workspace(workspace_id));
create policy "invitations: managers invite" on public.invitations for insert to authenticated
  with check (private.can_manage_workspace(workspace_id) and invited_by = (select auth.uid()));
create policy "invitations: managers revoke" on public.invitations for update to authenticated
  using (private.can_manage_workspace(workspace_id)) with check (private.can_manage_workspace(workspace_id));

-- The schema's default privileges grant everything (including TRUNCATE, which
-- ignores row level security) to anon and authenticated: start from nothing and
-- grant exactly what the policies above are written for. Updates are limited to
-- the columns a person may change, so no row can be moved to another business,
-- workspace or user, and profile emails cannot be spoofed.
revoke all on all tables in schema public from anon, authenticated;
grant select, update (full_name) on public.profiles to authenticated;
grant select, update (name), delete on public.businesses to authenticated;
grant select, update (role), delete on public.business_members to authenticated;
grant select, insert, update (name), delete on public.workspaces to authenticated;
grant select, insert, update (role), delete on public.workspace_members to authenticated;
grant select, update (revoked_at) on public.invitations to authenticated;
grant insert (business_id, workspace_id, email, role, token_hash, invited_by, expires_at)
  on public.invitations to authenticated;

-- ---------------------------------------------------------------- operations

-- Onboarding: a business, its owner, and its first workspace, in one step.
create function public.create_business(p_name text, p_first_workspace_name text)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_email text := (select auth.email());
  v_business uuid;
  v_workspace uuid;
begin
  if v_user is null then
    raise exception 'Sign in first.' using errcode = '42501';
  end if;
  insert into public.businesses (name, email_domain, created_by)
  values (btrim(p_name), lower(split_part(coalesce(v_email, ''), '@', 2)), v_user)
  returning id into v_business;
  insert into public.business_members (business_id, user_id, role) values (v_business, v_user, 'owner');
  insert into public.workspaces (business_id, name, created_by)
  values (v_business, btrim(p_first_workspace_name), v_user)
  returning id into v_workspace;
  insert into public.workspace_members (workspace_id, business_id, user_id, role)
  values (v_workspace, v_business, v_user, 'admin');
  return v_business;
end
$$;

-- What an invitation link shows before sign-in. The token is the secret.
create function public.invitation_preview(p_token text)
returns table (
  invitation_id uuid, business_name text, workspace_name text, email text,
  role public.workspace_role, invited_by_email text, status text, expires_at timestamptz
)
language sql stable security definer set search_path = ''
as $$
  select i.id, b.name, w.name, i.email, i.role, p.email,
    case
      when i.revoked_at is not null then 'revoked'
      when i.accepted_at is not null then 'accepted'
      when i.expires_at <= now() then 'expired'
      else 'pending'
    end,
    i.expires_at
  from public.invitations i
  join public.workspaces w on w.id = i.workspace_id
  join public.businesses b on b.id = i.business_id
  left join public.profiles p on p.id = i.invited_by
  where i.token_hash = sha256(convert_to(p_token, 'UTF8'))
$$;

-- Accepting: the signed-in user's email must be the invited one.
create function public.accept_invitation(p_token text)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_user uuid := (select auth.uid());
  v_email text := lower((select auth.email()));
  v_inv public.invitations;
begin
  if v_user is null then
    raise exception 'Sign in first.' using errcode = '42501';
  end if;
  select * into v_inv from public.invitations
  where token_hash = sha256(convert_to(p_token, 'UTF8'))
  for update;
  if not found then
    raise exception 'This invitation link is not valid.' using errcode = 'P0002', hint = 'invitation_not_found';
  elsif v_inv.revoked_at is not null then
    raise exception 'This invitation was revoked. Ask your admin for a new one.' using errcode = 'P0001', hint = 'invitation_revoked';
  elsif v_inv.accepted_at is not null then
    raise exception 'This invitation was already used.' using errcode = 'P0001', hint = 'invitation_used';
  elsif v_inv.expires_at <= now() then
    raise exception 'This invitation has expired. Ask your admin for a new one.' using errcode = 'P0001', hint = 'invitation_expired';
  elsif v_email is null or v_inv.email <> v_email then
    raise exception 'This invitation was sent to %. Sign in with that address to accept it.', v_inv.email
      using errcode = '42501', hint = 'invitation_wrong_user';
  end if;

  insert into public.business_members (business_id, user_id, role)
  values (v_inv.business_id, v_user, 'agent')
  on conflict (business_id, user_id) do nothing;
  insert into public.workspace_members (workspace_id, business_id, user_id, role)
  values (v_inv.workspace_id, v_inv.business_id, v_user, v_inv.role)
  on conflict (workspace_id, user_id) do update set role = excluded.role;
  update public.invitations set accepted_at = now(), accepted_by = v_user where id = v_inv.id;
  return v_inv.workspace_id;
end
$$;

revoke execute on function public.create_business(text, text) from public, anon;
revoke execute on function public.accept_invitation(text) from public, anon;
grant execute on function public.create_business(text, text) to authenticated;
grant execute on function public.accept_invitation(text) to authenticated;
grant execute on function public.invitation_preview(text) to anon, authenticated;

-- ---------------------------------------------------------------- realtime

alter publication supabase_realtime add table
  public.businesses, public.business_members, public.workspaces, public.workspace_members, public.invitations;
