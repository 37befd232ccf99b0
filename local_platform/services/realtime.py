"""The local Realtime stand-in (Phoenix channels protocol, as supabase-js speaks it)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from local_platform.layout import HOST, PORTS
from local_platform.runtime import Runtime
from local_platform.services.python_service import PythonService

PRIVATE_JWK_FIELDS = ("d", "p", "q", "dp", "dq", "qi", "key_ops")


class Realtime(PythonService):
    name = "realtime"
    module = "local_platform.realtime"
    port = PORTS.realtime
    health_path = "/health"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def environment(self) -> Mapping[str, str]:
        rt = self.runtime
        public_jwk = {k: v for k, v in rt.secrets.private_jwk.items() if k not in PRIVATE_JWK_FIELDS}
        return {
            "PORT": str(PORTS.realtime),
            "HOST": HOST,
            "DB_URL": rt.database_url,
            # The public half of the local signing key, so tokens verify even before the auth server is up;
            # JWKS_URL is still consulted for key ids it does not know.
            "JWT_JWKS": json.dumps({"keys": [public_jwk]}),
            "JWKS_URL": f"http://{HOST}:{PORTS.auth}/.well-known/jwks.json",
            "JWT_ISSUER": rt.auth_url,
        }
