/** The typed client of the platform's Python API (FastAPI).
 *
 * Every call: fetch(API_URL + path) with the Supabase access token as a Bearer
 * token. Errors come back as {"error": {"code", "message", "field"?}} with a
 * 4xx status; they are thrown as ApiError, whose `message` is meant for people. */

import type { Disposition, HandoffStatus, OfferStatus } from "@/lib/console";

export type BusinessRole = "owner" | "admin" | "agent";
export type WorkspaceRole = "admin" | "agent";
export type InvitationStatus = "pending" | "accepted" | "revoked" | "expired";

export type EmailPolicy = { allowed: boolean; email: string; reason: string | null; code: string | null };

export type User = { id: string; email: string; full_name: string | null };

export type Business = { id: string; name: string; role: BusinessRole };

export type WorkspaceSummary = {
  id: string;
  business_id: string;
  name: string;
  /** null: not a member, but manages the workspace as the business's owner/admin. */
  role: WorkspaceRole | null;
  can_manage: boolean;
};

export type Me = { user: User; businesses: Business[]; workspaces: WorkspaceSummary[] };

export type CreatedBusiness = { business: Business; workspace: WorkspaceSummary };

export type Workspace = {
  id: string;
  business_id: string;
  business_name: string;
  name: string;
  created_at: string;
  role: WorkspaceRole | null;
  can_manage: boolean;
  member_count: number;
};

export type DeletionImpact = { members: number; pending_invitations: number; summary: string[] };

export type Member = {
  user_id: string;
  email: string;
  full_name: string | null;
  role: WorkspaceRole;
  joined_at: string;
  is_you: boolean;
};

export type Invitation = {
  id: string;
  email: string;
  role: WorkspaceRole;
  status: InvitationStatus;
  created_at: string;
  expires_at: string;
  invited_by_email: string | null;
};

/** `email_sent` is false when the mail could not be sent: share `invite_url` by hand. */
export type CreatedInvitation = { invitation: Invitation; invite_url: string; email_sent: boolean };

export type InvitationPreview = {
  business_name: string;
  workspace_name: string;
  email: string;
  role: WorkspaceRole;
  invited_by_email: string | null;
  status: InvitationStatus;
  expires_at: string;
};

export type AcceptedInvitation = { workspace_id: string };

export type KnowledgeSourceKind = "website" | "article" | "document";
export type KnowledgeStatus = "queued" | "processing" | "ready" | "failed" | "cancelled";

/** Counters written by the crawler and the document extractor while a source is processed. */
export type KnowledgeProgress = {
  pages_found?: number;
  pages_fetched?: number;
  pages_indexed?: number;
  pages_skipped?: number;
  pages_failed?: number;
  document_pages?: number;
  document_pages_extracted?: number;
};

export type KnowledgeSource = {
  id: string;
  kind: KnowledgeSourceKind;
  title: string | null;
  url: string | null;
  file_name: string | null;
  status: KnowledgeStatus;
  /** Why it failed or what it is doing, written for people. */
  status_detail: string | null;
  progress: KnowledgeProgress | null;
  chunk_count: number;
  last_refreshed_at: string | null;
  created_at: string;
  updated_at: string;
  /** Websites: re-crawled every this many hours; null means never on its own. */
  refresh_interval_hours: number | null;
};

export type NewWebsite = {
  url: string;
  max_pages?: number;
  max_depth?: number;
  refresh_interval_hours?: number | null;
};

export type KnowledgeArticle = {
  id: string;
  title: string;
  body_markdown: string;
  status: KnowledgeStatus;
  status_detail: string | null;
  chunk_count: number;
  updated_at: string;
};

/** A presigned S3 POST: send `fields` first, then the file as `file`, as multipart/form-data. */
export type PresignedPost = { url: string; fields: Record<string, string> };

export type CreatedUpload = { source_id: string; upload: PresignedPost };

export type KnowledgePassage = {
  chunk_id: string;
  source_id: string;
  source_kind: KnowledgeSourceKind;
  source_title: string | null;
  title: string | null;
  url: string | null;
  page: number | null;
  heading_path: string[];
  content: string;
  score: number;
};

export type KnowledgeSearch = { results: KnowledgePassage[] };

export type EscalationRules = {
  handoff_on_request: boolean;
  /** Unanswered caller questions before handing off (0: never). */
  max_unanswered_questions: number;
  /** Hand off when the sentiment score (-1..1) falls to this or below. */
  negative_sentiment_threshold: number;
  /** Topic labels that need a person with account access. */
  account_access_topics: string[];
  /** Seconds an offer rings for one person before it moves to the next (5..120). */
  ring_timeout_seconds: number;
};

