"""Fault injection for the reference cloud: what a real network and a busy backoffice do to a till."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Annotated

from aiohttp import web

from bridge.wire import Meta, Wire, field

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy could not reach the backoffice.</p></body></html>"
)


#: A probability; each field adds its own description.
Rate = Annotated[float, Meta(ge=0, le=1)]


class Faults(Wire, frozen=True):
    """Each rate is a probability per till request (admin routes are never faulted)."""

    error_rate: Annotated[Rate, Meta(description="500 with a JSON error.")] = 0.0
    html_rate: Annotated[Rate, Meta(description="502 with an HTML page.")] = 0.0
    reset_rate: Annotated[Rate, Meta(description="Connection closed unanswered.")] = 0.0
    drop_after_commit_rate: Annotated[
        Rate, Meta(description="Handled and committed, then the answer is lost.")
    ] = 0.0
    retry_after_rate: Annotated[Rate, Meta(description="429/503 + Retry-After.")] = 0.0
    retry_after: Annotated[
        list[str],
        Meta(
            description='Values to send: seconds, "date+N"/"date-N" (an HTTP date N s from now), '
            "or any text."
        ),
    ] = field(default_factory=lambda: ["1"])
    delay_rate: Annotated[Rate, Meta(description="Slow answers.")] = 0.0
    delay_max_s: Annotated[float, Meta(ge=0, le=60)] = 0.0
    partial_rate: Annotated[Rate, Meta(description="Accept only part of a batch.")] = 0.0
    seed: int | None = None


def retry_after_value(spec: str) -> str:
    if spec.startswith(("date+", "date-")):
        offset = int(spec[4:])
        return format_datetime(datetime.now(UTC) + timedelta(seconds=offset), usegmt=True)
    return spec


class FaultInjector:
    def __init__(self, faults: Faults | None = None) -> None:
        self.set(faults or Faults())

    def set(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)

    def _hit(self, rate: float) -> bool:
        return rate > 0 and self._random.random() < rate

    def partial(self) -> bool:
        return self._hit(self.faults.partial_rate)

    def middleware(self) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
        @web.middleware
        async def inject(request: web.Request, handler: Handler) -> web.StreamResponse:
            if not request.path.startswith("/v1/"):
                return await handler(request)
            f = self.faults
            if self._hit(f.delay_rate):
                await asyncio.sleep(self._random.uniform(0, f.delay_max_s))
            if self._hit(f.reset_rate):
                assert request.transport is not None
                request.transport.close()
                raise web.HTTPInternalServerError()  # never reaches the closed socket
            if self._hit(f.retry_after_rate):
                status = self._random.choice([429, 503])
                value = retry_after_value(self._random.choice(f.retry_after))
                return web.json_response(
                    {"error": "busy", "message": "try later"},
                    status=status,
                    headers={"Retry-After": value},
                )
            if self._hit(f.html_rate):
                status = self._random.choice([200, 502])  # a captive portal answers 200
                return web.Response(status=status, text=HTML_PAGE, content_type="text/html")
            if self._hit(f.error_rate):
                return web.json_response({"error": "internal", "message": "injected"}, status=500)
            response = await handler(request)
            if self._hit(f.drop_after_commit_rate) and request.transport is not None:
                request.transport.close()
            return response

        return inject
