-- Calls: each workspace's voice agent settings, and what happens on every
-- call (the call record, its live transcript, and one row per caller turn
-- with the knowledge used, the live analysis and the latency breakdown).
--
-- Who does what:
--   * members of a workspace read its agent settings and its calls;
--   * its managers edit the agent settings;
--   * calls, transcript segments and turns are written only by the service
--     (the voice agent worker and the API acting for it): clients have no
--     write privilege on them at all.
-- The worker generates row ids itself and inserts with `on conflict do
-- nothing`, so a write retried after a database blip never duplicates.

create type public.call_channel as enum ('phone', 'browser');
create type public.call_status as enum ('ringing', 'active', 'ended', 'failed');
create type public.call_speaker as enum ('customer', 'ai', 'human');
create type public.call_handoff_reason as enum (
  'requested_person', 'unanswered_questions', 'negative_sentiment', 'needs_account_access'
);

-- ---------------------------------------------------------------- agent settings

-- One row per workspace, created with the workspace (trigger below).
create table public.agent_settings (
  workspace_id uuid primary key,
  business_id uuid not null,
  agent_name text not null default 'Alex' check (char_length(btrim(agent_name)) between 1 and 60),
  greeting text not null default 'Hello, thanks for calling. How can I help you today?'
    check (char_length(btrim(greeting)) between 1 and 500),
  instructions text not null default '' check (char_length(instructions) <= 8000),
  -- A voice of the configured TTS provider ("default" lets the provider choose).
  voice text not null default 'default' check (char_length(voice) between 1 and 100),
  -- BCP 47, e.g. "en" or "en-US".
  language text not null default 'en' check (language ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),

  -- Escalation rules: when the AI decides a person should take the call.
  handoff_on_request boolean not null default true,
  -- Caller questions the knowledge base could not answer before handing off (0 = never).
  max_unanswered_questions integer not null default 2 check (max_unanswered_questions between 0 and 20),
  -- Sentiment score (-1 .. 1) at or below which the call goes to a person.
  negative_sentiment_threshold real not null default -0.6
    check (negative_sentiment_threshold between -1 and 1),
  -- Topics that need someone with account access (matched against the topic labels).
  account_access_topics text[] not null default array['account changes', 'payment details']
    check (cardinality(account_access_topics) <= 50),

  -- Labels the live analysis picks from; each workspace names its own.
  intent_labels text[] not null default array[
    'ask a question', 'report a problem', 'billing question', 'cancel service', 'talk to a person', 'other'
  ] check (cardinality(intent_labels) between 1 and 50),
  topic_labels text[] not null default array[
    'orders and shipping', 'returns and refunds', 'billing and payments', 'account changes',
    'payment details', 'technical problem', 'general question'
  ] check (cardinality(topic_labels) between 1 and 50),

  updated_by uuid references auth.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade
);

create trigger agent_settings_touch before update on public.agent_settings
  for each row execute function private.touch_updated_at();

create function private.create_agent_settings() returns trigger
language plpgsql security definer set search_path = ''
as $$
begin
  insert into public.agent_settings (workspace_id, business_id) values (new.id, new.business_id)
  on conflict (workspace_id) do nothing;
  return new;
end;
$$;
revoke execute on function private.create_agent_settings() from public, anon, authenticated;

create trigger workspaces_create_agent_settings after insert on public.workspaces
  for each row execute function private.create_agent_settings();

insert into public.agent_settings (workspace_id, business_id)
  select id, business_id from public.workspaces
  on conflict (workspace_id) do nothing;

-- ---------------------------------------------------------------- calls

create table public.calls (
  id uuid primary key default gen_random_uuid(),
  workspace_id uuid not null,
  business_id uuid not null,
  -- One LiveKit room per call.
  room_name text not null unique check (char_length(room_name) between 1 and 200),
  channel public.call_channel not null,
  -- The caller's number (SIP) or, for a browser test call, who placed it.
  caller_number text check (caller_number is null or char_length(caller_number) <= 64),
  caller_identity text check (caller_identity is null or char_length(caller_identity) <= 200),
  placed_by uuid references auth.users (id) on delete set null,
  status public.call_status not null default 'ringing',
  status_detail text check (status_detail is null or char_length(status_detail) <= 2000),
  started_at timestamptz not null default now(),
  answered_at timestamptz,
  ended_at timestamptz,
  summary text check (summary is null or char_length(summary) <= 8000),

  -- Live analysis after the latest caller turn.
  intent text check (intent is null or char_length(intent) <= 200),
  topic text check (topic is null or char_length(topic) <= 200),
  sentiment_label text check (sentiment_label is null or sentiment_label in ('negative', 'neutral', 'positive')),
  sentiment_score real check (sentiment_score is null or sentiment_score between -1 and 1),
  sentiment_trend text check (sentiment_trend is null or sentiment_trend in ('improving', 'steady', 'worsening')),

  -- Set once, when the AI decides a person should take over; the context
  -- packet is what the human sees (intent, sentiment, topic, knowledge used,
  -- transcript, summary, the unanswered question).
  handoff_reason public.call_handoff_reason,
  handoff_requested_at timestamptz,
  handoff_context jsonb check (handoff_context is null or jsonb_typeof(handoff_context) = 'object'),

  -- The worker that holds the call; another one resumes it if this one dies.
  agent_worker_id text check (agent_worker_id is null or char_length(agent_worker_id) <= 200),
  agent_heartbeat_at timestamptz,

  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (id, workspace_id),
  foreign key (workspace_id, business_id) references public.workspaces (id, business_id) on delete cascade,
  check (ended_at is null or ended_at >= started_at)
);
create index calls_workspace_started_idx on public.calls (workspace_id, started_at desc);
create index calls_live_idx on public.calls (workspace_id) where status in ('ringing', 'active');