/** What a manager edits (PUT /agent). */
export type AgentSettingsInput = {
  agent_name: string;
  greeting: string;
  instructions: string;
  voice: string;
  language: string;
  escalation: EscalationRules;
  intent_labels: string[];
  topic_labels: string[];
};

export type AgentSettings = AgentSettingsInput & {
  workspace_id: string;
  business_id: string;
  workspace_name: string;
  can_edit: boolean;
  updated_at: string;
};

export type Voice = { id: string; label: string; language: string | null };
export type VoiceLanguage = { code: string; label: string };
export type VoiceProvider = { id: string; label: string; voices: Voice[]; languages: VoiceLanguage[] };
/** `provider` is the one this deployment uses; "default" is always a valid voice. */
export type VoiceOptions = { provider: string; providers: VoiceProvider[] };

export type CallStatus = "ringing" | "active" | "ended" | "failed";
export type CallChannel = "phone" | "browser";
export type SentimentLabel = "negative" | "neutral" | "positive";
export type SentimentTrend = "improving" | "steady" | "worsening";
export type HandoffReason = "requested_person" | "unanswered_questions" | "negative_sentiment" | "needs_account_access";
export type Speaker = "customer" | "ai" | "human";

export type CallSummary = {
  id: string;
  workspace_id: string;
  room_name: string;
  channel: CallChannel;
  status: CallStatus;
  status_detail: string | null;
  caller_number: string | null;
  caller_identity: string | null;
  placed_by: string | null;
  placed_by_email: string | null;
  started_at: string;
  answered_at: string | null;
  ended_at: string | null;
  /** From answer (or start) to end; null while the call goes on. */
  duration_seconds: number | null;
  intent: string | null;
  topic: string | null;
  sentiment_label: SentimentLabel | null;
  sentiment_score: number | null;
  sentiment_trend: SentimentTrend | null;
  handoff_reason: HandoffReason | null;
  handoff_requested_at: string | null;
  handoff_status: HandoffStatus | null;
  /** The person from the team who took the call (after a handoff). */
  human_name: string | null;
  summary: string | null;
};

export type CallPage = { calls: CallSummary[]; next_cursor: string | null };

export type TranscriptSegment = {
  id: string;
  speaker: Speaker;
  speaker_identity: string | null;
  text: string;
  started_at: string;
  ended_at: string;
  /** The agent was cut off by the caller before finishing. */
  interrupted: boolean;
};

export type KnowledgeUsed = {
  chunk_id: string | null;
  source_id: string | null;
  title: string | null;
  url: string | null;
  page: number | null;
  heading_path: string[];
  content: string;
  score: number | null;
};

export type LatencyStage =
  | "end_of_turn_ms"
  | "stt_ms"
  | "retrieval_ms"
  | "llm_first_token_ms"
  | "tts_first_audio_ms"
  | "total_ms";

export type CallTurn = {
  id: string;
  turn_index: number;
  user_text: string;
  reply_text: string | null;
  knowledge_used: KnowledgeUsed[];
  answered: boolean | null;
  intent: string | null;
  topic: string | null;
  sentiment_label: SentimentLabel | null;
  sentiment_score: number | null;
  created_at: string;
} & Record<LatencyStage, number | null>;

export type LatencyStat = { stage: LatencyStage; count: number; p50_ms: number | null; p95_ms: number | null };

/** One offer in the timeline of a handoff: whom it rang and how it ended. */
export type CallOffer = {
  id: string;
  user_id: string;
  name: string | null;
  email: string | null;
  status: OfferStatus;
  offered_at: string;
  expires_at: string;
  responded_at: string | null;
};

export type CallDetail = CallSummary & {
  handoff_context: { unanswered_question?: string | null; summary?: string; [key: string]: unknown } | null;
  human_user_id: string | null;
  human_joined_at: string | null;
  human_left_at: string | null;
  disposition: Disposition | null;
  wrap_up_notes: string | null;
  wrapped_up_at: string | null;
  wrapped_up_by: string | null;
  wrapped_up_by_name: string | null;
  offers: CallOffer[];
  segments: TranscriptSegment[];
  turns: CallTurn[];
  latency: LatencyStat[];
};

