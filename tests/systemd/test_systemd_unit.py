"""The service unit: hardening measured by systemd-analyze itself, and a clean verify."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNIT = Path(__file__).parents[2] / "systemd" / "tillbridge.service"
EXEC = "/opt/tillbridge/bin/tillbridge"

pytestmark = [
    pytest.mark.needs_tool("systemd-analyze"),
    pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze"),
]


def directives(text: str) -> list[tuple[str, str]]:
    """(key, value) for every assignment, in order; repeated keys kept, as systemd reads them."""
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            out.append((key.strip(), value.strip()))
    return out


def exposure(unit: Path) -> float:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=yes", "--no-pager", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    return float(match.group(1))


def test_exposure_is_at_most_2(tmp_path):
    assert exposure(UNIT) <= 2.0


def test_the_exposure_check_notices_a_weakened_unit(tmp_path):
    """Guards the test above: without the sandbox the same measurement fails the bar."""
    weak = tmp_path / "tillbridge.service"
    kept = [
        line
        for line in UNIT.read_text().splitlines()
        if line.startswith(("[", "ExecStart", "Type", "User", "Group"))
    ]
    weak.write_text("\n".join(kept) + "\n")
    assert exposure(weak) > 5.0


def test_verify_is_clean(tmp_path):
    fake_exec = tmp_path / "tillbridge"
    fake_exec.write_text("#!/bin/sh\nexit 0\n")
    fake_exec.chmod(0o755)
    unit = tmp_path / "tillbridge.service"
    unit.write_text(UNIT.read_text().replace(EXEC, str(fake_exec)))

    result = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_sandbox_statements_of_security_md_item_15():
    settings = directives(UNIT.read_text())
    one = dict(settings)

    # No capabilities, no way to regain them, no supplementary groups (so not `input`).
    assert one["CapabilityBoundingSet"] == "" and one["AmbientCapabilities"] == ""
    assert one["NoNewPrivileges"] == "yes"
    assert "SupplementaryGroups" not in one
    assert one["User"] == "tillbridge" and one["Group"] == "tillbridge"
    # Private state directory, read-only system.
    assert one["StateDirectory"] == "tillbridge" and one["StateDirectoryMode"] == "0700"
    assert one["ProtectSystem"] == "strict" and one["ProtectHome"] == "yes"
    # Only the device classes it needs, and input read-only.
    assert one["DevicePolicy"] == "closed"
    assert sorted(v for k, v in settings if k == "DeviceAllow") == [
        "char-input r",
        "char-ttyACM rw",
        "char-ttyS rw",
        "char-ttyUSB rw",
        "char-usb rw",
        "char-usb_device rw",
    ]
    # sd_notify from the main process only, with a watchdog, restarted on failure.
    assert (one["Type"], one["NotifyAccess"], one["Restart"]) == ("notify", "main", "on-failure")
    assert one["WatchdogSec"] and one["TimeoutStopSec"]
    assert one["ExecStart"] == f"{EXEC} run --config /etc/tillbridge/tillbridge.toml"


def test_modules_behind_device_classes_load_before_the_service():
    """DeviceAllow=char-ttyUSB/ttyACM only admit classes registered when the unit starts."""
    one = dict(directives(UNIT.read_text()))
    for module in ("usbserial", "cdc_acm"):
        assert f"modprobe@{module}.service" in one["Wants"].split()
        assert f"modprobe@{module}.service" in one["After"].split()
