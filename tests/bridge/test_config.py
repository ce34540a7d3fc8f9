"""Config loading: every error named by key, expected form and value found; all errors at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bridge.config.loader import ConfigError, load_config, parse_config
from tests.conftest import driver_registry

REPO = Path(__file__).resolve().parents[2]


def errors_of(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "till.toml", driver_registry())
    return [str(issue) for issue in info.value.issues]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "[server]\nport = 'fast'",
            "server.port: expected a valid integer, unable to parse string as an integer; found 'fast'",
        ),
        (
            "[server]\nport = 70000",
            "server.port: expected less than or equal to 65535; found 70000",
        ),
        (
            "[server]\nhost = '0.0.0.0'",
            "server.host: expected '127.0.0.1' or '::1'; found '0.0.0.0'",
        ),
        ("[server]\nprot = 1", "server.prot: expected no such key (did you mean 'port'?)"),
        (
            "[server]\nallowed_origins = ['*']",
            "server.allowed_origins: expected '*' is not an origin",
        ),
        (
            "[server]\nallowed_origins = ['https://pos.example.com/app']",
            "is not an origin: expected scheme://host[:port] with no path",
        ),
        ("[sever]\nport = 1", "sever: expected no such key (did you mean 'server'?)"),
        ("[events]\nauth_timeout_s = 0", "events.auth_timeout_s: expected greater than 0; found 0"),
        (
            "[logging]\nlevel = 'loud'",
            "logging.level: expected 'debug', 'info', 'warning' or 'error'; found 'loud'",
        ),
        (
            "[devices.Receipt]\ndriver = 'simulated-scanner'",
            "device id 'Receipt' must be lowercase",
        ),
        (
            "[devices.scanner]\nenabled = true",
            "devices.scanner.driver: expected a value (this key is required)",
        ),
        (
            "[devices.scanner]\ndriver = 'simulated-scaner'",
            "devices.scanner.driver: expected one of",
        ),
        (
            "[devices.scanner]\ndriver = 'simulated-scaner'",
            "(did you mean 'simulated-scanner'?); found 'simulated-scaner'",
        ),
        (
            "[devices.scanner]\ndriver = 'simulated-scanner'\nsymbolgy = 'EAN13'",
            "devices.scanner.symbolgy: expected no such key (did you mean 'symbology'?)",
        ),
        (
            "[devices.wedge]\ndriver = 'fake-scanner'",
            "devices.wedge.control: expected a value (this key is required)",
        ),
        (
            "[devices.wedge]\ndriver = 'fake-scanner'\ncontrol = 3",
            "devices.wedge.control: expected a valid string; found 3",
        ),
        ("[server\nport = 1", "<file>: expected valid TOML; found Expected ']'"),
    ],
)
def test_each_error_names_key_expectation_and_value(text: str, expected: str) -> None:
    errors = errors_of(text)
    assert any(expected in error for error in errors), errors


def test_every_error_is_reported_at_once() -> None:
    errors = errors_of(
        "[server]\nport = -1\nhost = 'example.com'\n[events]\nclient_queue_size = 1\n"
    )
    assert len(errors) == 3
    errors = errors_of(
        "[devices.a]\ndriver = 'nope'\n[devices.b]\ndriver = 'fake-scanner'\n[devices.c]\ndriver = 'simulated-scanner'\nx = 1\n"
    )
    assert [e.split(":")[0] for e in errors] == [
        "devices.a.driver",
        "devices.b.control",
        "devices.c.x",
    ]


def test_secrets_are_not_echoed() -> None:
    errors = errors_of("[devices.wedge]\ndriver = 'fake-scanner'\ncontrol = 'x'\napi_token = 12345")
    assert all("12345" not in e for e in errors)


def test_embedded_default_has_simulated_devices_and_no_cloud() -> None:
    loaded = load_config(None)
    drivers = {d.driver for d in loaded.settings.devices.values()}
    assert drivers == {"simulated-printer", "simulated-drawer", "simulated-scanner"}
    assert loaded.settings.server.host == "127.0.0.1" and loaded.settings.server.port == 7357
    assert set(loaded.device_options) == {"receipt", "drawer", "scanner"}


def test_config_dir_default_is_the_embedded_default() -> None:
    assert (REPO / "config" / "default.toml").read_text() == (
        REPO / "bridge" / "config" / "default.toml"
    ).read_text()


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ConfigError, match="readable UTF-8"):
        load_config(bad)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge", *args], capture_output=True, text=True, timeout=60
    )


def test_check_config_command(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text("[devices.scanner]\ndriver = 'simulated-scanner'\n")
    result = run_cli("check-config", str(good))
    assert result.returncode == 0 and "OK (1 device(s), 1 enabled)" in result.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[server]\nport = 'x'\nhost = '0.0.0.0'\n[devices.s]\ndriver = 'simulated-scanner'\nfoo = 1\n"
    )
    result = run_cli("check-config", str(bad))
    assert result.returncode == 1
    assert "3 error(s)" in result.stderr
    for key in ("server.port:", "server.host:", "devices.s.foo:"):
        assert key in result.stderr


def test_run_with_bad_config_exits_with_config_status(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[server]\nport = 'x'\n")
    result = run_cli("run", "--config", str(bad), "--state-dir", str(tmp_path / "s"))
    assert result.returncode == 78
    assert "server.port" in result.stderr and "check-config" in result.stderr
