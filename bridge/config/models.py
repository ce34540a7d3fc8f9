"""The daemon's config as typed models; the same models document the example config and OpenAPI.

Sections are frozen :class:`~bridge.wire.Wire` structs. Build them from raw data only through
``bridge.config.loader`` (which reports every error at once); constructing one directly runs the
``__post_init__`` checks but not the type and range constraints. A ``__post_init__`` check about one
field starts its message with ``"<field>: "`` so the loader reports it at that key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from msgspec.structs import force_setattr

from bridge.wire import Meta, Wire, field

DEVICE_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
_ORIGIN_RE = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$"
)


class Section(Wire, frozen=True):
    """One table of the config file: unknown keys refused, immutable once loaded."""


class ServerConfig(Section):
    host: Annotated[
        Literal["127.0.0.1", "::1"],
        Meta(
            description="Loopback address to listen on; nothing else is allowed (security.md item 1)."
        ),
    ] = "127.0.0.1"
    port: Annotated[int, Meta(ge=0, le=65535, description="TCP port; 0 picks a free one.")] = 7357
    also_ipv6: Annotated[bool, Meta(description="Also listen on [::1].")] = False
    allowed_origins: Annotated[
        list[str],
        Meta(
            description='Web origins of the POS allowed to call the API, exactly as the browser sends them, e.g. "https://pos.example.com".'
        ),
    ] = field(default_factory=list)
    max_body_bytes: Annotated[
        int, Meta(ge=1024, le=64 * 1024 * 1024, description="Largest request body.")
    ] = 4 * 1024 * 1024
    max_json_depth: Annotated[
        int, Meta(ge=4, le=256, description="Deepest JSON nesting accepted.")
    ] = 32
    keepalive_timeout_s: Annotated[
        float,
        Meta(
            le=300,
            gt=0,
            description="Idle connections, and clients that take longer than this to send a request, are cut off.",
        ),
    ] = 15.0
    max_connections: Annotated[
        int, Meta(ge=8, le=10000, description="Open connections beyond this are refused.")
    ] = 256

    def __post_init__(self) -> None:
        for origin in self.allowed_origins:
            if origin == "*" or not _ORIGIN_RE.match(origin):
                raise ValueError(
                    f"allowed_origins: {origin!r} is not an origin: expected scheme://host[:port] with no path, e.g. https://pos.example.com"
                )


class AuthConfig(Section):
    technician_session_ttl_s: Annotated[
        int, Meta(ge=60, description="How long a technician login (link or PIN) lasts.")
    ] = 12 * 3600
    pairing_code_ttl_s: Annotated[
        int, Meta(ge=30, le=3600, description="Pairing codes expire after this.")
    ] = 300
    pairing_max_attempts: Annotated[
        int, Meta(ge=1, le=20, description="Wrong pairing codes before pairing locks.")
    ] = 5
    pairing_lockout_s: Annotated[int, Meta(ge=10, description="How long pairing stays locked.")] = (
        300
    )
    login_link: Annotated[
        bool,
        Meta(description="Print a technician login link (token in the URL fragment) at start."),
    ] = True
    pin_max_attempts: Annotated[
        int, Meta(ge=1, le=20, description="Wrong technician PINs before PIN login locks.")
    ] = 5
    pin_lockout_s: Annotated[
        int, Meta(ge=10, description="How long PIN login stays locked after too many wrong PINs.")
    ] = 300


class EventsConfig(Section):
    replay_window_s: Annotated[
        int,
        Meta(ge=0, description="How long events are kept for clients that reconnect with `since`."),
    ] = 600
    replay_max_events: Annotated[int, Meta(ge=100, description="Most events kept for replay.")] = (
        10000
    )
    client_queue_size: Annotated[
        int,
        Meta(ge=10, description="Events queued for one client before it is dropped as too slow."),
    ] = 1000
    auth_timeout_s: Annotated[
        float, Meta(le=60, gt=0, description="A WebSocket must authenticate within this.")
    ] = 5.0
    max_frame_bytes: Annotated[
        int, Meta(ge=1024, description="Largest WebSocket frame accepted.")
    ] = 64 * 1024
    send_timeout_s: Annotated[
        float,
        Meta(gt=0, description="A client whose socket accepts nothing for this long is dropped."),
    ] = 10.0


class DemoConfig(Section):
    enabled: Annotated[
        bool,
        Meta(
            description="Serve the demo POS at /demo/ (an example till screen built on /client.js)."
        ),
    ] = False


class StoreConfig(Section):
    state_dir: Annotated[
        str,
        Meta(
            description="Where the database lives. Empty: $STATE_DIRECTORY (systemd), else ~/.local/state/tillbridge."
        ),
    ] = ""


class LoggingConfig(Section):
    level: Annotated[
        Literal["debug", "info", "warning", "error"], Meta(description="Log level.")
    ] = "info"
    format: Annotated[
        Literal["auto", "console", "json"],
        Meta(description="auto: JSON under systemd, readable text on a terminal."),
    ] = "auto"


class PrintingConfig(Section):
    recent_jobs: Annotated[
        int, Meta(ge=1, le=1000, description="Jobs listed per printer on the technician page.")
    ] = 50
    waiting_recheck_s: Annotated[
        float,
        Meta(
            le=3600,
            gt=0,
            description="A waiting job asks its printer again after this long even without news "
            "(printers whose status is not polled); status changes wake it at once.",
        ),
    ] = 30.0
    max_raw_bytes: Annotated[
        int, Meta(ge=1024, description="Largest raw ESC/POS job accepted.")
    ] = 1024 * 1024


class DrawersConfig(Section):
    """Who may open a cash drawer, for what, and how often (security.md item 9)."""

    roles: Annotated[
        list[Literal["cashier", "technician"]],
        Meta(
            description="Token roles allowed to open drawers (and to send kicks in raw print jobs)."
        ),
    ] = field(default_factory=lambda: ["cashier", "technician"])
    reasons: Annotated[
        list[str], Meta(description="Reasons a client may give; any other reason is refused.")
    ] = field(default_factory=lambda: ["sale", "refund", "no_sale", "float", "pickup"])
    document_required: Annotated[
        list[str],
        Meta(
            description="Reasons that need the id of the document (a cash sale) the drawer opens for."
        ),
    ] = field(default_factory=lambda: ["sale", "refund"])
    technician_only: Annotated[
        list[str], Meta(description="Reasons only a technician token may use (no-sale opens).")
    ] = field(default_factory=lambda: ["no_sale"])
    rate_window_s: Annotated[
        float, Meta(le=3600, gt=0, description="Window the rate limits count opens in.")
    ] = 60.0
    max_per_token: Annotated[
        int, Meta(ge=1, description="Opens one token may make per window; more get 429.")
    ] = 10
    max_per_till: Annotated[
        int, Meta(ge=1, description="Opens all tokens together may make per window.")
    ] = 30
    open_too_long_s: Annotated[
        float,
        Meta(
            gt=0, description="A drawer open longer than this raises an open_too_long drawer event."
        ),
    ] = 120.0


class DeviceConfig(Wire, frozen=True):
    """One device: `driver` picks the class, `options` are that driver's options.

    In the config file the options sit in the device's own table, next to `driver` and `enabled`
    (``[devices.receipt]`` with ``driver = "escpos-usb"`` and ``vendor_id = 0x04b8``).
    """

    driver: Annotated[
        str, Meta(description="Driver name, see `tillbridge devices` and the example config.")
    ]
    enabled: Annotated[
        bool, Meta(description="false keeps the section but does not open the device.")
    ] = True
    options: Annotated[
        dict[str, Any],
        Meta(description="The driver's options: the table's other keys, checked by the driver."),
    ] = field(default_factory=dict)


class _Hidden:
    def __repr__(self) -> str:
        return "<hidden>"


_HIDDEN = _Hidden()


class CloudConfig(Section):
    """Cloud sync (sync-protocol.md). Empty `url`: no sync, the till works offline only."""

    url: Annotated[
        str,
        Meta(
            description='Base URL of the backoffice, e.g. "https://cloud.example.com"; http:// only for loopback.'
        ),
    ] = ""
    till_id: Annotated[str, Meta(max_length=100, description="This till's id in the cloud.")] = ""
    token: Annotated[str, Meta(description="Bearer token the cloud gave this till (secret).")] = ""
    public_keys: Annotated[
        list[str],
        Meta(
            description="Ed25519 public keys (base64, from `tillbridge cloud pubkey`) trusted to sign configs."
        ),
    ] = field(default_factory=list)
    batch_size: Annotated[
        int, Meta(ge=1, le=500, description="Most events sent in one upstream batch.")
    ] = 500
    backoff_base_s: Annotated[
        float, Meta(le=60, gt=0, description="First retry delay after a failure (full jitter).")
    ] = 1.0
    backoff_cap_s: Annotated[
        float, Meta(le=3600, gt=0, description="Longest retry delay after repeated failures.")
    ] = 300.0
    retry_after_cap_s: Annotated[
        float, Meta(ge=0, le=3600, description="Longest wait a Retry-After may impose.")
    ] = 3600.0
    credentials_retry_s: Annotated[
        float, Meta(gt=0, description="After rejected credentials, try again this often.")
    ] = 600.0
    request_timeout_s: Annotated[
        float,
        Meta(le=300, gt=0, description="A request (beyond a long poll) that takes longer fails."),
    ] = 30.0
    long_poll_s: Annotated[
        int, Meta(ge=0, le=25, description="How long the cloud may hold a change-feed request.")
    ] = 25
    daily_reconciliation: Annotated[
        str,
        Meta(
            pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
            description="Local time (HH:MM) of the daily full reconciliation, before the shop opens.",
        ),
    ] = "05:30"
    retention_days: Annotated[
        int, Meta(ge=1, le=3650, description="Acknowledged events are kept this long, then pruned.")
    ] = 30

    def __post_init__(self) -> None:
        if self.url:
            _check_cloud_url(self.url)
            force_setattr(self, "url", self.url.rstrip("/"))
            if not self.till_id or not self.token:
                raise ValueError("cloud.url is set: cloud.till_id and cloud.token are needed too")

    # The token must never reach a log or a traceback: both reprs show it as <hidden>.
    def __repr__(self) -> str:
        return f"CloudConfig({', '.join(f'{k}={v!r}' for k, v in self.__rich_repr__())})"

    def __rich_repr__(self) -> Iterator[tuple[str, Any]]:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            yield name, (_HIDDEN if name == "token" and value else value)

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class Settings(Section):
    """The whole config file."""

    server: ServerConfig = field(default_factory=ServerConfig)
    auth: AuthConfig = field(default_factory=AuthConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    store: StoreConfig = field(default_factory=StoreConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    demo: DemoConfig = field(default_factory=DemoConfig)
    printing: PrintingConfig = field(default_factory=PrintingConfig)
    drawers: DrawersConfig = field(default_factory=DrawersConfig)
    cloud: CloudConfig = field(default_factory=CloudConfig)
    devices: Annotated[
        dict[str, DeviceConfig],
        Meta(description="Devices by id; the id is what the API and events use."),
    ] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for device_id in self.devices:
            if not re.match(DEVICE_ID_PATTERN, device_id):
                raise ValueError(
                    f"devices: device id {device_id!r} must be lowercase letters, digits, - or _, starting with a letter (at most 32)"
                )


def _check_cloud_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"url: {url!r} is not an http(s) URL")
    if parts.scheme == "http":
        host = parts.hostname
        loopback = host == "localhost"
        if not loopback:
            try:
                loopback = is_loopback(host)
            except ValueError:
                loopback = False
        if not loopback:
            raise ValueError("url: http:// is allowed only for loopback hosts; use https://")


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback
