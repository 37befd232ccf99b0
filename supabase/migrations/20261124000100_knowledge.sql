-- Knowledge: each workspace's sources (a crawled help center, articles written
-- in the app, uploaded documents), their text as documents and chunks with
-- embeddings, a small job queue the ingestion worker drains, and one hybrid
-- search function.
--
-- Who does what:
--   * members of a workspace read its sources, documents, chunks and jobs;
--   * its managers (private.can_manage_workspace) create, edit and delete
--     sources, and ask for a refresh or a cancellation (functions below);
--   * documents, chunks and jobs are written only by the service (the
--     ingestion worker): clients have no write privilege on them at all.
-- Saving a source queues its indexing in the same transaction (trigger), so
-- an article is re-indexed as soon as it is saved, whoever saved it.

create type public.knowledge_source_kind as enum ('website', 'article', 'document');
create type public.knowledge_source_status as enum ('queued', 'processing', 'ready', 'failed', 'cancelled');
create type public.knowledge_job_kind as enum ('crawl', 'index_article', 'ingest_document');
create type public.knowledge_job_status as enum ('queued', 'running', 'succeeded', 'failed', 'cancelled');

-- ---------------------------------------------------------------- tables

create table public.knowledge_sources (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  business_id uuid not null,
  kind public.knowledge_source_kind not null,
  title text not null check (char_length(btrim(title)) between 1 and 200 and title = btrim(title)),

  -- website: where to start, how far to go, how often to re-crawl
  url text check (url is null or (char_length(url) <= 2048 and url ~* '^https?://[^/?#@[:space:]]+([/?#][^[:space:]]*)?$')),
  max_pages integer check (max_pages is null or max_pages between 1 and 10000),
  max_depth integer check (max_depth is null or max_depth between 0 and 50),
  include_path_prefix text check (
    include_path_prefix is null or (char_length(include_path_prefix) <= 1024 and include_path_prefix like '/%')
  ),
  refresh_interval interval check (refresh_interval is null or refresh_interval >= interval '1 hour'),
  next_refresh_at timestamptz,

  -- article
  body_markdown text check (body_markdown is null or octet_length(body_markdown) <= 204800),

  -- document: the object lives under its workspace's prefix, so no source can
  -- point the worker at another workspace's file.
  storage_key text check (
    storage_key is null or (char_length(storage_key) <= 1024
                            and starts_with(storage_key, 'workspaces/' || workspace_id::text || '/'))
  ),
  file_name text check (file_name is null or char_length(file_name) between 1 and 255),
  content_type text check (content_type is null or char_length(content_type) <= 255),
  byte_size bigint check (byte_size is null or byte_size >= 0),

  status public.knowledge_source_status not null default 'queued',
  -- Why it failed (or what was skipped), written for the representative.
  status_detail text check (status_detail is null or char_length(status_detail) <= 2000),
  progress jsonb not null default '{}'::jsonb check (jsonb_typeof(progress) = 'object'),
  chunk_count integer not null default 0 check (chunk_count >= 0),
  last_refreshed_at timestamptz,
  cancel_requested_at timestamptz,
  created_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),

  unique (id, workspace_id),
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade,
  constraint knowledge_sources_fields_match_kind check (
    case kind
      when 'website' then url is not null and body_markdown is null and storage_key is null and file_name is null
      when 'article' then body_markdown is not null and url is null and storage_key is null and file_name is null
                          and refresh_interval is null
      else url is null and body_markdown is null and refresh_interval is null
    end
  )
);
create index knowledge_sources_workspace_idx on public.knowledge_sources (workspace_id, created_at);
create unique index knowledge_sources_website_url_key on public.knowledge_sources (workspace_id, url)
  where kind = 'website';
create index knowledge_sources_refresh_due_idx on public.knowledge_sources (next_refresh_at)
  where next_refresh_at is not null;

