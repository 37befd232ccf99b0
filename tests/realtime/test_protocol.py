"""Phoenix frames as realtime-js encodes them (vsn 1.0.0 objects, 2.0.0 arrays and binary broadcasts)."""

from __future__ import annotations

import json

import pytest

from local_platform.realtime.protocol import (
    VSN_1,
    VSN_2,
    Broadcast,
    Message,
    ProtocolError,
    decode_binary,
    decode_text,
    encode,
    encode_user_broadcast,
)


def user_broadcast_push(
    join_ref: str, ref: str, topic: str, event: str, payload: bytes, *, json_payload: bool
) -> bytes:
    """What realtime-js's serializer sends for channel.send({type: 'broadcast', ...}) (kind 3)."""
    header = bytes([3, len(join_ref), len(ref), len(topic), len(event), 0, 1 if json_payload else 0])
    return header + (join_ref + ref + topic + event).encode() + payload


def test_v2_text_roundtrip() -> None:
    raw = json.dumps(["1", "2", "realtime:room", "phx_join", {"config": {}}])
    message = decode_text(raw, VSN_2)
    assert message == Message(topic="realtime:room", event="phx_join", payload={"config": {}}, ref="2", join_ref="1")
    assert json.loads(encode(message, VSN_2)) == ["1", "2", "realtime:room", "phx_join", {"config": {}}]


def test_v1_objects() -> None:
    raw = json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": "7"})
    message = decode_text(raw, VSN_1)
    assert (message.topic, message.event, message.ref, message.join_ref) == ("phoenix", "heartbeat", "7", None)
    assert json.loads(encode(message, VSN_1)) == {
        "join_ref": None,
        "ref": "7",
        "topic": "phoenix",
        "event": "heartbeat",
        "payload": {},
    }


@pytest.mark.parametrize(
    ("raw", "vsn", "message"),
    [
        ("not json", VSN_2, "not JSON"),
        ('{"topic": "x"}', VSN_2, "expected a \\[join_ref"),
        ('["1", "2", "realtime:x"]', VSN_2, "expected a \\[join_ref"),
        ('[null, "2", "", "phx_join", {}]', VSN_2, "topic must be"),
        ('[null, "2", "realtime:x", 5, {}]', VSN_2, "event must be"),
        ("[1, 2, 3, 4, 5]", VSN_1, "expected a \\{topic"),
    ],
)
def test_malformed_text(raw: str, vsn: str, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_text(raw, vsn)


def test_malformed_text_keeps_what_can_be_replied_to() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_text('[null, "9", "realtime:x", null, {}]', VSN_2)
    assert (caught.value.topic, caught.value.ref) == ("realtime:x", "9")


def test_binary_user_broadcast_push() -> None:
    frame = user_broadcast_push("1", "5", "realtime:room", "cursor", b'{"x":1}', json_payload=True)
    push = decode_binary(frame)
    assert (push.join_ref, push.ref, push.topic, push.user_event, push.binary) == (
        "1",
        "5",
        "realtime:room",
        "cursor",
        False,
    )
    assert json.loads(push.payload) == {"x": 1}
    binary = decode_binary(user_broadcast_push("1", "", "realtime:room", "bin", b"\x00\x01", json_payload=False))
    assert binary.binary and binary.payload == b"\x00\x01" and binary.ref is None


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"\x03\x01", "too short"),
        (bytes([0, 1, 1, 1, 1, 0, 1]) + b"abcd", "unsupported binary frame kind 0"),
        (bytes([3, 9, 0, 0, 0, 0, 1]) + b"ab", "longer than the frame"),
        (bytes([3, 0, 0, 2, 1, 0, 7]) + b"rte", "unknown payload encoding"),
        (bytes([3, 0, 0, 0, 1, 0, 1]) + b"e{}", "topic must be"),
    ],
)
def test_malformed_binary(frame: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        decode_binary(frame)


def test_user_broadcast_frame_layout() -> None:
    """Kind 4, as realtime-js's Serializer._decodeUserBroadcast reads it."""
    frame = encode_user_broadcast("realtime:room", "ev", b'{"a":1}', binary=False)
    assert frame[:5] == bytes([4, len("realtime:room"), 2, 0, 1])
    assert frame[5:] == b'realtime:roomev{"a":1}'


def test_broadcast_frames_per_client_version() -> None:
    from_binary_push = Broadcast(event="ev", payload={"a": 1}, raw=b'{"a":1}')
    assert isinstance(from_binary_push.frame("realtime:r", VSN_2), bytes)
    assert json.loads(str(from_binary_push.frame("realtime:r", VSN_1)))["payload"] == {
        "type": "broadcast",
        "event": "ev",
        "payload": {"a": 1},
    }
    from_db = Broadcast(event="ev", payload={"a": 1}, meta={"id": "x"})
    assert json.loads(str(from_db.frame("realtime:r", VSN_2))) == [
        None,
        None,
        "realtime:r",
        "broadcast",
        {"type": "broadcast", "event": "ev", "payload": {"a": 1}, "meta": {"id": "x"}},
    ]
    assert Broadcast(event="b", raw=b"\x00", binary=True).frame("realtime:r", VSN_1) is None
