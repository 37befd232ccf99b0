"""python -m local_platform.auth_server: serve on GOTRUE_API_HOST:PORT."""

from __future__ import annotations

import logging
import os

import uvicorn

from local_platform.auth_server.app import create_app
from local_platform.auth_server.config import Config


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = Config.from_env(os.environ)
    uvicorn.run(create_app(config), host=config.host, port=config.port, log_level="info", proxy_headers=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
