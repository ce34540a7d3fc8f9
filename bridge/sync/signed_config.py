"""Signed config from the cloud (security.md item 11): verify everything, then build the new config.

Nothing here writes state: the caller stores the envelope as trusted only after `verify` and
`build` have both succeeded, and a rejected config changes nothing.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bridge.config.loader import ConfigError, LoadedConfig, config_data, parse_config_data
from bridge.sync.protocol import ConfigEnvelope, canonical_json
from bridge.wire import WireError, convert

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

#: Sections the cloud may set; the rest (server, auth, store, cloud itself) stays the local file's.
CLOUD_SECTIONS = frozenset({"devices", "drawers", "printing"})


class ConfigRejected(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _public_keys(keys: list[str]) -> list[Ed25519PublicKey]:
    # Imported here: cryptography costs ~6 MB of memory, and a till without a cloud never needs it.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    out = []
    for key in keys:
        try:
            out.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(key, validate=True)))
        except (ValueError, binascii.Error):
            continue  # a malformed key trusts nothing; config validation names it at load
    return out


def check_signature(data: dict[str, Any], keys: list[str]) -> None:
    signature = data.get("signature")
    if not isinstance(signature, str):
        raise ConfigRejected("config.unsigned", "config envelope has no signature")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raise ConfigRejected("config.bad_signature", "signature is not base64") from None
    from cryptography.exceptions import InvalidSignature

    message = canonical_json({k: v for k, v in data.items() if k != "signature"})
    for key in _public_keys(keys):
        try:
            key.verify(raw, message)
            return
        except InvalidSignature:
            continue
    raise ConfigRejected(
        "config.bad_signature",
        "config signature does not match any key in cloud.public_keys "
        "(check the keys: `tillbridge cloud pubkey` on the backoffice)",
    )


def verify(
    data: dict[str, Any],
    keys: list[str],
    till_id: str,
    applied_version: int,
    now: datetime | None = None,
) -> ConfigEnvelope:
    """Signature, till id, version and expiry, in that order; raises ConfigRejected."""
    check_signature(data, keys)
    try:
        envelope = convert(data, ConfigEnvelope)
    except WireError as exc:
        raise ConfigRejected("config.malformed", f"config envelope malformed: {exc}") from None
    if envelope.till_id != till_id:
        raise ConfigRejected(
            "config.other_till", f"config is for till {envelope.till_id!r}, not {till_id!r}"
        )
    if envelope.version <= applied_version:
        raise ConfigRejected(
            "config.old_version",
            f"config version {envelope.version} is not above the applied {applied_version}",
        )
    try:
        expires = datetime.fromisoformat(envelope.expires_at)
    except ValueError:
        raise ConfigRejected("config.malformed", "expires_at is not RFC 3339") from None
    if expires.tzinfo is None or expires <= (now or datetime.now(UTC)):
        raise ConfigRejected("config.expired", f"config expired at {envelope.expires_at}")
    return envelope


def build(base: LoadedConfig, cloud_config: dict[str, Any]) -> LoadedConfig:
    """The local config with the cloud's sections in place, validated like a file."""
    foreign = set(cloud_config) - CLOUD_SECTIONS
    if foreign:
        raise ConfigRejected(
            "config.forbidden_section",
            f"the cloud may not set {', '.join(sorted(foreign))} (only {', '.join(sorted(CLOUD_SECTIONS))})",
        )
    raw = config_data(base.settings)  # device options back in their device's table
    raw.update(cloud_config)
    try:
        return parse_config_data(raw, f"{base.source} + signed cloud config")
    except ConfigError as exc:
        raise ConfigRejected("config.invalid", str(exc)) from None
