"""A stand-in for the hosted OpenAI endpoints the product calls, served on
loopback and built from OpenAI's documented request and response shapes.
Only the HTTP boundary is faked: the production clients (our own embeddings
and chat clients, livekit-plugins-openai and the `openai` SDK under it) talk
to it over real sockets.

POST /v1/embeddings {"model", "input": str | [str], "encoding_format"?: "float", "dimensions"?, "user"?}
  -> {"object": "list", "data": [{"object": "embedding", "index": i, "embedding": [float]}], "model",
      "usage": {"prompt_tokens", "total_tokens"}}   (data in reverse order: clients must follow `index`)
POST /v1/chat/completions {"model", "messages": [{"role", "content": str | [parts] | null}], "stream"?,
      "stream_options"?: {"include_usage"}, "response_format"?: {"type": "text"} | {"type": "json_object"} |
      {"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}, "max_completion_tokens"?, ...}
  -> {"id": "chatcmpl-…", "object": "chat.completion", "created", "model", "choices": [{"index": 0,
      "message": {"role": "assistant", "content", "refusal", "annotations": []}, "logprobs": null,
      "finish_reason": "stop" | "length"}], "usage": {"prompt_tokens", "completion_tokens", "total_tokens"}}
  or, with "stream": true, text/event-stream: `data: {"object": "chat.completion.chunk", "choices": [{"index": 0,
      "delta": {"role"?, "content"? | "refusal"?}, "finish_reason"}]}` events, a usage chunk (choices: []) when
      stream_options.include_usage, then `data: [DONE]`.
  A strict json_schema whose objects do not require every property or allow additional properties is
  refused (400), as the API does; otherwise the answer always matches the schema.
POST /v1/audio/transcriptions (multipart/form-data: file, model, language?, response_format?, ...)
  -> {"text", "usage"?} (or the bare text with response_format "text")
POST /v1/audio/speech {"model", "input", "voice", "response_format"?: mp3 (default) | wav | pcm, "speed"?,
      "stream_format"?: "audio" (default) | "sse"}
  -> the audio bytes (pcm: 24 kHz 16-bit mono little-endian), or with stream_format "sse"
     `data: {"type": "speech.audio.delta", "audio": base64}` events and `data: {"type": "speech.audio.done", "usage"}`.
Errors: {"error": {"message", "type", "param", "code"}} with 400, 401, 404, 429 (retry-after), 500...

What the fake says is steered through its `Script`: scripted chat replies, queued failures, a delay per
request, or a `mode` in which every endpoint fails ("error") or takes the request and never answers ("hang",
until the fake shuts down). Every request is logged in `Script.requests`."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
import threading
import time
import uuid
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import numpy as np

API_KEY = "sk-test-fake-key"
EMBEDDING_MODELS = {"text-embedding-3-small": 1536, "text-embedding-3-large": 3072, "text-embedding-ada-002": 1536}
MAX_EMBEDDING_INPUTS = 2048
# The sample rate of the speech endpoint's pcm (and of the fake's wav and mp3).
SPEECH_RATE = 24_000

Mode = Literal["ok", "error", "hang"]
# (HTTP status, extra response headers, error body) answered instead of the normal service.
Failure = tuple[int, dict[str, str], dict[str, Any]]
Samples = np.ndarray[Any, np.dtype[np.int16]]

_CHAT_ROLES = ("system", "developer", "user", "assistant", "tool")
_SCHEMA_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_WORD = re.compile(r"[a-z]{3,}")


@dataclass
class Received:
    """One request as the fake read it: multipart form fields or the JSON body (files as
    {"filename", "content"})."""

    path: str
    auth: str | None
    body: dict[str, Any]
    at: float


@dataclass
class Reply:
    """One scripted assistant message, answered instead of the fake's own."""

    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"


@dataclass
class Script:
    """What the fake answers next, and a log of what it received."""

    mode: Mode = "ok"
    # Answered, in order, before normal service resumes.
    failures: list[Failure] = field(default_factory=list)
    # Seconds every request waits before it is answered.
    delay: float = 0.0
    # Chat answers, in order; once used up, the fake answers `reply` (or, under a json_schema, from the schema).
    replies: list[Reply] = field(default_factory=list)
    reply: str = "This is the hosted model speaking."
    transcript: str = "When does the store open?"
    # Seconds of tone per speech request (the fake's "voice").
    speech_seconds: float = 0.6
    requests: list[Received] = field(default_factory=list)
    # Set when the fake shuts down: requests held by "hang" end then.
    released: threading.Event = field(default_factory=threading.Event)

    def received(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]

    def reset(self) -> None:
        """Back to answering normally, with an empty log."""
        fresh = Script()
        for spec in fields(self):
            if spec.name != "released":
                setattr(self, spec.name, getattr(fresh, spec.name))


