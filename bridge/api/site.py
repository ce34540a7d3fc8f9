"""Listening on loopback only, with a cap on open connections."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

from aiohttp import web

from bridge.config.models import ServerConfig

_BUSY_BODY = b'{"error":{"code":"server.busy","message":"Too many open connections; retry shortly.","details":{}}}'
_BUSY_RESPONSE = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\n"
    + b"Content-Length: %d\r\n\r\n" % len(_BUSY_BODY)
    + _BUSY_BODY
)


class _Refused(asyncio.Protocol):
    """Answers a connection over the cap with a 503 and closes it."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(_BUSY_RESPONSE)
        transport.close()


def bind_loopback(host: str, port: int) -> socket.socket:
    """A listening socket on a loopback address; anything else is refused outright."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    address = probe[0][4]
    if not ipaddress.ip_address(address[0]).is_loopback:
        raise ValueError(f"refusing to listen on non-loopback address {host}")
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    sock.bind(address)
    sock.listen(128)
    sock.setblocking(False)
    return sock


class LoopbackSite(web.BaseSite):
    """Like aiohttp's SockSite, but refuses connections beyond ``max_connections``."""

    __slots__ = ("_max_connections", "_sock")

    def __init__(
        self, runner: web.BaseRunner, sock: socket.socket, *, max_connections: int
    ) -> None:
        super().__init__(runner)
        self._sock = sock
        self._max_connections = max_connections

    @property
    def port(self) -> int:
        return int(self._sock.getsockname()[1])

    @property
    def name(self) -> str:
        host = self._sock.getsockname()[0]
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        limit = self._max_connections

        def protocol() -> asyncio.BaseProtocol:
            if len(server.connections) >= limit:
                return _Refused()
            return server()

        self._server = await asyncio.get_running_loop().create_server(protocol, sock=self._sock)


def bind_all(config: ServerConfig) -> list[socket.socket]:
    socks = [bind_loopback(config.host, config.port)]
    if config.also_ipv6 and config.host != "::1":
        port = socks[0].getsockname()[1]
        socks.append(bind_loopback("::1", port))
    return socks
