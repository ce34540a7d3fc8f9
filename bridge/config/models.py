"""The daemon's config as typed models; the same models document the example config and OpenAPI."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

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


class DeviceConfig(BaseModel):
    """One device: `driver` picks the class, the other keys are that driver's options."""

    model_config = ConfigDict(extra="allow", frozen=True)

    driver: str = Field(description="Driver name, see `tillbridge devices` and the example config.")
    enabled: bool = Field(
        default=True, description="false keeps the section but does not open the device."
    )

    def driver_options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Settings(Section):
    """The whole config file."""

    server: ServerConfig = Field(default_factory=ServerConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    events: EventsConfig = Field(default_factory=EventsConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)
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
