"""Supabase Auth for the local platform.

Configured with Supabase Auth's own environment variable names (GOTRUE_*), so
the configuration carries over to a hosted project unchanged."""

from __future__ import annotations

import json
from collections.abc import Mapping

from local_platform.layout import HOST, PORTS
from local_platform.runtime import Runtime
from local_platform.services.python_service import PythonService


class Auth(PythonService):
    name = "auth"
    module = "local_platform.auth_server"
    port = PORTS.auth
    health_path = "/health"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def environment(self) -> Mapping[str, str]:
        rt = self.runtime
        return {
            "PORT": str(PORTS.auth),
            "GOTRUE_API_HOST": HOST,
            "DATABASE_URL": rt.database_url,
            "API_EXTERNAL_URL": rt.auth_url,
            "GOTRUE_SITE_URL": rt.site_url,
            "GOTRUE_URI_ALLOW_LIST": f"{rt.site_url}/**,http://localhost:{PORTS.web}/**",
            "GOTRUE_JWT_KEYS": json.dumps([rt.secrets.private_jwk]),
            "GOTRUE_JWT_AUD": "authenticated",
            "GOTRUE_JWT_DEFAULT_GROUP_NAME": "authenticated",
            "GOTRUE_JWT_ADMIN_ROLES": "service_role",
            "GOTRUE_JWT_EXP": "3600",
            "GOTRUE_PASSWORD_MIN_LENGTH": "8",  # the sign-up form says the same
            "GOTRUE_MAILER_AUTOCONFIRM": "true" if rt.autoconfirm else "false",
            "GOTRUE_SMTP_HOST": HOST,
            "GOTRUE_SMTP_PORT": str(PORTS.mail_smtp),
            "GOTRUE_SMTP_ADMIN_EMAIL": "auth@callcenter.local",
            "GOTRUE_SMTP_SENDER_NAME": "Call Center",
            "GOTRUE_HOOK_BEFORE_USER_CREATED_ENABLED": "true",
            "GOTRUE_HOOK_BEFORE_USER_CREATED_URI": f"{rt.api_url}/hooks/auth/before-user-created",
            "GOTRUE_HOOK_BEFORE_USER_CREATED_SECRETS": rt.secrets.hook_secret,
        }
