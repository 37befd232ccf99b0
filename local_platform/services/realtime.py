"""The local Realtime stand-in (Phoenix channels protocol, as supabase-js speaks it)."""

from __future__ import annotations

from collections.abc import Mapping

from local_platform.layout import HOST, PORTS
from local_platform.runtime import Runtime
from local_platform.services.python_service import PythonService


class Realtime(PythonService):
    name = "realtime"
    module = "local_platform.realtime"
    port = PORTS.realtime
    health_path = "/health"

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def environment(self) -> Mapping[str, str]:
        rt = self.runtime
        return {
            "PORT": str(PORTS.realtime),
            "HOST": HOST,
            "DB_URL": rt.database_url,
            "JWKS_URL": f"http://{HOST}:{PORTS.auth}/.well-known/jwks.json",
            "JWT_ISSUER": rt.auth_url,
        }
