"""The daemon's config as typed models; the same models document the example config and OpenAPI."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEVICE_ID_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
_ORIGIN_RE = re.compile(
    r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^https?://\[[0-9a-fA-F:]+\](:[0-9]{1,5})?$"
)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(Section):
    host: Literal["127.0.0.1", "::1"] = Field(
        default="127.0.0.1",
        description="Loopback address to listen on; nothing else is allowed (security.md item 1).",
    )
    port: int = Field(default=7357, ge=0, le=65535, description="TCP port; 0 picks a free one.")
    also_ipv6: bool = Field(default=False, description="Also listen on [::1].")
    allowed_origins: list[str] = Field(
        default_factory=list,
        description='Web origins of the POS allowed to call the API, exactly as the browser sends them, e.g. "https://pos.example.com".',
    )
    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024, description="Largest request body."
    )
    max_json_depth: int = Field(
        default=32, ge=4, le=256, description="Deepest JSON nesting accepted."
    )
    keepalive_timeout_s: float = Field(
        default=15.0,
        gt=0,
        le=300,
        description="Idle connections, and clients that take longer than this to send a request, are cut off.",
    )
    max_connections: int = Field(
        default=256, ge=8, le=10000, description="Open connections beyond this are refused."
    )

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin == "*" or not _ORIGIN_RE.match(origin):
                raise ValueError(
                    f"{origin!r} is not an origin: expected scheme://host[:port] with no path, e.g. https://pos.example.com"
                )
        return value


class AuthConfig(Section):
    technician_session_ttl_s: int = Field(
        default=12 * 3600, ge=60, description="How long a technician login (link or PIN) lasts."
    )
    pairing_code_ttl_s: int = Field(
        default=300, ge=30, le=3600, description="Pairing codes expire after this."
    )
    pairing_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Wrong pairing codes before pairing locks."
    )
    pairing_lockout_s: int = Field(default=300, ge=10, description="How long pairing stays locked.")
    login_link: bool = Field(
        default=True,
        description="Print a technician login link (token in the URL fragment) at start.",
    )
    pin_max_attempts: int = Field(
        default=5, ge=1, le=20, description="Wrong technician PINs before PIN login locks."
    )
    pin_lockout_s: int = Field(
        default=300, ge=10, description="How long PIN login stays locked after too many wrong PINs."
    )


class EventsConfig(Section):
    replay_window_s: int = Field(
        default=600,
        ge=0,
        description="How long events are kept for clients that reconnect with `since`.",
    )
    replay_max_events: int = Field(
        default=10000, ge=100, description="Most events kept for replay."
    )
    client_queue_size: int = Field(
        default=1000,
        ge=10,
        description="Events queued for one client before it is dropped as too slow.",
    )
    auth_timeout_s: float = Field(
        default=5.0, gt=0, le=60, description="A WebSocket must authenticate within this."
    )
    max_frame_bytes: int = Field(
        default=64 * 1024, ge=1024, description="Largest WebSocket frame accepted."
    )
    send_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="A client whose socket accepts nothing for this long is dropped.",
    )


class DemoConfig(Section):
    enabled: bool = Field(
        default=False,
        description="Serve the demo POS at /demo/ (an example till screen built on /client.js).",
    )


class StoreConfig(Section):
    state_dir: str = Field(
        default="",
        description="Where the database lives. Empty: $STATE_DIRECTORY (systemd), else ~/.local/state/tillbridge.",
    )


class LoggingConfig(Section):
    level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level."
    )
    format: Literal["auto", "console", "json"] = Field(
        default="auto", description="auto: JSON under systemd, readable text on a terminal."
    )


class PrintingConfig(Section):
    recent_jobs: int = Field(
        default=50, ge=1, le=1000, description="Jobs listed per printer on the technician page."
    )
    waiting_recheck_s: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="A waiting job asks its printer again after this long even without news "
        "(printers whose status is not polled); status changes wake it at once.",
    )
    max_raw_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest raw ESC/POS job accepted."
    )


class DrawersConfig(Section):
    """Who may open a cash drawer, for what, and how often (security.md item 9)."""

    roles: list[Literal["cashier", "technician"]] = Field(
        default_factory=lambda: ["cashier", "technician"],
        description="Token roles allowed to open drawers (and to send kicks in raw print jobs).",
    )
    reasons: list[str] = Field(
        default_factory=lambda: ["sale", "refund", "no_sale", "float", "pickup"],
        description="Reasons a client may give; any other reason is refused.",
    )
    document_required: list[str] = Field(
        default_factory=lambda: ["sale", "refund"],
        description="Reasons that need the id of the document (a cash sale) the drawer opens for.",
    )
    technician_only: list[str] = Field(
        default_factory=lambda: ["no_sale"],
        description="Reasons only a technician token may use (no-sale opens).",
    )
    rate_window_s: float = Field(
        default=60.0, gt=0, le=3600, description="Window the rate limits count opens in."
    )
    max_per_token: int = Field(
        default=10, ge=1, description="Opens one token may make per window; more get 429."
    )
    max_per_till: int = Field(
        default=30, ge=1, description="Opens all tokens together may make per window."
    )
    open_too_long_s: float = Field(
        default=120.0,
        gt=0,
        description="A drawer open longer than this raises an open_too_long drawer event.",
    )


class DeviceConfig(BaseModel):
    """One device: `driver` picks the class, the other keys are that driver's options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    driver: str = Field(description="Driver name, see `tillbridge devices` and the example config.")
    enabled: bool = Field(
        default=True, description="false keeps the section but does not open the device."
    )

    def driver_options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CloudConfig(Section):
    """Cloud sync (sync-protocol.md). Empty `url`: no sync, the till works offline only."""

    url: str = Field(
        default="",
        description='Base URL of the backoffice, e.g. "https://cloud.example.com"; http:// only for loopback.',
    )
    till_id: str = Field(default="", max_length=100, description="This till's id in the cloud.")
    token: str = Field(
        default="", repr=False, description="Bearer token the cloud gave this till (secret)."
    )
    public_keys: list[str] = Field(
        default_factory=list,
        description="Ed25519 public keys (base64, from `tillbridge cloud pubkey`) trusted to sign configs.",
    )
    batch_size: int = Field(
        default=500, ge=1, le=500, description="Most events sent in one upstream batch."
    )
    backoff_base_s: float = Field(
        default=1.0, gt=0, le=60, description="First retry delay after a failure (full jitter)."
    )
    backoff_cap_s: float = Field(
        default=300.0, gt=0, le=3600, description="Longest retry delay after repeated failures."
    )
    retry_after_cap_s: float = Field(
        default=3600.0, ge=0, le=3600, description="Longest wait a Retry-After may impose."
    )
    credentials_retry_s: float = Field(
        default=600.0, gt=0, description="After rejected credentials, try again this often."
    )
    request_timeout_s: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="A request (beyond a long poll) that takes longer fails.",
    )
    long_poll_s: int = Field(
        default=25, ge=0, le=25, description="How long the cloud may hold a change-feed request."
    )
    daily_reconciliation: str = Field(
        default="05:30",
        pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
        description="Local time (HH:MM) of the daily full reconciliation, before the shop opens.",
    )
    retention_days: int = Field(
        default=30,
        ge=1,
        le=3650,
        description="Acknowledged events are kept this long, then pruned.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value:
            return value
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{value!r} is not an http(s) URL")
        if parts.scheme == "http":
            host = parts.hostname
            loopback = host == "localhost"
            if not loopback:
                try:
                    loopback = is_loopback(host)
                except ValueError:
                    loopback = False
            if not loopback:
                raise ValueError("http:// is allowed only for loopback hosts; use https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _complete(self) -> CloudConfig:
        if self.url and (not self.till_id or not self.token):
            raise ValueError("cloud.url is set: cloud.till_id and cloud.token are needed too")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.url)


class Settings(Section):
    """The whole config file."""

    server: ServerConfig = Field(default_factory=ServerConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
    demo: DemoConfig = Field(default_factory=DemoConfig)
    printing: PrintingConfig = Field(default_factory=PrintingConfig)
    drawers: DrawersConfig = Field(default_factory=DrawersConfig)
    cloud: CloudConfig = Field(default_factory=CloudConfig)
    devices: dict[str, DeviceConfig] = Field(
        default_factory=dict, description="Devices by id; the id is what the API and events use."
    )

    @field_validator("devices")
    @classmethod
    def _device_ids(cls, value: dict[str, DeviceConfig]) -> dict[str, DeviceConfig]:
        for device_id in value:
            if not re.match(DEVICE_ID_PATTERN, device_id):
                raise ValueError(
                    f"device id {device_id!r} must be lowercase letters, digits, - or _, starting with a letter (at most 32)"
                )
        return value


def is_loopback(host: str) -> bool:
    return ipaddress.ip_address(host).is_loopback