/** What the browser joins a test call with. */
export type PlacedTestCall = { call_id: string; room_name: string; livekit_url: string; token: string };
export type EndedCall = { call_id: string; room_closed: boolean };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | null;

  constructor(status: number, code: string, message: string, field: string | null = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** A human message for anything thrown by an API call. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong. Please try again.";
}

export type TokenSource = string | null | (() => Promise<string | null>);

type RequestOptions = { method?: string; body?: unknown; auth?: boolean; signal?: AbortSignal };

function describeFailure(status: number): string {
  if (status === 401) return "Your session has expired. Please log in again.";
  if (status === 403) return "You don't have permission to do that.";
  if (status === 404) return "We couldn't find that. It may have been deleted.";
  if (status >= 500) return "The server had a problem. Please try again in a moment.";
  return `The request failed (${status}).`;
}

/** The API's request function: Bearer token, JSON in and out, failures thrown as ApiError. */
export function createRequest(baseUrl: string, token: TokenSource) {
  const base = baseUrl.replace(/\/+$/, "");

  return async function request<T>(path: string, { method = "GET", body, auth = true, signal }: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { "Content-Type": "application/json", Accept: "application/json" };
    if (auth) {
      const value = typeof token === "function" ? await token() : token;
      if (!value) throw new ApiError(401, "not_authenticated", "Please log in to continue.");
      headers.Authorization = `Bearer ${value}`;
    }
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        cache: "no-store",
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
      throw new ApiError(0, "network_error", "We couldn't reach the server. Check your connection and try again.");
    }
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    let payload: unknown = null;
    if (text) {
      try {
        payload = JSON.parse(text);
      } catch {
        payload = null;
      }
    }
    if (!response.ok) {
      const error = (payload as { error?: { code?: string; message?: string; field?: string } } | null)?.error;
      if (error && typeof error.message === "string") {
        throw new ApiError(response.status, error.code ?? "error", error.message, error.field ?? null);
      }
      const detail = (payload as { detail?: unknown } | null)?.detail;
      const message = typeof detail === "string" ? detail : describeFailure(response.status);
      throw new ApiError(response.status, "error", message);
    }
    return payload as T;
  };
}

