"""Config loading: every error named by key, expected form and value found; all errors at once."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bridge.config.loader import (
    ConfigError,
    config_data,
    load_config,
    parse_config,
    parse_config_data,
)
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
            "server.port: expected an integer; found 'fast'",
        ),
        (
            "[server]\nport = 70000",
            "server.port: expected an integer <= 65535; found 70000",
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
        ("[events]\nauth_timeout_s = 0", "events.auth_timeout_s: expected a number > 0.0; found 0"),
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
            "devices.wedge.control: expected a string; found 3",
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


def test_checks_inside_a_section_are_reported_at_their_key() -> None:
    errors = errors_of(
        "[devices.p]\ndriver = 'escpos-usb'\nvendor_id = 'zz'\nproduct_id = 0x0202\n"
        "[devices.s]\ndriver = 'simulated-printer'\n"
        "overrides = { colums_a = 42, columns_b = 3, code_pages = { x = 'CP866' } }\n"
    )
    assert "devices.p.vendor_id: expected hex digits such as '04b8'; found 'zz'" in errors
    keys = sorted(e.split(":")[0] for e in errors)
    assert keys == [
        "devices.p.vendor_id",
        "devices.s.overrides.code_pages",
        "devices.s.overrides.columns_b",
        "devices.s.overrides.colums_a",
    ]
    assert any("(did you mean 'columns_a'?)" in e for e in errors)


def test_cloud_url_rules() -> None:
    assert errors_of("[cloud]\nurl = 'http://cloud.example.com'\ntill_id = 't'\ntoken = 'x'") == [
        "cloud.url: expected http:// is allowed only for loopback hosts; use https://; "
        "found 'http://cloud.example.com'"
    ]
    assert errors_of("[cloud]\nurl = 'https://cloud.example.com'") == [
        "cloud: expected cloud.url is set: cloud.till_id and cloud.token are needed too"
    ]
    loaded = parse_config(
        "[cloud]\nurl = 'https://cloud.example.com/'\ntill_id = 't'\ntoken = 'sekrit'", "till.toml"
    )
    assert loaded.settings.cloud.url == "https://cloud.example.com"
    assert loaded.settings.cloud.enabled
    assert "sekrit" not in repr(loaded.settings)


def test_usb_ids_may_be_hex_text() -> None:
    loaded = parse_config(
        "[devices.p]\ndriver = 'escpos-usb'\nvendor_id = '0x04b8'\nproduct_id = '0202'\n"
        "[devices.s]\ndriver = 'evdev-scanner'\nvendor_id = '0c2e'\n",
        "till.toml",
    )
    printer, scanner = loaded.device_options["p"], loaded.device_options["s"]
    assert (printer.vendor_id, printer.product_id) == (0x04B8, 0x0202)  # type: ignore[attr-defined]
    assert scanner.vendor_id == 0x0C2E  # type: ignore[attr-defined]


def test_settings_go_back_to_the_file_form() -> None:
    text = (REPO / "config" / "example.toml").read_text()
    loaded = parse_config(text, "example.toml")
    data = config_data(loaded.settings)
    assert data["devices"]["kitchen"] == {
        "driver": "escpos-network",
        "enabled": True,
        **tomllib.loads(text)["devices"]["kitchen"],
    }
    again = parse_config_data(data, "again")
    assert again.settings == loaded.settings
    assert again.device_options == loaded.device_options
