"""Wire models of the foundation routes; the OpenAPI document is generated from these."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from bridge.wire import Meta, Wire, field


class ErrorBody(Wire):
    code: Annotated[str, Meta(description="Stable machine code, e.g. printer.paper_out.")]
    message: Annotated[str, Meta(description="Human text for the cashier or technician.")]
    details: dict[str, Any] = field(default_factory=dict)


class ErrorResponse(Wire):
    error: ErrorBody


class Health(Wire, kw_only=True):
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
    id: Annotated[str, Meta(description="The device's name in the config.")]
    kind: Literal["printer", "scanner", "drawer"] | None
    driver: str
    online: bool
    state: Literal["starting", "online", "retrying", "disabled", "stopped"]
    since: Annotated[str, Meta(description="When the device entered this state (RFC 3339).")]
    error: DeviceError | None
    retry_at: Annotated[str | None, Meta(description="When the next attempt to open it is due.")]
    status: Annotated[
        dict[str, Any], Meta(description="What the driver last reported (paper, cover, drawer…).")
    ]


class DeviceList(Wire):
    devices: list[DeviceInfo]


class ScanInjection(Wire):
    code: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=4096,
            description="The scanned data; control characters such as GS (0x1D) allowed.",
        ),
    ]
    symbology: Annotated[str, Meta(max_length=32)] | None = None


class ScanAccepted(Wire, kw_only=True):
    accepted: Literal[True] = True
    device: str


class PairingCode(Wire):
    code: Annotated[str, Meta(description="Eight digits, single use.")]
    expires_in_s: float


class PairingClaim(Wire):
    code: Annotated[str, Meta(pattern=r"^[0-9]{8}$")]
    name: Annotated[
        str,
        Meta(
            min_length=1, max_length=64, description="A name for this POS, shown in the token list."
        ),
    ]


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