export function createApi(baseUrl: string, token: TokenSource) {
  const request = createRequest(baseUrl, token);
  const enc = encodeURIComponent;

  return {
    checkEmailPolicy: (email: string, signal?: AbortSignal) =>
      request<EmailPolicy>("/v1/email-policy/check", { method: "POST", body: { email }, auth: false, signal }),

    me: () => request<Me>("/v1/me"),

    createBusiness: (name: string, firstWorkspaceName: string) =>
      request<CreatedBusiness>("/v1/businesses", {
        method: "POST",
        body: { name, first_workspace_name: firstWorkspaceName },
      }),
    renameBusiness: (businessId: string, name: string) =>
      request<Business>(`/v1/businesses/${enc(businessId)}`, { method: "PATCH", body: { name } }),
    createWorkspace: (businessId: string, name: string) =>
      request<WorkspaceSummary>(`/v1/businesses/${enc(businessId)}/workspaces`, { method: "POST", body: { name } }),

    workspace: (workspaceId: string) => request<Workspace>(`/v1/workspaces/${enc(workspaceId)}`),
    renameWorkspace: (workspaceId: string, name: string) =>
      request<Workspace>(`/v1/workspaces/${enc(workspaceId)}`, { method: "PATCH", body: { name } }),
    deletionImpact: (workspaceId: string) =>
      request<DeletionImpact>(`/v1/workspaces/${enc(workspaceId)}/deletion-impact`),
    deleteWorkspace: (workspaceId: string, confirmName: string) =>
      request<void>(`/v1/workspaces/${enc(workspaceId)}?confirm=${enc(confirmName)}`, { method: "DELETE" }),

    members: (workspaceId: string) => request<Member[]>(`/v1/workspaces/${enc(workspaceId)}/members`),
    changeMemberRole: (workspaceId: string, userId: string, role: WorkspaceRole) =>
      request<Member>(`/v1/workspaces/${enc(workspaceId)}/members/${enc(userId)}`, { method: "PATCH", body: { role } }),
    removeMember: (workspaceId: string, userId: string) =>
      request<void>(`/v1/workspaces/${enc(workspaceId)}/members/${enc(userId)}`, { method: "DELETE" }),

    invitations: (workspaceId: string) => request<Invitation[]>(`/v1/workspaces/${enc(workspaceId)}/invitations`),
    invite: (workspaceId: string, email: string, role: WorkspaceRole) =>
      request<CreatedInvitation>(`/v1/workspaces/${enc(workspaceId)}/invitations`, {
        method: "POST",
        body: { email, role },
      }),
    revokeInvitation: (workspaceId: string, invitationId: string) =>
      request<void>(`/v1/workspaces/${enc(workspaceId)}/invitations/${enc(invitationId)}`, { method: "DELETE" }),

    knowledgeSources: (workspaceId: string) =>
      request<KnowledgeSource[]>(`/v1/workspaces/${enc(workspaceId)}/knowledge/sources`),
    addWebsite: (workspaceId: string, website: NewWebsite) =>
      request<KnowledgeSource>(`/v1/workspaces/${enc(workspaceId)}/knowledge/websites`, {
        method: "POST",
        body: website,
      }),
    refreshKnowledgeSource: (workspaceId: string, sourceId: string) =>
      request<unknown>(`/v1/workspaces/${enc(workspaceId)}/knowledge/sources/${enc(sourceId)}/refresh`, {
        method: "POST",
      }),
    cancelKnowledgeSource: (workspaceId: string, sourceId: string) =>
      request<unknown>(`/v1/workspaces/${enc(workspaceId)}/knowledge/sources/${enc(sourceId)}/cancel`, {
        method: "POST",
      }),
    deleteKnowledgeSource: (workspaceId: string, sourceId: string) =>
      request<void>(`/v1/workspaces/${enc(workspaceId)}/knowledge/sources/${enc(sourceId)}`, { method: "DELETE" }),

    createArticle: (workspaceId: string, title: string, bodyMarkdown: string) =>
      request<KnowledgeSource>(`/v1/workspaces/${enc(workspaceId)}/knowledge/articles`, {
        method: "POST",
        body: { title, body_markdown: bodyMarkdown },
      }),
    article: (workspaceId: string, sourceId: string) =>
      request<KnowledgeArticle>(`/v1/workspaces/${enc(workspaceId)}/knowledge/articles/${enc(sourceId)}`),
    updateArticle: (workspaceId: string, sourceId: string, title: string, bodyMarkdown: string) =>
      request<KnowledgeArticle>(`/v1/workspaces/${enc(workspaceId)}/knowledge/articles/${enc(sourceId)}`, {
        method: "PUT",
        body: { title, body_markdown: bodyMarkdown },
      }),

    /** Registers a document and returns where the browser sends it (see lib/upload.ts). */
    createUpload: (workspaceId: string, file: { file_name: string; content_type: string; byte_size: number }) =>
      request<CreatedUpload>(`/v1/workspaces/${enc(workspaceId)}/knowledge/uploads`, { method: "POST", body: file }),

    searchKnowledge: (workspaceId: string, query: string, limit?: number, signal?: AbortSignal) =>
      request<KnowledgeSearch>(`/v1/workspaces/${enc(workspaceId)}/knowledge/search`, {
        method: "POST",
        body: limit === undefined ? { query } : { query, limit },
        signal,
      }),

    agentSettings: (workspaceId: string) => request<AgentSettings>(`/v1/workspaces/${enc(workspaceId)}/agent`),
    saveAgentSettings: (workspaceId: string, settings: AgentSettingsInput) =>
      request<AgentSettings>(`/v1/workspaces/${enc(workspaceId)}/agent`, { method: "PUT", body: settings }),
    voiceOptions: () => request<VoiceOptions>("/v1/voice/options"),

    call: (workspaceId: string, callId: string, signal?: AbortSignal) =>
      request<CallDetail>(`/v1/workspaces/${enc(workspaceId)}/calls/${enc(callId)}`, { signal }),
    placeTestCall: (workspaceId: string) =>
      request<PlacedTestCall>(`/v1/workspaces/${enc(workspaceId)}/test-calls`, { method: "POST" }),
    endTestCall: (workspaceId: string, callId: string) =>
      request<EndedCall>(`/v1/workspaces/${enc(workspaceId)}/calls/${enc(callId)}/end`, { method: "POST" }),

    invitationPreview: (token: string) => request<InvitationPreview>(`/v1/invitations/${enc(token)}`, { auth: false }),
    acceptInvitation: (token: string) =>
      request<AcceptedInvitation>(`/v1/invitations/${enc(token)}/accept`, { method: "POST" }),
  };
}

export type Api = ReturnType<typeof createApi>;
