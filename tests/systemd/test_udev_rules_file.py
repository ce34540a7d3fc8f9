"""The udev rules: what they must never do, and udev's own parser and evaluator run on them.

udevadm verify only exists from systemd 253; on 252 `udevadm test` loads every rules file
(reporting parse errors) and evaluates one real device. It writes to /dev and /run/udev, so it
runs in a private mount namespace on throwaway tmpfs mounts.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from drivers.discovery.model import SCANNER_VENDORS
from drivers.discovery.udev_rules import render_udev_rules

RULES = Path(__file__).parents[2] / "systemd" / "60-tillbridge.rules"
TOKEN = re.compile(r'\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(,|$)')


def rules(text: str) -> list[list[tuple[str, str, str]]]:
    """Each rule line as (key, operator, value) triples; raises on anything udev would reject."""
    parsed = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        triples, pos = [], 0
        while pos < len(line):
            match = TOKEN.match(line, pos)
            assert match, f"line {number}: cannot parse from {line[pos:]!r}"
            triples.append(match.group(1, 2, 3))
            pos = match.end()
        parsed.append(triples)
    return parsed


def test_no_rule_uses_uaccess_or_group_input_or_runs_programs():
    text = RULES.read_text()
    for rule in rules(text):
        for key, _op, value in rule:
            assert not (key == "TAG" and "uaccess" in value)
            assert key not in ("RUN", "PROGRAM", "IMPORT{program}", "OWNER")
            if key == "GROUP":
                assert value == "tillbridge"
            if key == "MODE":
                assert int(value, 8) & 0o007 == 0, "no access for others"


def test_every_group_grant_is_narrowed_to_a_device_class():
    """No catch-all: each GROUP rule names a subsystem, or sits behind a GOTO that does."""
    for rule in rules(RULES.read_text()):
        keys = {key for key, _, _ in rule}
        if "GROUP" in keys:
            assert keys & {"SUBSYSTEM", "KERNEL", "ATTRS{idVendor}"}, rule


def test_event_nodes_go_to_the_group_only_for_scanner_vendors_and_read_only():
    [input_rule] = [r for r in rules(RULES.read_text()) if ("SUBSYSTEM", "==", "input") in r]
    values = {key: value for key, _, value in input_rule}
    assert set(values["ATTRS{idVendor}"].split("|")) == {f"{v:04x}" for v in SCANNER_VENDORS}
    assert values["MODE"] == "0640"


def test_gotos_have_labels():
    triples = [t for rule in rules(RULES.read_text()) for t in rule]
    labels = {value for key, _, value in triples if key == "LABEL"}
    assert {value for key, _, value in triples if key == "GOTO"} <= labels


def test_the_how_to_in_the_comments_matches_what_the_renderer_prints():
    comments = RULES.read_text()
    for line in render_udev_rules(["0fe6:811e"]).splitlines():
        if line and not line.startswith("#"):
            assert line in comments
            rules(line)


def _can_run_udevadm_test() -> str | None:
    if os.geteuid() != 0:
        return "needs root for a private mount namespace"
    if not (shutil.which("udevadm") and shutil.which("unshare")):
        return "needs udevadm and unshare"
    if not Path("/sys/class/tty/ttyS0").exists():
        return "needs a ttyS0 in sysfs"
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        return "mount namespaces are not permitted here"
    return None


@pytest.mark.needs_tool("udevadm")
@pytest.mark.skipif(_can_run_udevadm_test() is not None, reason=str(_can_run_udevadm_test()))
def test_udev_parses_the_rules_and_gives_ttys0_to_the_group(tmp_path):
    rules_dir = tmp_path / "rules.d"
    rules_dir.mkdir()
    shutil.copy(RULES, rules_dir / "60-tillbridge.rules")
    (rules_dir / "61-tillbridge-local.rules").write_text(render_udev_rules(["0fe6:811e"]))
    group_file = tmp_path / "group"
    group_file.write_text(Path("/etc/group").read_text() + "tillbridge:x:64999:\n")
    script = (
        "set -e; mount -t tmpfs none /dev; mknod /dev/ttyS0 c 4 64; mount -t tmpfs none /run;"
        f" mount --bind {rules_dir} /etc/udev/rules.d; mount --bind {group_file} /etc/group;"
        " udevadm test --action=add /sys/class/tty/ttyS0"
    )

    result = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
    )
    log = result.stdout + result.stderr

    assert result.returncode == 0, log
    ours = [line for line in log.splitlines() if "tillbridge" in line and ".rules:" in line]
    assert not [line for line in ours if not line.startswith("ttyS0:")], ours  # no parse errors
    assert "Setting permissions /dev/ttyS0, uid=0, gid=64999, mode=0660" in log
