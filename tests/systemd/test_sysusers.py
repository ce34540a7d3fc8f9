"""The sysusers.d file, applied by systemd-sysusers to an empty root."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SYSUSERS = Path(__file__).parents[2] / "systemd" / "tillbridge.sysusers"

pytestmark = [
    pytest.mark.needs_tool("systemd-sysusers"),
    pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="needs systemd-sysusers"),
]


def test_creates_a_locked_system_user_with_its_own_group_and_nothing_else(tmp_path):
    conf = tmp_path / "etc" / "sysusers.d"
    conf.mkdir(parents=True)
    shutil.copy(SYSUSERS, conf / "tillbridge.conf")

    result = subprocess.run(
        ["systemd-sysusers", f"--root={tmp_path}"], capture_output=True, text=True, timeout=30
    )

    # systemd-sysusers exits 0 even for lines it cannot parse; it says so on stderr.
    complaints = [x for x in result.stderr.splitlines() if not x.startswith("Creating ")]
    assert result.returncode == 0 and complaints == [], result.stderr
    passwd = [line.split(":") for line in (tmp_path / "etc/passwd").read_text().splitlines()]
    groups = [line.split(":") for line in (tmp_path / "etc/group").read_text().splitlines()]
    [user] = passwd
    [group] = groups
    assert user[0] == "tillbridge" and group[0] == "tillbridge"
    assert int(user[2]) < 1000 and user[3] == group[2]  # system uid, primary group tillbridge
    assert user[5] == "/var/lib/tillbridge" and user[6] == "/usr/sbin/nologin"
    assert group[3] == ""  # no members added to any group: not input, dialout or lp
