-- Knowledge search, second pass, and what re-indexing needs.
--
-- 1. public.search_knowledge checks the caller's access to the workspace once
--    and then reads the chunks as its owner. It used to run as the caller, so
--    row level security applied to every chunk; the policy is not leakproof,
--    which kept the full-text condition out of the GIN index and made the
--    text half scan the table (235 ms at 100k chunks against 14 ms for the
--    service). Access follows the same rule as the policies: the service
--    (any role that bypasses row level security) searches any workspace; a
--    signed-in user only one of private.visible_workspace_ids(), the same
--    rule as private.is_workspace_member. Anyone else gets no rows. Every
--    query inside is filtered by the workspace id.
-- 2. The text half matches any of the question's words (it used to require
--    all of them, so a natural question matched almost nothing) and ranks by
--    cover density; reciprocal rank fusion (k = 60) still decides the order.
-- 3. Changing a website's page or depth limits re-crawls it, as changing its
--    address or path already did.
-- 4. knowledge_sources.indexed_with_model records the embedding model of the
--    worker that last took the source's job, so a worker configured with
--    another model re-queues each source once (not after every failure).

-- ---------------------------------------------------------------- search

-- The meaningful words of a question: its English lexemes (stop words
-- dropped, stemmed), in the order they first appear, at most p_max of them.
create function private.knowledge_query_lexemes(p_query text, p_max integer)
returns text[]
language sql immutable parallel safe set search_path = ''
as $$
  select coalesce(array_agg(t.lexeme order by t.first_position, t.lexeme), '{}')
  from (
    select v.lexeme, v.positions[1] as first_position
    from pg_catalog.unnest(pg_catalog.to_tsvector('english'::regconfig, coalesce(p_query, ''))) v
    order by v.positions[1], v.lexeme
    limit greatest(p_max, 0)
  ) t
$$;

-- One lexeme as a tsquery, quoted the way tsquery input expects.
create function private.knowledge_lexeme_query(p_lexeme text)
returns tsquery
language sql immutable parallel safe set search_path = ''
as $$
  select ('''' || pg_catalog.replace(pg_catalog.replace(p_lexeme, '\', '\\'), '''', '''''') || '''')::tsquery
$$;

-- Matches a text holding at least p_at_least of the lexemes (null if that is
-- impossible): (the first and at least k - 1 of the rest) or (k of the rest).
create function private.knowledge_query_at_least(p_lexemes text[], p_at_least integer)
returns tsquery
language plpgsql immutable parallel safe set search_path = ''
as $$
declare
  v_count integer := coalesce(pg_catalog.cardinality(p_lexemes), 0);
  v_query tsquery;
  v_lexeme text;
begin
  if p_at_least is null or p_at_least < 1 or p_at_least > v_count then
    return null;
  end if;
  if p_at_least = 1 or p_at_least = v_count then
    foreach v_lexeme in array p_lexemes loop
      v_query := case
        when v_query is null then private.knowledge_lexeme_query(v_lexeme)
        when p_at_least = 1 then v_query operator(pg_catalog.||) private.knowledge_lexeme_query(v_lexeme)
        else v_query operator(pg_catalog.&&) private.knowledge_lexeme_query(v_lexeme)
      end;
    end loop;
    return v_query;
  end if;
  return (private.knowledge_lexeme_query(p_lexemes[1])
          operator(pg_catalog.&&) private.knowledge_query_at_least(p_lexemes[2:], p_at_least - 1))
         operator(pg_catalog.||) private.knowledge_query_at_least(p_lexemes[2:], p_at_least);
end
$$;

revoke execute on function private.knowledge_query_lexemes(text, integer) from public, anon;
revoke execute on function private.knowledge_lexeme_query(text) from public, anon;
revoke execute on function private.knowledge_query_at_least(text[], integer) from public, anon;

-- Whether the caller of public.search_knowledge may search a workspace.
-- Inside that security-definer function current_user is its owner, but the
-- `role` setting still names the role the caller switched to (what PostgREST
-- and callcenter.db do), or `none` when it connected as itself (then
-- session_user is the caller).
create function private.can_search_workspace(p_workspace_id uuid)
returns boolean
language plpgsql stable set search_path = ''
as $$
declare
  v_caller text := pg_catalog.current_setting('role');
begin
  if v_caller = 'none' then
    v_caller := session_user;
  end if;
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_caller and (r.rolsuper or r.rolbypassrls)) then
    return true;
  end if;
  return p_workspace_id in (select private.visible_workspace_ids());
