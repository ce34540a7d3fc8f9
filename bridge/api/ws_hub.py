"""The events WebSocket: Origin checked before the upgrade, auth in the first frame, resume by seq.

Each client has its own sender task reading its bounded queue, so a client that stops reading only
fills its own queue and is then dropped; scans keep flowing to everyone else.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, Literal

import structlog
from aiohttp import WSMsgType, web

from bridge.api.errors import ApiError
from bridge.api.security import OriginPolicy, authenticate, local_port
from bridge.auth.tokens import TokenStore
from bridge.config.models import EventsConfig
from bridge.events.bus import Event, EventBus, Subscriber
from bridge.wire import Meta, Wire, WireError, decode_json

log = structlog.get_logger(__name__)

CLOSE_AUTH_FAILED = 4401
CLOSE_TOO_SLOW = 4008
CLOSE_BAD_MESSAGE = 4400


class AuthFrame(Wire):
    type: Literal["auth"]
    token: Annotated[str, Meta(max_length=200)]


class SubscribeFrame(Wire):
    type: Literal["subscribe"]
    topics: Annotated[list[Literal["scan", "device", "job", "drawer", "sync"]], Meta(min_length=1)]
    since: (
        Annotated[int, Meta(ge=0, description="Last seq the client has; replay what came after.")]
        | None
    ) = None
    stream: (
        Annotated[
            str,
            Meta(
                max_length=64,
                description="The stream id from the welcome frame the client last saw.",
            ),
        ]
        | None
    ) = None


class WebSocketHub:
    """Tracks every open events connection so shutdown can close them."""

    def __init__(
        self, bus: EventBus, tokens: TokenStore, origins: OriginPolicy, config: EventsConfig
    ) -> None:
        self._bus = bus
        self._tokens = tokens
        self._origins = origins
        self._config = config
        self._sockets: set[web.WebSocketResponse] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._transports: dict[web.WebSocketResponse, asyncio.BaseTransport | None] = {}

    @property
    def client_count(self) -> int:
        return len(self._sockets)

    async def close_all(self) -> None:
        for ws in list(self._sockets):
            await ws.close(code=1001, message=b"tillbridge is stopping")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        port = local_port(request) or 0
        if self._origins.classify(origin, port) == "foreign":
            raise ApiError(
                403, "origin.forbidden", f"Origin {origin} may not open the events socket."
            )
        ws = web.WebSocketResponse(max_msg_size=self._config.max_frame_bytes, heartbeat=30.0)
        await ws.prepare(request)
        self._sockets.add(ws)
        self._transports[ws] = request.transport
        try:
            await self._session(ws, origin)
        finally:
            self._sockets.discard(ws)
            self._transports.pop(ws, None)
        return ws

    async def _session(self, ws: web.WebSocketResponse, origin: str | None) -> None:
        try:
            first = await asyncio.wait_for(ws.receive(), self._config.auth_timeout_s)
        except TimeoutError:
            await self._refuse(ws, "auth.timeout", 'Send {"type": "auth", "token": ...} first.')
            return
        frame = self._parse(first, AuthFrame)
        if frame is None:
            await self._refuse(
                ws, "auth.expected", 'The first frame must be {"type": "auth", "token": ...}.'
            )
            return
        try:
            principal = await authenticate(self._tokens, f"Bearer {frame.token}")
        except ApiError as exc:
            await self._refuse(ws, exc.code, exc.message)
            return
        await ws.send_json(
            {
                "type": "welcome",
                "role": principal.role.value,
                "stream": self._bus.stream,
                "last_seq": self._bus.last_seq,
            }
        )
        subscriber: Subscriber | None = None
        sender: asyncio.Task[None] | None = None
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    await self._send_error(ws, "frame.not_text", "Send JSON text frames.")
                    continue
                sub = self._parse(message, SubscribeFrame)
                if sub is None:
                    await self._send_error(
                        ws, "frame.invalid", 'Expected {"type": "subscribe", "topics": [...]}.'
                    )
                    continue
                if subscriber is not None:
                    self._bus.unsubscribe(subscriber)
                    if sender is not None:
                        sender.cancel()
                        await asyncio.gather(sender, return_exceptions=True)
                subscriber, replay = self._bus.subscribe(
                    f"{principal.name}@{origin or 'local'}",
                    sub.topics,
                    lambda s, ws=ws: self._drop(ws, s),
                    since=sub.since,
                    stream=sub.stream,
                )
                notices: list[dict[str, Any]] = [
                    {
                        "type": "subscribed",
                        "topics": sorted(subscriber.topics),
                        "stream": self._bus.stream,
                        "last_seq": self._bus.last_seq,
                        "replaying": len(replay.events),
                    }
                ]
                if replay.reset:
                    notices.append(
                        {
                            "type": "reset",
                            "stream": self._bus.stream,
                            "message": "tillbridge restarted; events before its start are gone",
                        }
                    )
                if replay.gap is not None:
                    notices.append(
                        {
                            "type": "gap",
                            "from": replay.gap[0],
                            "to": replay.gap[1],
                            "message": "these events fell out of the replay window",
                        }
                    )
                sender = asyncio.create_task(
                    self._send_loop(ws, subscriber, notices, replay.events)
                )
                self._tasks.add(sender)
                sender.add_done_callback(self._tasks.discard)
        finally:
            if subscriber is not None:
                self._bus.unsubscribe(subscriber)
            if sender is not None:
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)

    async def _send_loop(
        self,
        ws: web.WebSocketResponse,
        subscriber: Subscriber,
        notices: list[dict[str, Any]],
        replay: list[Event],
    ) -> None:
        timeout = self._config.send_timeout_s
        try:
            for notice in notices:
                await asyncio.wait_for(ws.send_str(json.dumps(notice)), timeout)
            for event in replay:
                await asyncio.wait_for(ws.send_str(event.wire), timeout)
                subscriber.delivered += 1
            while True:
                event = await subscriber.queue.get()
                await asyncio.wait_for(ws.send_str(event.wire), timeout)
                subscriber.delivered += 1
        except TimeoutError:
            self._bus.unsubscribe(subscriber)
            self._drop(ws, subscriber)
        except (ConnectionError, RuntimeError):
            self._bus.unsubscribe(subscriber)

    def _drop(self, ws: web.WebSocketResponse, subscriber: Subscriber) -> None:
        """Cut off a client that does not keep up; it can resume with `since`."""
        log.warning("events.client_dropped", client=subscriber.name, reason="too slow")
        task = asyncio.create_task(self._abort(ws, self._transports.get(ws)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _abort(ws: web.WebSocketResponse, transport: asyncio.BaseTransport | None) -> None:
        try:
            await asyncio.wait_for(
                ws.close(code=CLOSE_TOO_SLOW, message=b"too slow: reconnect with since"), 1.0
            )
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        # A peer that reads nothing never acknowledges the close: drop the socket itself.
        if isinstance(transport, asyncio.Transport) and not transport.is_closing():
            transport.abort()

    @staticmethod
    def _parse(message: Any, model: type[Wire]) -> Any:
        if message.type != WSMsgType.TEXT:
            return None
        try:
            return decode_json(message.data, model)
        except WireError:
            return None

    async def _refuse(self, ws: web.WebSocketResponse, code: str, message: str) -> None:
        await self._send_error(ws, code, message)
        await ws.close(code=CLOSE_AUTH_FAILED, message=code.encode()[:120])

    @staticmethod
    async def _send_error(ws: web.WebSocketResponse, code: str, message: str) -> None:
        try:
            await ws.send_json(
                {"type": "error", "error": {"code": code, "message": message, "details": {}}}
            )
        except (ConnectionError, RuntimeError):
            pass
