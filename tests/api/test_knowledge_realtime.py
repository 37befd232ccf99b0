"""A source's status streams live through Supabase Realtime (the local
stand-in behind the gateway), to the workspace's members only."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import ClientConnection, connect

from callcenter.settings import LOCAL_STATE_DIR, get_settings
from tests.api.conftest import MakeUser, User
from tests.api.test_knowledge_api import REFUNDS_30, add_member, create_article, new_workspace

ANON_KEY = json.loads((LOCAL_STATE_DIR / "secrets" / "local-secrets.json").read_text())["anon_key"]


def socket_url() -> str:
    base = get_settings().supabase_url.replace("http://", "ws://").replace("https://", "wss://")
    return f"{base}/realtime/v1/websocket?apikey={ANON_KEY}&vsn=2.0.0"


async def subscribe(ws: ClientConnection, user: User, workspace_id: str) -> None:
    change = {"event": "*", "schema": "public", "table": "knowledge_sources"}
    change["filter"] = f"workspace_id=eq.{workspace_id}"
    join = {"config": {"postgres_changes": [change]}, "access_token": user.token}
    await ws.send(json.dumps(["1", "1", "realtime:knowledge", "phx_join", join]))
    deadline = time.monotonic() + 10
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic())))
        if frame[3] == "phx_reply" and frame[1] == "1":
            assert frame[4]["status"] == "ok", frame
            return


async def changes(ws: ClientConnection, until: str | None, wait: float) -> list[dict[str, Any]]:
    """postgres_changes records received, until one has status `until` (or `wait` seconds pass)."""
    records: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            frame = json.loads(await asyncio.wait_for(ws.recv(), max(0.05, deadline - time.monotonic())))
        except TimeoutError:
            break
        if frame[3] == "postgres_changes":
            record = frame[4]["data"]["record"]
            records.append(record)
            if until is not None and record.get("status") == until:
                break
    return records


async def test_status_changes_stream_to_members_only(
    api: httpx.AsyncClient, make_user: MakeUser, db: asyncpg.Pool
) -> None:
    ws = await new_workspace(api, make_user)
    agent = await make_user("agent")
    await add_member(db, ws, agent)
    stranger = await make_user("stranger")
    async with connect(socket_url()) as member_socket, connect(socket_url()) as stranger_socket:
        await subscribe(member_socket, agent, ws.id)
        await subscribe(stranger_socket, stranger, ws.id)
        created = await create_article(api, ws, "Refunds", REFUNDS_30)
        seen = await changes(member_socket, until="ready", wait=30)
        leaked = await changes(stranger_socket, until=None, wait=1)
    assert {r["id"] for r in seen} == {created["id"]}
    statuses = [r["status"] for r in seen]
    assert statuses[-1] == "ready"
    assert "processing" in statuses
    assert seen[-1]["chunk_count"] > 0
    assert leaked == []