end
$$;
revoke execute on function private.can_search_workspace(uuid) from public, anon, authenticated, service_role;

-- Hybrid search over one workspace: nearest neighbours on the query model's
-- partial HNSW index, full text, and reciprocal rank fusion (k = 60). Without
-- a query embedding it falls back to full text alone.
--
-- Full text: a chunk must hold at least half of the question's meaningful
-- words (at least two of them when it has two or more, so one common word
-- never matches on its own); chunks holding more of them rank first, then
-- by cover density. Each level ("all n words", "n - 1", ...) is one GIN
-- index query, taken from the top down until there are enough candidates,
-- and ranks at most 2,000 chunks (a level matching more than that is too
-- common to tell chunks apart anyway).
create or replace function public.search_knowledge(
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
language plpgsql stable security definer
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
  v_words text[];
  v_count integer;
  v_any tsquery;
  v_level tsquery;
  v_text_ids uuid[] := '{}';
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
  -- Checked once here. The queries below run as the owner, without row level
  -- security, and every one of them is filtered by this workspace id.
  if p_workspace_id is null or not private.can_search_workspace(p_workspace_id) then
    return;
  end if;

  -- Eight words make at most 70 combinations at the middle level; later
  -- words still count in the ranking.
  v_words := private.knowledge_query_lexemes(p_query, 8);
  v_count := pg_catalog.cardinality(v_words);
  v_any := private.knowledge_query_at_least(private.knowledge_query_lexemes(p_query, 32), 1);
  for v_level_count in reverse v_count .. (case when v_count < 2 then 1 else greatest(2, (v_count + 1) / 2) end) loop
    exit when v_count = 0 or pg_catalog.cardinality(v_text_ids) >= v_candidates;
    v_level := private.knowledge_query_at_least(v_words, v_level_count);
    v_text_ids := v_text_ids || coalesce((
      select array_agg(ranked.id order by ranked.rank_cd desc, ranked.id)
      from (
        select matched.id, ts_rank_cd(matched.fts, v_any, 1) as rank_cd
        from (
          select c.id, c.fts from public.knowledge_chunks c
          where c.workspace_id = p_workspace_id and c.fts operator(pg_catalog.@@) v_level
            and c.id <> all (v_text_ids)
          limit 2000
        ) matched
        order by rank_cd desc, matched.id
        limit v_candidates - pg_catalog.cardinality(v_text_ids)
      ) ranked
    ), '{}');
  end loop;

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
      select hit.id, hit.rank::integer as rank from unnest($2::uuid[]) with ordinality as hit(id, rank)
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
    join public.knowledge_chunks c on c.id = f.id and c.workspace_id = $1
    join public.knowledge_sources s on s.id = c.source_id and s.workspace_id = $1
    join public.knowledge_documents d on d.id = c.document_id and d.workspace_id = $1
    order by f.score desc, f.vector_rank nulls last, f.text_rank nulls last
    limit $5
    $sql$,
    v_dimensions, p_embedding_model
  ) using p_workspace_id, v_text_ids, p_query_embedding, v_candidates, v_limit;
end
$$;

revoke execute on function public.search_knowledge(uuid, text, extensions.vector, text, integer) from public, anon;
grant execute on function public.search_knowledge(uuid, text, extensions.vector, text, integer)
  to authenticated, service_role;

-- ---------------------------------------------------------------- re-crawl on new limits

create or replace function private.knowledge_source_saved() returns trigger
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
                                   or new.include_path_prefix is distinct from old.include_path_prefix
                                   or new.max_pages is distinct from old.max_pages
                                   or new.max_depth is distinct from old.max_depth)) then
    perform private.enqueue_knowledge_job(new.id, private.knowledge_job_kind_for(new.kind));
  end if;
  return null;
end
$$;
drop trigger knowledge_sources_saved on public.knowledge_sources;
create trigger knowledge_sources_saved
  after insert or update of title, body_markdown, url, include_path_prefix, max_pages, max_depth
  on public.knowledge_sources for each row execute function private.knowledge_source_saved();

-- ---------------------------------------------------------------- re-indexing for another model

-- Written by the worker when it takes a job (clients cannot write it).
alter table public.knowledge_sources add column indexed_with_model text
  check (indexed_with_model is null or char_length(indexed_with_model) between 1 and 100);
comment on column public.knowledge_sources.indexed_with_model is
  'The embedding model of the worker that last took this source''s job: a worker with another model re-queues it once.';