-- One crawled page, an article's body, or an uploaded file. Articles and
-- documents have one, with no URL (nulls not distinct: still only one).
create table public.knowledge_documents (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  source_id uuid not null,
  url text check (url is null or char_length(url) <= 2048),
  title text not null default '' check (char_length(title) <= 500),
  content_hash text not null,
  fetched_at timestamptz not null default now(),
  page_count integer check (page_count is null or page_count >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique nulls not distinct (source_id, url),
  unique (id, source_id),
  foreign key (source_id, workspace_id) references public.knowledge_sources (id, workspace_id) on delete cascade
);
create index knowledge_documents_workspace_idx on public.knowledge_documents (workspace_id);

-- Vectors of every model share one column without a fixed dimension; each
-- model's rows get their own partial HNSW index over a cast to its dimension.
create table public.knowledge_embedding_models (
  name text primary key check (char_length(name) between 1 and 100),
  dimensions integer not null check (dimensions between 1 and 2000)
);
insert into public.knowledge_embedding_models (name, dimensions) values
  ('minilm-l6-v2-int8', 384),
  ('text-embedding-3-small', 1536);

-- Headings take part in full-text search; array_to_string is only stable
-- (it depends on the element type's output function, fixed for text).
create function private.knowledge_heading_text(p_heading_path text[])
returns text
language sql immutable parallel safe set search_path = ''
as $$ select pg_catalog.array_to_string(p_heading_path, ' ') $$;

create table public.knowledge_chunks (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  source_id uuid not null,
  document_id uuid not null,
  ordinal integer not null check (ordinal >= 0),
  title text not null default '',
  heading_path text[] not null default '{}',
  url text,
  page integer check (page is null or page >= 1),
  content text not null check (char_length(content) between 1 and 20000),
  fts tsvector generated always as (
    setweight(to_tsvector('english'::regconfig, title), 'A')
    || setweight(to_tsvector('english'::regconfig, private.knowledge_heading_text(heading_path)), 'B')
    || to_tsvector('english'::regconfig, content)
  ) stored,
  embedding_model text not null references public.knowledge_embedding_models (name),
  embedding extensions.vector not null,
  created_at timestamptz not null default now(),
  unique (document_id, ordinal),
  foreign key (document_id, source_id) references public.knowledge_documents (id, source_id) on delete cascade,
  foreign key (source_id, workspace_id) references public.knowledge_sources (id, workspace_id) on delete cascade
);
create index knowledge_chunks_workspace_idx on public.knowledge_chunks (workspace_id, source_id);
create index knowledge_chunks_fts_idx on public.knowledge_chunks using gin (fts);
create index knowledge_chunks_minilm_hnsw_idx on public.knowledge_chunks
  using hnsw ((embedding::extensions.vector(384)) extensions.vector_cosine_ops)
  where embedding_model = 'minilm-l6-v2-int8';
create index knowledge_chunks_openai_small_hnsw_idx on public.knowledge_chunks
  using hnsw ((embedding::extensions.vector(1536)) extensions.vector_cosine_ops)
  where embedding_model = 'text-embedding-3-small';

-- The ingestion worker's queue. A source has at most one active (queued or
-- running) job; saving a source while its job runs flags the job to run again.
create table public.knowledge_jobs (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  source_id uuid not null,
  kind public.knowledge_job_kind not null,
  status public.knowledge_job_status not null default 'queued',
  attempts integer not null default 0 check (attempts >= 0),
  max_attempts integer not null default 3 check (max_attempts >= 1),
  run_after timestamptz not null default now(),
  rerun_requested boolean not null default false,
  locked_at timestamptz,
  locked_by text,
  last_error text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  finished_at timestamptz,
  foreign key (source_id, workspace_id) references public.knowledge_sources (id, workspace_id) on delete cascade
);
create unique index knowledge_jobs_one_active_key on public.knowledge_jobs (source_id)
  where status in ('queued', 'running');
create index knowledge_jobs_claim_idx on public.knowledge_jobs (run_after) where status = 'queued';
create index knowledge_jobs_source_idx on public.knowledge_jobs (source_id, created_at);

-- ---------------------------------------------------------------- triggers

create trigger knowledge_sources_touch before update on public.knowledge_sources
  for each row execute function private.touch_updated_at();
create trigger knowledge_documents_touch before update on public.knowledge_documents
  for each row execute function private.touch_updated_at();
create trigger knowledge_jobs_touch before update on public.knowledge_jobs
  for each row execute function private.touch_updated_at();

-- A vector must have its model's dimension (the partial index casts to it).
create function private.check_chunk_embedding() returns trigger
language plpgsql set search_path = ''
as $$
declare
  v_dimensions integer;
begin
  select dimensions into v_dimensions from public.knowledge_embedding_models where name = new.embedding_model;
  if extensions.vector_dims(new.embedding) <> v_dimensions then
    raise exception 'Embedding model % has % dimensions, this vector has %.',
      new.embedding_model, v_dimensions, extensions.vector_dims(new.embedding)
      using errcode = '22023';
  end if;
  return new;
end
$$;
create trigger knowledge_chunks_embedding_dimensions before insert or update of embedding, embedding_model
  on public.knowledge_chunks for each row execute function private.check_chunk_embedding();

-- Queue a source's job: at most one active job per source; if one is already
-- running it is asked to run again when it ends. Not callable by clients.
create function private.enqueue_knowledge_job(p_source_id uuid, p_kind public.knowledge_job_kind)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_workspace uuid;
  v_job uuid;
begin
  select workspace_id into v_workspace from public.knowledge_sources where id = p_source_id for no key update;
  if v_workspace is null then
    raise exception 'That knowledge source was not found.' using errcode = 'P0002';
  end if;
  insert into public.knowledge_jobs (workspace_id, source_id, kind)
  values (v_workspace, p_source_id, p_kind)
  on conflict (source_id) where status in ('queued', 'running')
  do update set rerun_requested = public.knowledge_jobs.status = 'running'
  returning id into v_job;
  update public.knowledge_sources
     set status = case when status = 'processing' then status else 'queued' end,
         status_detail = null,
         cancel_requested_at = null
   where id = p_source_id;
  -- Wakes a listening worker when the transaction commits (workers also poll).
  perform pg_notify('knowledge_jobs', p_source_id::text);
  return v_job;
end
$$;
revoke execute on function private.enqueue_knowledge_job(uuid, public.knowledge_job_kind) from public, anon, authenticated;
grant execute on function private.enqueue_knowledge_job(uuid, public.knowledge_job_kind) to service_role;

create function private.knowledge_job_kind_for(p_kind public.knowledge_source_kind)
returns public.knowledge_job_kind
language sql immutable set search_path = ''
as $$
  select case p_kind
    when 'website' then 'crawl'::public.knowledge_job_kind
    when 'article' then 'index_article'::public.knowledge_job_kind
    else 'ingest_document'::public.knowledge_job_kind
  end
$$;

-- Saving a source queues its indexing. Documents are queued when their file
-- has arrived (the storage event), not when the source row is created.
create function private.knowledge_source_saved() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    if new.kind in ('website', 'article') then
      perform private.enqueue_knowledge_job(new.id, private.knowledge_job_kind_for(new.kind));
    end if;
  elsif (new.kind = 'article' and (new.body_markdown is distinct from old.body_markdown
                                   or new.title is distinct from old.title))
     or (new.kind = 'website' and (new.url is distinct from old.url
                                   or new.include_path_prefix is distinct from old.include_path_prefix)) then
    perform private.enqueue_knowledge_job(new.id, private.knowledge_job_kind_for(new.kind));
  end if;
  return null;
end
$$;
create trigger knowledge_sources_saved after insert or update of title, body_markdown, url, include_path_prefix
  on public.knowledge_sources for each row execute function private.knowledge_source_saved();

-- The next scheduled re-crawl follows the interval from the last refresh.
create function private.knowledge_source_schedule() returns trigger
language plpgsql set search_path = ''
as $$
begin
  if new.refresh_interval is null then
    new.next_refresh_at := null;
  elsif tg_op = 'INSERT' or new.refresh_interval is distinct from old.refresh_interval
        or new.last_refreshed_at is distinct from old.last_refreshed_at then
    new.next_refresh_at := coalesce(new.last_refreshed_at, now()) + new.refresh_interval;
  end if;
  return new;
end
$$;
create trigger knowledge_sources_schedule before insert or update of refresh_interval, last_refreshed_at
  on public.knowledge_sources for each row execute function private.knowledge_source_schedule();

revoke execute on function private.check_chunk_embedding() from public, anon, authenticated;
revoke execute on function private.knowledge_source_saved() from public, anon, authenticated;
revoke execute on function private.knowledge_source_schedule() from public, anon, authenticated;
grant execute on function private.knowledge_heading_text(text[]) to authenticated, service_role;
grant execute on function private.knowledge_job_kind_for(public.knowledge_source_kind) to authenticated, service_role;

-- ---------------------------------------------------------------- row level security

-- The workspaces the signed-in user sees (same rule as private.is_workspace_member).
-- Policies on the big tables use `workspace_id in (select ...)`: the set is
-- computed once per statement and each row is a hash lookup, instead of a
-- function call per row (which a search over many chunks would pay for).
create function private.visible_workspace_ids()
returns setof uuid
language sql stable security definer set search_path = ''
as $$
  select workspace_id from public.workspace_members where user_id = (select auth.uid())
  union
  select w.id from public.workspaces w
  join public.business_members m on m.business_id = w.business_id
  where m.user_id = (select auth.uid()) and m.role in ('owner', 'admin')
$$;
revoke execute on function private.visible_workspace_ids() from public, anon;
grant execute on function private.visible_workspace_ids() to authenticated, service_role;

alter table public.knowledge_sources enable row level security;
alter table public.knowledge_documents enable row level security;
alter table public.knowledge_embedding_models enable row level security;
alter table public.knowledge_chunks enable row level security;
alter table public.knowledge_jobs enable row level security;

create policy "knowledge_sources: members read" on public.knowledge_sources for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "knowledge_sources: managers add" on public.knowledge_sources for insert to authenticated
  with check (private.can_manage_workspace(workspace_id) and created_by = (select auth.uid()));
create policy "knowledge_sources: managers edit" on public.knowledge_sources for update to authenticated
  using (private.can_manage_workspace(workspace_id)) with check (private.can_manage_workspace(workspace_id));
create policy "knowledge_sources: managers delete" on public.knowledge_sources for delete to authenticated
  using (private.can_manage_workspace(workspace_id));

create policy "knowledge_documents: members read" on public.knowledge_documents for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "knowledge_chunks: members read" on public.knowledge_chunks for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "knowledge_jobs: members read" on public.knowledge_jobs for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "knowledge_embedding_models: signed-in users read" on public.knowledge_embedding_models
  for select to authenticated using (true);

-- Start from nothing (the schema's default privileges grant everything) and
-- grant what the policies are written for. Status, progress, counts and the
-- schedule are the worker's; the workspace and business never move.
revoke all on public.knowledge_sources, public.knowledge_documents, public.knowledge_embedding_models,
  public.knowledge_chunks, public.knowledge_jobs from anon, authenticated;
grant select, delete on public.knowledge_sources to authenticated;
grant insert (workspace_id, business_id, kind, title, url, max_pages, max_depth, include_path_prefix,
              refresh_interval, body_markdown, storage_key, file_name, content_type, byte_size, created_by)
  on public.knowledge_sources to authenticated;
grant update (title, url, max_pages, max_depth, include_path_prefix, refresh_interval, body_markdown)
  on public.knowledge_sources to authenticated;
grant select on public.knowledge_documents, public.knowledge_embedding_models, public.knowledge_chunks,
  public.knowledge_jobs to authenticated;

-- ---------------------------------------------------------------- operations

-- Refresh: re-crawl a website, re-index an article, re-read a document.
create function public.refresh_knowledge_source(p_source_id uuid)
returns uuid
language plpgsql security definer set search_path = ''
as $$
declare
  v_source public.knowledge_sources;
begin
  select * into v_source from public.knowledge_sources where id = p_source_id;
  if not found or not private.is_workspace_member(v_source.workspace_id) then
    raise exception 'That knowledge source was not found.' using errcode = 'P0002', hint = 'knowledge_source_not_found';
  elsif not private.can_manage_workspace(v_source.workspace_id) then
    raise exception 'You need to be an admin of this workspace to refresh its knowledge.' using errcode = '42501';
  elsif v_source.kind = 'document' and v_source.storage_key is null then
    raise exception 'This document has not finished uploading yet.' using errcode = 'P0001', hint = 'knowledge_not_uploaded';
  elsif exists (select 1 from public.knowledge_jobs where source_id = p_source_id and status in ('queued', 'running')) then
    raise exception 'This source is already being updated.' using errcode = 'P0001', hint = 'knowledge_busy';
  end if;
  return private.enqueue_knowledge_job(p_source_id, private.knowledge_job_kind_for(v_source.kind));
end
$$;

-- Cancel: a queued job is dropped at once; a running one stops at its next
-- checkpoint (the worker watches cancel_requested_at). What was already
-- indexed stays searchable.
create function public.cancel_knowledge_source(p_source_id uuid)
returns void
language plpgsql security definer set search_path = ''
as $$
declare
  v_source public.knowledge_sources;
begin
  select * into v_source from public.knowledge_sources where id = p_source_id for no key update;
  if not found or not private.is_workspace_member(v_source.workspace_id) then
    raise exception 'That knowledge source was not found.' using errcode = 'P0002', hint = 'knowledge_source_not_found';
  elsif not private.can_manage_workspace(v_source.workspace_id) then
    raise exception 'You need to be an admin of this workspace to cancel this.' using errcode = '42501';
  elsif not exists (select 1 from public.knowledge_jobs where source_id = p_source_id and status in ('queued', 'running')) then
    raise exception 'There is nothing to cancel: this source is not being updated.' using errcode = 'P0001', hint = 'knowledge_idle';
  end if;
  update public.knowledge_jobs
     set status = 'cancelled', finished_at = now(), last_error = 'Cancelled before it started.'
   where source_id = p_source_id and status = 'queued';
  if exists (select 1 from public.knowledge_jobs where source_id = p_source_id and status = 'running') then
    update public.knowledge_jobs set rerun_requested = false where source_id = p_source_id and status = 'running';
    update public.knowledge_sources set cancel_requested_at = now() where id = p_source_id;
  else
    update public.knowledge_sources
       set status = 'cancelled', status_detail = 'Cancelled before it started.', cancel_requested_at = now()
     where id = p_source_id;
  end if;
end
$$;

-- For people only (they check the caller's rights); the service queues work
-- with private.enqueue_knowledge_job (callcenter.knowledge.jobs.enqueue).
revoke execute on function public.refresh_knowledge_source(uuid) from public, anon, service_role;
revoke execute on function public.cancel_knowledge_source(uuid) from public, anon, service_role;
grant execute on function public.refresh_knowledge_source(uuid) to authenticated;
grant execute on function public.cancel_knowledge_source(uuid) to authenticated;

-- Hybrid search over one workspace: nearest neighbours on the query model's
-- partial HNSW index, full text (websearch syntax: every word must match, so
-- a natural question is carried by its meaning and a keyword query such as a
-- product code by its words; ranked by cover density) and reciprocal rank
-- fusion (k = 60). Runs as the caller, so a user sees only what RLS lets them read;
-- the voice agent calls it as the service with an explicit workspace. Without
-- a query embedding it falls back to full text alone.
create function public.search_knowledge(
  p_workspace_id uuid,
  p_query text,
  p_query_embedding extensions.vector,
  p_embedding_model text,
  p_limit integer default 5
)
returns table (
  chunk_id uuid,
  source_id uuid,
  source_kind public.knowledge_source_kind,
  source_title text,
  document_title text,
  title text,
  url text,
  page integer,
  heading_path text[],
  content text,
  score double precision,
  vector_rank integer,
  text_rank integer
)
language plpgsql stable security invoker
set search_path = ''
-- Filtering by workspace after the index scan must not starve the results:
-- keep scanning until enough rows pass (pgvector 0.8).
set hnsw.iterative_scan = 'relaxed_order'
set hnsw.ef_search = 100
as $$
declare
  v_dimensions integer;
  v_limit integer := least(greatest(coalesce(p_limit, 5), 1), 50);
  v_candidates integer;
  v_query text := btrim(coalesce(p_query, ''));
  v_tsquery tsquery;
begin
  v_candidates := greatest(v_limit * 8, 40);
  select m.dimensions into v_dimensions from public.knowledge_embedding_models m where m.name = p_embedding_model;
  if v_dimensions is null then
    raise exception 'Unknown embedding model %.', p_embedding_model using errcode = '22023';
  end if;
  if p_query_embedding is not null and extensions.vector_dims(p_query_embedding) <> v_dimensions then
    raise exception 'The query embedding has % dimensions; % has %.',
      extensions.vector_dims(p_query_embedding), p_embedding_model, v_dimensions using errcode = '22023';
  end if;
  v_tsquery := websearch_to_tsquery('english'::regconfig, v_query);

  return query execute format(
    $sql$
    with vector_hits as (
      select hit.id, row_number() over (order by hit.distance)::integer as rank
      from (
        select c.id, c.embedding::extensions.vector(%1$s) operator(extensions.<=>) $3::extensions.vector(%1$s) as distance
        from public.knowledge_chunks c
        where c.embedding_model = %2$L and c.workspace_id = $1 and $3 is not null
        order by distance
        limit $4
      ) hit
    ),
    text_hits as (
      select hit.id, row_number() over (order by hit.rank_cd desc, hit.id)::integer as rank
      from (
        select c.id, ts_rank_cd(c.fts, $2, 1) as rank_cd
        from public.knowledge_chunks c
        where c.workspace_id = $1 and c.fts operator(pg_catalog.@@) $2
        order by rank_cd desc
        limit $4
      ) hit
    ),
    fused as (
      select coalesce(v.id, t.id) as id, v.rank as vector_rank, t.rank as text_rank,
             -- In double precision, so equal ranks in either order give exactly equal scores.
             coalesce(1.0::float8 / (60 + v.rank), 0) + coalesce(1.0::float8 / (60 + t.rank), 0) as score
      from vector_hits v full join text_hits t on t.id = v.id
    )
    select c.id, s.id, s.kind, s.title, d.title, c.title, coalesce(c.url, d.url, s.url), c.page, c.heading_path,
           c.content, f.score, f.vector_rank, f.text_rank
    from fused f
    join public.knowledge_chunks c on c.id = f.id
    join public.knowledge_sources s on s.id = c.source_id
    join public.knowledge_documents d on d.id = c.document_id
    order by f.score desc, f.vector_rank nulls last, f.text_rank nulls last
    limit $5
    $sql$,
    v_dimensions, p_embedding_model
  ) using p_workspace_id, v_tsquery, p_query_embedding, v_candidates, v_limit;
end
$$;

revoke execute on function public.search_knowledge(uuid, text, extensions.vector, text, integer) from public, anon;
grant execute on function public.search_knowledge(uuid, text, extensions.vector, text, integer)
  to authenticated, service_role;

-- ---------------------------------------------------------------- realtime

-- Status and progress stream live to the knowledge page.
alter publication supabase_realtime add table public.knowledge_sources;
