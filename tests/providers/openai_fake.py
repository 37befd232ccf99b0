"""A stand-in for the hosted OpenAI endpoints a call uses, on loopback, built
from OpenAI's documented request and response shapes. Only the HTTP boundary
is faked: livekit-plugins-openai (and the openai client under it) talk to it
over real sockets.

POST /v1/chat/completions (stream: true)
  Request:  {"model", "messages": [{"role", "content"}], "stream": true, "stream_options"?, "temperature"?...}
  Response: text/event-stream, one `data: {chunk}` per event:
            {"id", "object": "chat.completion.chunk", "created", "model",
             "choices": [{"index": 0, "delta": {"role"?, "content"}, "finish_reason": null | "stop"}]}
            then a usage chunk (choices: []) when stream_options.include_usage, then `data: [DONE]`.
POST /v1/audio/transcriptions (multipart/form-data: file, model, language?, response_format?...)
  Response: {"text": "...", "usage"?: {...}}
POST /v1/audio/speech {"model", "input", "voice", "response_format"?: mp3 (default) | wav | pcm ..., "speed"?,
                       "stream_format"?: "audio" (default) | "sse"}
  Response: the audio bytes of response_format (pcm: 24 kHz 16-bit mono little-endian), or with
            stream_format "sse": `data: {"type": "speech.audio.delta", "audio": base64}` events and a closing
            `data: {"type": "speech.audio.done", "usage": {...}}`.
Errors:   {"error": {"message", "type", "param", "code"}}.

`Script.mode` makes every endpoint answer normally ("ok"), fail with HTTP 500 ("error"), or accept the
request and never answer ("hang", until the fake shuts down)."""

from __future__ import annotations

import base64
import io
import json
import threading
import time
import uuid
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import numpy as np

API_KEY = "test"
SPEECH_RATE = 24_000
Mode = Literal["ok", "error", "hang"]


@dataclass
class Received:
    path: str
    auth: str | None
    body: dict[str, Any]
    at: float


@dataclass
class Script:
    """What the fake answers, and a log of what it received."""

    mode: Mode = "ok"
    reply: str = "This is the hosted model speaking."
    transcript: str = "When does the store open?"
    # Seconds of tone per spoken request (the fake's "speech").
    speech_seconds: float = 0.6
    requests: list[Received] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def received(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]


def tone(seconds: float, rate: int = SPEECH_RATE, frequency: float = 440.0) -> np.ndarray[Any, np.dtype[np.int16]]:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * 32767 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def encode(samples: np.ndarray[Any, np.dtype[np.int16]], response_format: str) -> tuple[bytes, str]:
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


def _mp3(samples: np.ndarray[Any, np.dtype[np.int16]]) -> bytes:
    import av

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


def _error(status: int, message: str, kind: str, code: str | None = None) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": kind, "param": None, "code": code}}


class _Handler(BaseHTTPRequestHandler):
    script: Script
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # ---------------------------------------------------------------- plumbing

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        self._send_bytes(status, json.dumps(body).encode(), "application/json")

    def _send_bytes(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-request-id", f"req_{uuid.uuid4().hex}")
        self.end_headers()
        self.wfile.write(payload)

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
            fields: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if part.get_filename():
                    fields[str(name)] = {"filename": part.get_filename(), "content": payload}
                else:
                    fields[str(name)] = payload.decode() if isinstance(payload, bytes) else payload
            return fields
        try:
            parsed = json.loads(raw or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    # ---------------------------------------------------------------- endpoints

    def do_POST(self) -> None:
        script = self.script
        body = self._read_body()
        path = self.path.split("?", 1)[0]
        script.requests.append(Received(path, self.headers.get("Authorization"), body, time.monotonic()))
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            self._send_json(*_error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"))
            return
        if script.mode == "hang":
            script.released.wait()
            return
        if script.mode == "error":
            self._send_json(*_error(500, "The server had an error while processing your request.", "server_error"))
            return
        handlers = {
            "/v1/chat/completions": self._chat,
            "/v1/audio/transcriptions": self._transcription,
            "/v1/audio/speech": self._speech,
        }
        handler = handlers.get(path)
        if handler is None:
            self._send_json(*_error(404, f"Invalid URL (POST {path})", "invalid_request_error"))
            return
        handler(body)

    def _chat(self, body: dict[str, Any]) -> None:
        if not body.get("model") or not isinstance(body.get("messages"), list):
            self._send_json(*_error(400, "'messages' is a required property", "invalid_request_error"))
            return
        if not body.get("stream"):
            self._send_json(*_error(400, "the fake serves streamed completions only", "invalid_request_error"))
            return
        completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> str:
            return json.dumps({
                "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body["model"],
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            })  # fmt: skip

        words = self.script.reply.split(" ")
        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": word if i == 0 else f" {word}"}) for i, word in enumerate(words)]
        events.append(chunk({}, "stop"))
        if (body.get("stream_options") or {}).get("include_usage"):
            usage = {"prompt_tokens": 100, "completion_tokens": len(words), "total_tokens": 100 + len(words)}
            events.append(json.dumps({
                "id": completion_id, "object": "chat.completion.chunk", "created": created, "model": body["model"],
                "choices": [], "usage": usage,
            }))  # fmt: skip
        events.append("[DONE]")
        self._send_events(events)

    def _transcription(self, body: dict[str, Any]) -> None:
        audio = body.get("file")
        if not isinstance(audio, dict) or not body.get("model"):
            self._send_json(*_error(400, "you must provide a file and a model", "invalid_request_error"))
            return
        text = self.script.transcript
        if body.get("response_format") == "text":
            self._send_bytes(200, text.encode(), "text/plain")
            return
        words = len(text.split())
        usage = {"type": "tokens", "input_tokens": 50, "output_tokens": words, "total_tokens": 50 + words}
        self._send_json(200, {"text": text, "usage": usage})

    def _speech(self, body: dict[str, Any]) -> None:
        if not body.get("input") or not body.get("model") or not body.get("voice"):
            self._send_json(*_error(400, "input, model and voice are required", "invalid_request_error"))
            return
        response_format = str(body.get("response_format") or "mp3")
        audio, content_type = encode(tone(self.script.speech_seconds), response_format)
        if body.get("stream_format") == "sse":
            step = 4096
            events = [
                json.dumps({"type": "speech.audio.delta", "audio": base64.b64encode(audio[i : i + step]).decode()})
                for i in range(0, len(audio), step)
            ]
            tokens = len(str(body["input"]).split())
            usage = {"input_tokens": tokens, "output_tokens": 100, "total_tokens": tokens + 100}
            events.append(json.dumps({"type": "speech.audio.done", "usage": usage}))
            self._send_events(events)
            return
        self._send_bytes(200, audio, content_type)


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
