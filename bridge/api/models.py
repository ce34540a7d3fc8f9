"""Wire models of the foundation routes; the OpenAPI document is generated from these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Wire):
    code: str = Field(description="Stable machine code, e.g. printer.paper_out.")
    message: str = Field(description="Human text for the cashier or technician.")
    details: dict[str, Any] = Field(default_factory=dict)


class ErrorResponse(Wire):
    error: ErrorBody


class Health(Wire):
    status: Literal["ok"] = "ok"
    version: str
    instance_id: str
    uptime_s: float
    devices_online: int
    devices_total: int


class DeviceError(Wire):
    code: str
    message: str


class DeviceInfo(Wire):
    id: str = Field(description="The device's name in the config.")
    kind: Literal["printer", "scanner", "drawer"] | None
    driver: str
    online: bool
    state: Literal["starting", "online", "retrying", "disabled", "stopped"]
    since: str = Field(description="When the device entered this state (RFC 3339).")
    error: DeviceError | None
    retry_at: str | None = Field(description="When the next attempt to open it is due.")
    status: dict[str, Any] = Field(
        description="What the driver last reported (paper, cover, drawer…)."
    )


class DeviceList(Wire):
    devices: list[DeviceInfo]


class ScanInjection(Wire):
    code: str = Field(
        min_length=1,
        max_length=4096,
        description="The scanned data; control characters such as GS (0x1D) allowed.",
    )
    symbology: str | None = Field(default=None, max_length=32)


class ScanAccepted(Wire):
    accepted: Literal[True] = True
    device: str


class PairingCode(Wire):
    code: str = Field(description="Eight digits, single use.")
    expires_in_s: float


class PairingClaim(Wire):
    code: str = Field(pattern=r"^[0-9]{8}$")
    name: str = Field(
        min_length=1, max_length=64, description="A name for this POS, shown in the token list."
    )


class PairingResult(Wire):
    token: str
    role: Literal["cashier"] = "cashier"


class TokenEntry(Wire):
    id: str
    name: str
    role: Literal["cashier", "technician"]
    source: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    active: bool


class TokenList(Wire):
    tokens: list[TokenEntry]


class Revoked(Wire):
    revoked: bool
