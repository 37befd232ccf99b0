"""The resolved local configuration: written to .local/runtime.env for every
Python process (callcenter.settings reads it) and handed to each service."""

from __future__ import annotations

import os
from dataclasses import dataclass

from local_platform.layout import HOST, PATHS, PORTS
from local_platform.secrets import LocalSecrets, load_or_create
from local_platform.services import livekit, s3


@dataclass(frozen=True)
class Runtime:
    secrets: LocalSecrets
    autoconfirm: bool

    database_url: str = f"postgresql://postgres:postgres@{HOST}:{PORTS.postgres}/postgres"
    supabase_url: str = f"http://{HOST}:{PORTS.gateway}"
    api_url: str = f"http://{HOST}:{PORTS.api}"
    site_url: str = f"http://{HOST}:{PORTS.web}"
    mail_url: str = f"http://{HOST}:{PORTS.mail_http}"
    livekit_url: str = livekit.server_url()

    @property
    def auth_url(self) -> str:
        return f"{self.supabase_url}/auth/v1"

    def env(self) -> dict[str, str]:
        return {
            "DATABASE_URL": self.database_url,
            "SUPABASE_URL": self.supabase_url,
            "SUPABASE_ANON_KEY": self.secrets.anon_key,
            "SUPABASE_SERVICE_ROLE_KEY": self.secrets.service_role_key,
            "AUTH_HOOK_SECRET": self.secrets.hook_secret,
            "SITE_URL": self.site_url,
            "API_URL": self.api_url,
            "CORS_ORIGINS": f'["{self.site_url}","http://localhost:{PORTS.web}"]',
            "SMTP_HOST": HOST,
            "SMTP_PORT": str(PORTS.mail_smtp),
            "MAIL_CATCHER_URL": self.mail_url,
            # Local help centers are served on loopback; production keeps the strict default.
            "CRAWLER_ALLOWED_NETWORKS": '["127.0.0.0/8"]',
            **s3.runtime_env(),
            **livekit.runtime_env(),
        }

    def write(self) -> None:
        PATHS.ensure()
        lines = [f"{key}={value}" for key, value in self.env().items()]
        PATHS.runtime_env.write_text("\n".join(lines) + "\n")


def load() -> Runtime:
    autoconfirm = os.environ.get("CC_AUTH_AUTOCONFIRM", "false").lower() in {"1", "true", "yes"}
    supabase_url = f"http://{HOST}:{PORTS.gateway}"
    return Runtime(secrets=load_or_create(issuer=f"{supabase_url}/auth/v1"), autoconfirm=autoconfirm)
