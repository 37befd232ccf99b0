"""Each call lives in its own LiveKit room. This module creates a call's room,
dispatches the voice agent into it explicitly, mints the tokens people join
with (browser test callers now, human agents taking over a call later), and
closes the room when a call is hung up from the web app.

The server API is LiveKit's Twirp API over HTTP(S) at `settings.livekit_url`;
browsers dial `settings.livekit_browser_url` (the two may differ behind a
proxy or in the cloud)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import aiohttp
from livekit import api

from callcenter.calls.dispatch import CallDispatch
from callcenter.errors import DomainError, ErrorKind
from callcenter.settings import Settings

log = logging.getLogger(__name__)

# A room nobody joins closes after this; a room everyone left closes after the departure timeout.
ROOM_EMPTY_TIMEOUT_SECONDS = 120
ROOM_DEPARTURE_TIMEOUT_SECONDS = 20
# How long a participant token may be used to join (and rejoin after a network change).
PARTICIPANT_TOKEN_TTL = timedelta(hours=2)
REQUEST_TIMEOUT_SECONDS = 8.0


def http_url(url: str) -> str:
    """LiveKit's server API speaks HTTP on the same host and port as its signalling WebSocket."""
    if url.startswith("wss://"):
        return "https://" + url.removeprefix("wss://")
    if url.startswith("ws://"):
        return "http://" + url.removeprefix("ws://")
    return url


def livekit_api(settings: Settings) -> api.LiveKitAPI:
    """A LiveKit server API client (use as `async with`): one per operation, nothing kept between
    Lambda invocations."""
    return api.LiveKitAPI(
        http_url(settings.livekit_url),
        settings.livekit_api_key,
        settings.livekit_api_secret,
        timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS),
    )


def _unavailable(settings: Settings, detail: str) -> DomainError:
    return DomainError(
        ErrorKind.UNAVAILABLE,
        "voice_unavailable",
        f"The voice server (LiveKit at {settings.livekit_url}) {detail}. Calls cannot start right now; "
        "try again in a moment.",
    )


class CallRooms:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    @property
    def browser_url(self) -> str:
        return self._settings.livekit_browser_url

    def _check_configured(self) -> None:
        if not (self._settings.livekit_url and self._settings.livekit_api_key and self._settings.livekit_api_secret):
            raise DomainError(
                ErrorKind.UNAVAILABLE,
                "voice_not_configured",
                "Calls are not set up on this server: LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET are needed.",
            )

    @asynccontextmanager
    async def _client(self) -> AsyncIterator[api.LiveKitAPI]:
        """A client per operation (nothing survives between Lambda invocations), with LiveKit's
        failures turned into messages people can act on."""
        self._check_configured()
        settings = self._settings
        try:
            async with livekit_api(settings) as client:
                yield client
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("LiveKit at %s is unreachable: %r", settings.livekit_url, error)
            raise _unavailable(settings, "is not reachable") from error
        except api.ServerError as error:
            log.warning("LiveKit refused a request: %s", error)
            if error.status in (401, 403):
                raise _unavailable(settings, "refused this server's API key") from error
            raise _unavailable(settings, f"refused the request ({error.code}: {error.message})") from error

    async def open_call_room(self, room_name: str, dispatch: CallDispatch) -> str:
        """Creates the room and dispatches the agent into it; returns the dispatch id.
        Creating a room that exists returns it, so a retried request is harmless."""
        async with self._client() as client:
            await client.room.create_room(
                api.CreateRoomRequest(
                    name=room_name,
                    empty_timeout=ROOM_EMPTY_TIMEOUT_SECONDS,
                    departure_timeout=ROOM_DEPARTURE_TIMEOUT_SECONDS,
                )
            )
            created = await client.agent_dispatch.create_dispatch(
                api.CreateAgentDispatchRequest(
                    agent_name=self._settings.livekit_agent_name, room=room_name, metadata=dispatch.to_metadata()
                )
            )
            return str(created.id)

    async def close_room(self, room_name: str) -> bool:
        """Deletes the room, disconnecting everyone in it. False when it was already gone."""
        try:
            async with self._client() as client:
                await client.room.delete_room(api.DeleteRoomRequest(room=room_name))
        except DomainError as error:
            cause = error.__cause__
            if isinstance(cause, api.ServerError) and cause.code == api.ServerErrorCode.NOT_FOUND:
                return False
            raise
        return True

    async def room_exists(self, room_name: str) -> bool:
        async with self._client() as client:
            listed = await client.room.list_rooms(api.ListRoomsRequest(names=[room_name]))
        return any(room.name == room_name for room in listed.rooms)

    def participant_token(
        self, room_name: str, *, identity: str, name: str, ttl: timedelta = PARTICIPANT_TOKEN_TTL
    ) -> str:
        """A token to join one room, publish a microphone and hear the others."""
        self._check_configured()
        return (
            api.AccessToken(self._settings.livekit_api_key, self._settings.livekit_api_secret)
            .with_identity(identity)
            .with_name(name)
            .with_grants(api.VideoGrants(room_join=True, room=room_name, can_publish=True, can_subscribe=True))
            .with_ttl(ttl)
            .to_jwt()
        )
