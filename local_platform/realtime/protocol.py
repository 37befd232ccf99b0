"""Phoenix channel frames, as realtime-js 2.x and its Phoenix client encode them.

vsn 1.0.0: JSON objects {join_ref, ref, topic, event, payload}.
vsn 2.0.0: JSON arrays [join_ref, ref, topic, event, payload], plus two binary
frame kinds for broadcasts: kind 3 (client -> server "user broadcast push")
and kind 4 (server -> client "user broadcast")."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

VSN_1 = "1.0.0"
VSN_2 = "2.0.0"
SUPPORTED_VSN = (VSN_1, VSN_2)

KIND_USER_BROADCAST_PUSH = 3
KIND_USER_BROADCAST = 4
ENCODING_BINARY = 0
ENCODING_JSON = 1

Frame = str | bytes


class ProtocolError(ValueError):
    """A frame that cannot be understood. Carries what could be read of it, so
    the server can still reply to the right topic and ref."""

    def __init__(self, message: str, *, topic: str | None = None, ref: str | None = None, join_ref: str | None = None):
        super().__init__(message)
        self.topic = topic
        self.ref = ref
        self.join_ref = join_ref


@dataclass
class Message:
    topic: str
    event: str
    payload: Any
    ref: str | None = None
    join_ref: str | None = None


@dataclass
class UserBroadcastPush:
    """A binary broadcast from a vsn 2.0.0 client (kind 3)."""

    topic: str
    user_event: str
    payload: bytes
    binary: bool
    ref: str | None = None
    join_ref: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


def _optional_str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str | int):
        return str(value)
    raise ProtocolError("join_ref and ref must be strings or null")


def decode_text(raw: str, vsn: str) -> Message:
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ProtocolError(f"frame is not JSON: {error}") from None
    if vsn == VSN_2:
        if not isinstance(data, list) or len(data) != 5:
            raise ProtocolError("expected a [join_ref, ref, topic, event, payload] array")
        join_ref, ref, topic, event, payload = data
    else:
        if not isinstance(data, dict):
            raise ProtocolError("expected a {topic, event, payload, ref} object")
        join_ref, ref, topic, event, payload = (data.get(k) for k in ("join_ref", "ref", "topic", "event", "payload"))
    safe_topic = topic if isinstance(topic, str) else None
    safe_ref = ref if isinstance(ref, str) else None
    if not isinstance(topic, str) or not topic:
        raise ProtocolError("topic must be a non-empty string", ref=safe_ref)
    if not isinstance(event, str) or not event:
        raise ProtocolError("event must be a non-empty string", topic=safe_topic, ref=safe_ref)
    try:
        return Message(
            topic=topic, event=event, payload=payload, ref=_optional_str(ref), join_ref=_optional_str(join_ref)
        )
    except ProtocolError as error:
        raise ProtocolError(str(error), topic=safe_topic) from None


def decode_binary(raw: bytes) -> UserBroadcastPush:
    """Kind 3: kind, join_ref len, ref len, topic len, event len, metadata len,
    encoding, then those strings, then the user payload."""
    if len(raw) < 7:
        raise ProtocolError("binary frame too short")
    kind = raw[0]
    if kind != KIND_USER_BROADCAST_PUSH:
        raise ProtocolError(f"unsupported binary frame kind {kind}")
    join_ref_len, ref_len, topic_len, event_len, meta_len, encoding = raw[1:7]
    offset = 7
    parts: list[str] = []
    for length in (join_ref_len, ref_len, topic_len, event_len, meta_len):
        chunk = raw[offset : offset + length]
        if len(chunk) != length:
            raise ProtocolError("binary frame header is longer than the frame")
        try:
            parts.append(chunk.decode())
        except UnicodeDecodeError:
            raise ProtocolError("binary frame header is not UTF-8") from None
        offset += length
    join_ref, ref, topic, user_event, metadata_text = parts
    if encoding not in (ENCODING_BINARY, ENCODING_JSON):
        raise ProtocolError(f"unknown payload encoding {encoding}", topic=topic, ref=ref or None)
    metadata: dict[str, Any] = {}
    if metadata_text:
        try:
            parsed = json.loads(metadata_text)
        except ValueError:
            raise ProtocolError("broadcast metadata is not JSON", topic=topic, ref=ref or None) from None
        if isinstance(parsed, dict):
            metadata = parsed
    if not topic:
        raise ProtocolError("topic must be a non-empty string", ref=ref or None)
    return UserBroadcastPush(
        topic=topic,
        user_event=user_event,
        payload=raw[offset:],
        binary=encoding == ENCODING_BINARY,
        ref=ref or None,
        join_ref=join_ref or None,
        metadata=metadata,
    )


def encode(message: Message, vsn: str) -> str:
    if vsn == VSN_2:
        data: Any = [message.join_ref, message.ref, message.topic, message.event, message.payload]
    else:
        data = {
            "join_ref": message.join_ref,
            "ref": message.ref,
            "topic": message.topic,
            "event": message.event,
            "payload": message.payload,
        }
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def encode_user_broadcast(topic: str, user_event: str, payload: bytes, *, binary: bool) -> bytes:
    """Kind 4: kind, topic len, event len, metadata len (0), encoding, topic, event, payload."""
    topic_bytes = topic.encode()
    event_bytes = user_event.encode()
    if len(topic_bytes) > 255 or len(event_bytes) > 255:
        raise ValueError("topic and event must be at most 255 bytes in a binary frame")
    header = bytes(
        [
            KIND_USER_BROADCAST,
            len(topic_bytes),
            len(event_bytes),
            0,
            ENCODING_BINARY if binary else ENCODING_JSON,
        ]
    )
    return header + topic_bytes + event_bytes + payload


@dataclass(frozen=True)
class Broadcast:
    """A broadcast on its way to subscribers. `raw` keeps the sender's bytes
    when it came as a binary frame, so vsn 2 clients get them back unchanged."""

    event: str
    payload: Any = None
    raw: bytes | None = None
    binary: bool = False
    meta: dict[str, Any] | None = None

    def frame(self, topic: str, vsn: str) -> Frame | None:
        if vsn == VSN_2 and self.raw is not None and self.meta is None:
            return encode_user_broadcast(topic, self.event, self.raw, binary=self.binary)
        if self.binary:
            return None  # a vsn 1 client has no way to receive binary payloads
        body: dict[str, Any] = {"type": "broadcast", "event": self.event, "payload": self.payload}
        if self.meta is not None:
            body["meta"] = self.meta
        return encode(Message(topic=topic, event="broadcast", payload=body), vsn)
