"""docs/install.md: the files it installs exist and its device-adding command works."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "install.md").read_text()


def test_every_shipped_file_the_doc_installs_exists():
    installed = set(re.findall(r"install -m \d+ (?:-g \S+ )?(\S+) ", DOC))
    assert {"systemd/tillbridge.sysusers", "systemd/60-tillbridge.rules"} <= installed
    assert "systemd/tillbridge.service" in installed
    assert [path for path in installed if not (ROOT / path).is_file()] == []


def test_the_udev_rules_command_prints_rules_for_the_device():
    command = re.search(r"python -m (drivers\.discovery udev-rules [0-9a-f:]+)", DOC)
    assert command
    result = subprocess.run(
        [sys.executable, "-m", *command.group(1).split()],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert 'ATTRS{idVendor}=="0fe6", ATTRS{idProduct}=="811e", GROUP="tillbridge"' in result.stdout
