"""Mail catcher: an SMTP server that keeps every message, with a web inbox."""

from __future__ import annotations

from collections.abc import Sequence

from local_platform.layout import HOST, PORTS
from local_platform.services.python_service import PythonService


class Mail(PythonService):
    name = "mail"
    module = "local_platform.mailcatcher"
    port = PORTS.mail_http
    health_path = "/api/messages"

    def arguments(self) -> Sequence[str]:
        return ["--host", HOST, "--http-port", str(PORTS.mail_http), "--smtp-port", str(PORTS.mail_smtp)]
