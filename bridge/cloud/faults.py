"""Fault injection for the reference cloud: what a real network and a busy backoffice do to a till."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy could not reach the backoffice.</p></body></html>"
)


class Faults(BaseModel):
    """Each rate is a probability per till request (admin routes are never faulted)."""

    model_config = ConfigDict(extra="forbid")

    error_rate: float = Field(default=0.0, ge=0, le=1, description="500 with a JSON error.")
    html_rate: float = Field(default=0.0, ge=0, le=1, description="502 with an HTML page.")
    reset_rate: float = Field(default=0.0, ge=0, le=1, description="Connection closed unanswered.")
    drop_after_commit_rate: float = Field(
        default=0.0, ge=0, le=1, description="Handled and committed, then the answer is lost."
    )
    retry_after_rate: float = Field(default=0.0, ge=0, le=1, description="429/503 + Retry-After.")
    retry_after: list[str] = Field(
        default_factory=lambda: ["1"],
        description='Values to send: seconds, "date+N"/"date-N" (an HTTP date N s from now), or any text.',
    )
    delay_rate: float = Field(default=0.0, ge=0, le=1, description="Slow answers.")
    delay_max_s: float = Field(default=0.0, ge=0, le=60)
    partial_rate: float = Field(default=0.0, ge=0, le=1, description="Accept only part of a batch.")
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
