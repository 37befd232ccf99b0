"""A stand-in for OpenAI's embeddings endpoint on loopback, built from the
documented request and response shapes (POST /v1/embeddings). Only the HTTP
boundary is faked: the production client talks to it over real sockets.

Request:  {"model": str, "input": str | [str], "encoding_format": "float",
           "dimensions"?: int, "user"?: str}; header Authorization: Bearer KEY
Response: {"object": "list", "data": [{"object": "embedding", "index": i,
           "embedding": [float]}], "model": str,
           "usage": {"prompt_tokens": n, "total_tokens": n}}
Errors:   {"error": {"message", "type", "param", "code"}} with 400, 401, 429
          (with retry-after), 500..."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "sk-test-fake-key"
MODELS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
MAX_INPUTS = 2048


def fake_vector(text: str, dimensions: int) -> list[float]:
    """Deterministic, unit length, different for different texts."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend((b - 127.5) / 127.5 for b in digest)
        counter += 1
    values = values[:dimensions]
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


@dataclass
class Script:
    """What the fake does next: queued (status, headers, body) answers before normal
    service, an optional delay per request, and a log of what it received."""

    failures: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    shuffle: bool = True


def error(status: int, message: str, kind: str, code: str | None, param: str | None = None) -> tuple[
    int, dict[str, Any]
]:
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self) -> None:
        script = self.script
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        script.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if script.delay:
            time.sleep(script.delay)
        if self.path != "/v1/embeddings":
            self._send(*error(404, f"Invalid URL (POST {self.path})", "invalid_request_error", None))
            return
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._send(*error(401, "Incorrect API key provided: sk-wr***ng.", "invalid_request_error",
                              "invalid_api_key"))
            return
        if script.failures:
            status, headers, failure = script.failures.pop(0)
            self._send(status, failure, headers)
            return
        if not isinstance(body, dict) or "model" not in body or "input" not in body:
            self._send(*error(400, "you must provide a model parameter", "invalid_request_error", None))
            return
        model = body["model"]
        if model not in MODELS:
            self._send(*error(404, f"The model `{model}` does not exist", "invalid_request_error", "model_not_found"))
            return
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if not inputs or len(inputs) > MAX_INPUTS or any(not isinstance(t, str) or t == "" for t in inputs):
            self._send(*error(400, "'$.input' is invalid. Please check the API reference.",
                              "invalid_request_error", None, "input"))
            return
        dimensions = int(body.get("dimensions") or MODELS[model])
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(text, dimensions)}
            for i, text in enumerate(inputs)
        ]
        if script.shuffle:
            data.reverse()  # the documented `index` says which input each vector belongs to
        tokens = sum(len(t.split()) for t in inputs)
        self._send(200, {"object": "list", "data": data, "model": model,
                         "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is part of the tests


@contextmanager
def fake_openai() -> Iterator[tuple[str, Script]]:
    """Serve the fake on a free loopback port. Yields (base_url, script)."""
    script = Script()
    handler = type("Handler", (_Handler,), {"script": script})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
