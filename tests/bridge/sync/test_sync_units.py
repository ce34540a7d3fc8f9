"""Pure parts of the sync client: Retry-After, canonical JSON, signed config checks, isolation."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bridge.cloud.signing import Signer
from bridge.sync.client import parse_retry_after
from bridge.sync.protocol import canonical_json
from bridge.sync.signed_config import ConfigRejected, verify

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("99999999", 3600.0),  # absurd: capped at an hour
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(days=1), usegmt=True), 0.0),  # past: now
        (format_datetime(NOW + timedelta(days=9), usegmt=True), 3600.0),
        ("soon", None),  # unreadable: back off instead
        (None, None),
    ],
)
def test_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, 3600.0, NOW) == expected


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": ["č", 2.5]}) == '{"a":["č",2.5],"b":1}'.encode()


def test_signed_config_checks(tmp_path: Path) -> None:
    signer = Signer.load_or_create(tmp_path)
    keys = [signer.public_key_b64()]
    envelope = signer.sign(
        {
            "till_id": "t1",
            "version": 3,
            "issued_at": NOW.isoformat(),
            "expires_at": (NOW + timedelta(days=1)).isoformat(),
            "config": {"printing": {"recent_jobs": 5}},
        }
    )
    assert verify(envelope, keys, "t1", 2, NOW).version == 3
    cases = [
        ({**envelope, "version": 4}, "t1", 2, "config.bad_signature"),
        (envelope, "t2", 2, "config.other_till"),
        (envelope, "t1", 3, "config.old_version"),
    ]
    for data, till, applied, code in cases:
        with pytest.raises(ConfigRejected) as exc:
            verify(data, keys, till, applied, NOW)
        assert exc.value.code == code
    with pytest.raises(ConfigRejected) as exc:
        verify(envelope, keys, "t1", 2, NOW + timedelta(days=2))
    assert exc.value.code == "config.expired"
    other = Signer.load_or_create(tmp_path / "other").public_key_b64()
    with pytest.raises(ConfigRejected):
        verify(envelope, [other], "t1", 2, NOW)


def test_daemon_runtime_never_imports_the_reference_cloud() -> None:
    code = (
        "import sys, bridge.app, bridge.daemon, bridge.cli.sync_command;"
        "print([m for m in sys.modules if m.startswith('bridge.cloud')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
