"""A stand-in for OpenAI's Chat Completions endpoint on loopback, built from
the documented request and response shapes (POST /v1/chat/completions), in
the same way as tests/knowledge/openai_fake.py fakes the embeddings endpoint
(whose key, error shape and Script it reuses). Only the HTTP boundary is
faked: the production client talks to it over real sockets.

Request:  {"model": str, "messages": [{"role", "content"}], "response_format"?:
           {"type": "text"} | {"type": "json_object"} | {"type": "json_schema",
           "json_schema": {"name", "schema", "strict"?}}, "max_completion_tokens"?: int, ...}
Response: {"id": "chatcmpl-…", "object": "chat.completion", "created", "model",
           "choices": [{"index": 0, "message": {"role": "assistant", "content": str | null,
           "refusal": str | null, "annotations": []}, "logprobs": null, "finish_reason": "stop" | "length"}],
           "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}
With a strict json_schema the API refuses (400) a schema whose objects do not
list every property as required or allow additional properties; otherwise
the content it returns always matches the schema."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.knowledge.openai_fake import API_KEY, Script, error

__all__ = ["API_KEY", "ChatScript", "Reply", "fake_chat_completions"]

_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


@dataclass
class Reply:
    """One scripted assistant message (instead of the fake's own answer)."""

    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"


@dataclass
class ChatScript(Script):
    replies: list[Reply] = field(default_factory=list)


def _strict_problem(schema: Any, path: str = "") -> str | None:
    if not isinstance(schema, dict):
        return None
    if schema.get("type") == "object":
        properties = schema.get("properties", {})
        if schema.get("additionalProperties") is not False:
            return f"In context=({path}), 'additionalProperties' is required to be supplied and to be false."
        if sorted(schema.get("required", [])) != sorted(properties):
            return (
                f"In context=({path}), 'required' is required to be supplied and to be an array including "
                "every key in properties."
            )
        for name, sub in properties.items():
            problem = _strict_problem(sub, f"{path}'properties', '{name}'")
            if problem:
                return problem
    return None


def _answer_from_schema(schema: dict[str, Any], prompt: str) -> Any:
    """What a model bound to the schema could say: enum values sharing the most words with the prompt."""
    kind = schema.get("type")
    if "enum" in schema:
        words = set(re.findall(r"[a-z]{3,}", prompt.lower()))
        return max(schema["enum"], key=lambda value: len(words & set(re.findall(r"[a-z]{3,}", str(value).lower()))))
    if kind == "object":
        return {name: _answer_from_schema(sub, prompt) for name, sub in schema.get("properties", {}).items()}
    if kind in ("number", "integer"):
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return "text"


class _Handler(BaseHTTPRequestHandler):
    script: ChatScript

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
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        script.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if script.delay:
            time.sleep(script.delay)
        if self.path != "/v1/chat/completions":
            self._send(*error(404, f"Invalid URL (POST {self.path})", "invalid_request_error", None))
            return
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._send(
                *error(401, "Incorrect API key provided: sk-wr***ng.", "invalid_request_error", "invalid_api_key")
            )
            return
        if script.failures:
            status, headers, failure = script.failures.pop(0)
            self._send(status, failure, headers)
            return
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            self._send(*error(400, "you must provide a model parameter", "invalid_request_error", None))
            return
        messages = body.get("messages")
        if (
            not isinstance(messages, list)
            or not messages
            or any(
                not isinstance(m, dict)
                or m.get("role") not in ("system", "developer", "user", "assistant")
                or not isinstance(m.get("content"), str)
                for m in messages
            )
        ):
            self._send(*error(400, "Invalid 'messages'.", "invalid_request_error", None, "messages"))
            return
        schema = None
        response_format = body.get("response_format")
        if response_format is not None:
            kind = response_format.get("type") if isinstance(response_format, dict) else None
            if kind not in ("text", "json_object", "json_schema"):
                self._send(
                    *error(
                        400,
                        "Invalid value for 'response_format.type'.",
                        "invalid_request_error",
                        None,
                        "response_format.type",
                    )
                )
                return
            if kind == "json_schema":
                spec = response_format.get("json_schema")
                if (
                    not isinstance(spec, dict)
                    or not _SCHEMA_NAME.match(str(spec.get("name", "")))
                    or not isinstance(spec.get("schema"), dict)
                ):
                    self._send(
                        *error(
                            400,
                            "Missing required parameter: 'response_format.json_schema'.",
                            "invalid_request_error",
                            "missing_required_parameter",
                        )
                    )
                    return
                problem = _strict_problem(spec["schema"]) if spec.get("strict") else None
                if problem:
                    self._send(
                        *error(
                            400,
                            f"Invalid schema for response_format '{spec['name']}': {problem}",
                            "invalid_request_error",
                            None,
                            "response_format",
                        )
                    )
                    return
                schema = spec["schema"]
        if script.replies:
            reply = script.replies.pop(0)
        elif schema is not None:
            prompt = messages[-1]["content"]
            reply = Reply(content=json.dumps(_answer_from_schema(schema, prompt)))
        else:
            reply = Reply(content=f"A reply to {len(messages)} messages.")
        prompt_tokens = sum(len(m["content"].split()) for m in messages)
        completion_tokens = len((reply.content or reply.refusal or "").split())
        self._send(
            200,
            {
                "id": f"chatcmpl-{len(script.requests)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {
                            "role": "assistant",
                            "content": reply.content,
                            "refusal": reply.refusal,
                            "annotations": [],
                        },
                        "logprobs": None,
                        "finish_reason": reply.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            },
        )


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is part of the tests


@contextmanager
def fake_chat_completions() -> Iterator[tuple[str, ChatScript]]:
    """Serve the fake on a free loopback port. Yields (base_url, script)."""
    script = ChatScript()
    handler = type("Handler", (_Handler,), {"script": script})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