create trigger calls_touch before update on public.calls
  for each row execute function private.touch_updated_at();

-- Every final utterance, as it happens.
create table public.call_transcript_segments (
  id uuid primary key,
  call_id uuid not null,
  workspace_id uuid not null,
  speaker public.call_speaker not null,
  -- The LiveKit participant identity (the human agent's user id after handoff).
  speaker_identity text check (speaker_identity is null or char_length(speaker_identity) <= 200),
  text text not null check (char_length(text) between 1 and 20000),
  started_at timestamptz not null,
  ended_at timestamptz not null,
  -- The agent said only part of it before the caller cut in.
  interrupted boolean not null default false,
  created_at timestamptz not null default now(),
  foreign key (call_id, workspace_id) references public.calls (id, workspace_id) on delete cascade,
  check (ended_at >= started_at)
);
create index call_transcript_segments_call_idx on public.call_transcript_segments (call_id, started_at);

-- One row per caller turn the AI answered: what it looked up, what it
-- concluded about the call, and how long each stage took.
create table public.call_turns (
  id uuid primary key,
  call_id uuid not null,
  workspace_id uuid not null,
  turn_index integer not null check (turn_index >= 0),
  user_text text not null check (char_length(user_text) <= 20000),
  reply_text text check (reply_text is null or char_length(reply_text) <= 20000),
  -- [{chunk_id, source_id, title, url, page, heading_path, content, score}]
  knowledge_used jsonb not null default '[]'::jsonb check (jsonb_typeof(knowledge_used) = 'array'),
  answered boolean,
  intent text check (intent is null or char_length(intent) <= 200),
  topic text check (topic is null or char_length(topic) <= 200),
  sentiment_label text check (sentiment_label is null or sentiment_label in ('negative', 'neutral', 'positive')),
  sentiment_score real check (sentiment_score is null or sentiment_score between -1 and 1),
  -- Latency breakdown in milliseconds; null when a stage did not run.
  end_of_turn_ms real check (end_of_turn_ms is null or end_of_turn_ms >= 0),
  stt_ms real check (stt_ms is null or stt_ms >= 0),
  retrieval_ms real check (retrieval_ms is null or retrieval_ms >= 0),
  llm_first_token_ms real check (llm_first_token_ms is null or llm_first_token_ms >= 0),
  tts_first_audio_ms real check (tts_first_audio_ms is null or tts_first_audio_ms >= 0),
  total_ms real check (total_ms is null or total_ms >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (call_id, turn_index),
  foreign key (call_id, workspace_id) references public.calls (id, workspace_id) on delete cascade
);

create trigger call_turns_touch before update on public.call_turns
  for each row execute function private.touch_updated_at();

-- ---------------------------------------------------------------- security

alter table public.agent_settings enable row level security;
alter table public.calls enable row level security;
alter table public.call_transcript_segments enable row level security;
alter table public.call_turns enable row level security;

create policy "agent_settings: members read" on public.agent_settings for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "agent_settings: managers edit" on public.agent_settings for update to authenticated
  using (private.can_manage_workspace(workspace_id)) with check (private.can_manage_workspace(workspace_id));

create policy "calls: members read" on public.calls for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));
create policy "call_transcript_segments: members read" on public.call_transcript_segments
  for select to authenticated using (workspace_id in (select private.visible_workspace_ids()));
create policy "call_turns: members read" on public.call_turns for select to authenticated
  using (workspace_id in (select private.visible_workspace_ids()));

revoke all on public.agent_settings, public.calls, public.call_transcript_segments, public.call_turns
  from anon, authenticated;
grant select on public.agent_settings, public.calls, public.call_transcript_segments, public.call_turns
  to authenticated;
grant update (agent_name, greeting, instructions, voice, language, handoff_on_request, max_unanswered_questions,
              negative_sentiment_threshold, account_access_topics, intent_labels, topic_labels, updated_by)
  on public.agent_settings to authenticated;

alter publication supabase_realtime add table public.agent_settings, public.calls,
  public.call_transcript_segments, public.call_turns;