def error(
    status: int, message: str, kind: str, code: str | None = None, param: str | None = None
) -> tuple[int, dict[str, Any]]:
    """OpenAI's error answer: (status, body)."""
    return status, {"error": {"message": message, "type": kind, "param": param, "code": code}}


# ---------------------------------------------------------------- what the fake "computes"


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


def tone(seconds: float, rate: int = SPEECH_RATE, frequency: float = 440.0) -> Samples:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * 32767 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def encode(samples: Samples, response_format: str) -> tuple[bytes, str]:
    """The audio in the requested format, with the content type OpenAI answers it with."""
    if response_format == "pcm":
        return samples.tobytes(), "audio/pcm"
    if response_format == "wav":
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SPEECH_RATE)
            out.writeframes(samples.tobytes())
        return buffer.getvalue(), "audio/wav"
    if response_format == "mp3":
        return _mp3(samples), "audio/mpeg"
    raise ValueError(f"the fake does not encode {response_format!r}")


def _mp3(samples: Samples) -> bytes:
    import av  # PyAV comes with livekit; only the speech tests need it

    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=SPEECH_RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SPEECH_RATE
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def _text(content: Any) -> str:
    """A message's text: a string, or the text parts of a content array."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _valid_message(message: Any) -> bool:
    if not isinstance(message, dict) or message.get("role") not in _CHAT_ROLES:
        return False
    content = message.get("content")
    return isinstance(content, str | list) or (content is None and message["role"] == "assistant")


def _strict_problem(schema: Any, path: str = "") -> str | None:
    """Why OpenAI refuses the schema in strict mode (every object: all properties required, none other allowed)."""
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
        words = set(_WORD.findall(prompt.lower()))
        return max(schema["enum"], key=lambda value: len(words & set(_WORD.findall(str(value).lower()))))
    if kind == "object":
        return {name: _answer_from_schema(sub, prompt) for name, sub in schema.get("properties", {}).items()}
    if kind in ("number", "integer"):
        return 0
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    return "text"


class _Refused(Exception):
    """A request the API would answer with an error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def _response_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The json_schema the answer must match (None without one); _Refused for a format the API refuses."""
    response_format = body.get("response_format")
    if response_format is None:
        return None
    kind = response_format.get("type") if isinstance(response_format, dict) else None
    if kind not in ("text", "json_object", "json_schema"):
        raise _Refused(
            *error(
                400,
                "Invalid value for 'response_format.type'.",
                "invalid_request_error",
                None,
                "response_format.type",
            )
        )
    if kind != "json_schema":
        return None
    spec = response_format.get("json_schema")
    if (
        not isinstance(spec, dict)
        or not _SCHEMA_NAME.match(str(spec.get("name", "")))
        or not isinstance(spec.get("schema"), dict)
    ):
        raise _Refused(
            *error(
                400,
                "Missing required parameter: 'response_format.json_schema'.",
                "invalid_request_error",
                "missing_required_parameter",
            )
        )
    problem = _strict_problem(spec["schema"]) if spec.get("strict") else None
    if problem:
        raise _Refused(
            *error(
                400,
                f"Invalid schema for response_format '{spec['name']}': {problem}",
                "invalid_request_error",
                None,
                "response_format",
            )
        )
    schema: dict[str, Any] = spec["schema"]
    return schema


# ---------------------------------------------------------------- HTTP


class _Handler(BaseHTTPRequestHandler):
    script: Script
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send_bytes(
        self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        self._send_bytes(status, json.dumps(body).encode(), "application/json", headers)

    def _send_events(self, events: list[str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        self.end_headers()
        for event in events:
            self.wfile.write(f"data: {event}\n\n".encode())
            self.wfile.flush()
        self.close_connection = True

    def _read_body(self) -> dict[str, Any]:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
            form: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if part.get_filename():
                    form[str(name)] = {"filename": part.get_filename(), "content": payload}
                else:
                    form[str(name)] = payload.decode() if isinstance(payload, bytes) else payload
            return form
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def do_POST(self) -> None:
        script = self.script
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        script.requests.append(Received(path, self.headers.get("Authorization"), body, time.monotonic()))
        if script.delay:
            time.sleep(script.delay)
        endpoint = self._endpoints().get(path)
        if endpoint is None:
            self._send_json(*error(404, f"Invalid URL (POST {path})", "invalid_request_error"))
            return
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._send_json(
                *error(401, "Incorrect API key provided: sk-wr***ng.", "invalid_request_error", "invalid_api_key")
            )
            return
        if script.mode == "hang":
            script.released.wait()
            self.close_connection = True
            return
        if script.mode == "error":
            self._send_json(*error(500, "The server had an error while processing your request.", "server_error"))
            return
        if script.failures:
            status, headers, failure = script.failures.pop(0)
            self._send_json(status, failure, headers)
            return
        try:
            endpoint(body)
        except _Refused as refused:
            self._send_json(refused.status, refused.body)

    def _endpoints(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        return {
            "/v1/embeddings": self._embeddings,
            "/v1/chat/completions": self._chat,
            "/v1/audio/transcriptions": self._transcription,
            "/v1/audio/speech": self._speech,
        }

    # ---------------------------------------------------------------- endpoints

    def _embeddings(self, body: dict[str, Any]) -> None:
        if "model" not in body or "input" not in body:
            raise _Refused(*error(400, "you must provide a model parameter", "invalid_request_error"))
        model = body["model"]
        if model not in EMBEDDING_MODELS:
            raise _Refused(
                *error(404, f"The model `{model}` does not exist", "invalid_request_error", "model_not_found")
            )
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if not inputs or len(inputs) > MAX_EMBEDDING_INPUTS or any(not isinstance(t, str) or t == "" for t in inputs):
            raise _Refused(
                *error(
                    400, "'$.input' is invalid. Please check the API reference.", "invalid_request_error", None, "input"
                )
            )
        dimensions = int(body.get("dimensions") or EMBEDDING_MODELS[model])
        data = [
            {"object": "embedding", "index": i, "embedding": fake_vector(text, dimensions)}
            for i, text in enumerate(inputs)
        ]
        data.reverse()  # the documented `index` says which input each vector belongs to
        tokens = sum(len(t.split()) for t in inputs)
        self._send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _chat(self, body: dict[str, Any]) -> None:
        model = body.get("model")
        if not isinstance(model, str) or not model:
            raise _Refused(*error(400, "you must provide a model parameter", "invalid_request_error"))
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(_valid_message(m) for m in messages):
            raise _Refused(*error(400, "Invalid 'messages'.", "invalid_request_error", None, "messages"))
        schema = _response_schema(body)
        if self.script.replies:
            reply = self.script.replies.pop(0)
        elif schema is not None:
            reply = Reply(content=json.dumps(_answer_from_schema(schema, _text(messages[-1].get("content")))))
        else:
            reply = Reply(content=self.script.reply)
        prompt_tokens = sum(len(_text(m.get("content")).split()) for m in messages)
        completion_tokens = len((reply.content or reply.refusal or "").split())
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        completion = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()), "model": model}
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            self._send_events(_chat_chunks(completion, reply, usage if include_usage else None))
            return
        message: dict[str, Any] = {
            "role": "assistant",
            "content": reply.content,
            "refusal": reply.refusal,
            "annotations": [],
        }
        self._send_json(
            200,
            {
                **completion,
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": reply.finish_reason}],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_fake",
            },
        )

    def _transcription(self, body: dict[str, Any]) -> None:
        if not isinstance(body.get("file"), dict) or not body.get("model"):
            raise _Refused(*error(400, "you must provide a file and a model", "invalid_request_error"))
        text = self.script.transcript
        if body.get("response_format") == "text":
            self._send_bytes(200, text.encode(), "text/plain")
            return
        words = len(text.split())
        usage = {"type": "tokens", "input_tokens": 50, "output_tokens": words, "total_tokens": 50 + words}
        self._send_json(200, {"text": text, "usage": usage})

    def _speech(self, body: dict[str, Any]) -> None:
        if not body.get("input") or not body.get("model") or not body.get("voice"):
            raise _Refused(*error(400, "input, model and voice are required", "invalid_request_error"))
        audio, content_type = encode(tone(self.script.speech_seconds), str(body.get("response_format") or "mp3"))
        if body.get("stream_format") != "sse":
            self._send_bytes(200, audio, content_type)
            return
        step = 4096
        events = [
            json.dumps({"type": "speech.audio.delta", "audio": base64.b64encode(audio[i : i + step]).decode()})
            for i in range(0, len(audio), step)
        ]
        tokens = len(str(body["input"]).split())
        usage = {"input_tokens": tokens, "output_tokens": 100, "total_tokens": tokens + 100}
        events.append(json.dumps({"type": "speech.audio.done", "usage": usage}))
        self._send_events(events)


def _chat_chunks(completion: dict[str, Any], reply: Reply, usage: dict[str, int] | None) -> list[str]:
    """A streamed chat completion: the role, the reply word by word, the finish reason, usage, [DONE]."""

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
        return json.dumps({**completion, "object": "chat.completion.chunk", "choices": choices, **extra})

    def delta(content: dict[str, Any], finish_reason: str | None = None) -> str:
        return chunk([{"index": 0, "delta": content, "finish_reason": finish_reason}])

    events = [delta({"role": "assistant", "content": ""})]
    if reply.content is not None:
        words = reply.content.split(" ")
        events += [delta({"content": word if i == 0 else f" {word}"}) for i, word in enumerate(words)]
    elif reply.refusal is not None:
        events.append(delta({"refusal": reply.refusal}))
    events.append(delta({}, reply.finish_reason))
    if usage is not None:
        events.append(chunk([], usage=usage))
    events.append("[DONE]")
    return events


class _Server(ThreadingHTTPServer):
    daemon_threads = True

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
        script.released.set()
        server.shutdown()
        server.server_close()
