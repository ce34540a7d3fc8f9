"""Load a TOML config into :class:`Settings`, collecting every error with key, expectation and value."""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bridge.config.models import DeviceConfig, Settings
from bridge.config.struct_issues import NOT_GIVEN, FieldIssue, struct_issues
from bridge.devices.bridge_drivers import with_bridge_drivers
from bridge.wire import convert, to_builtins
from drivers.base import DriverOptions
from drivers.registry import DriverRegistry, UnknownDriver

_SECRET_WORDS = ("token", "secret", "password", "pin", "key")
_DEVICE_KEYS = ("driver", "enabled")


@dataclass(frozen=True)
class ConfigIssue:
    """One thing wrong with a config: where, what was expected, what was found."""

    key: str
    expected: str
    found: str | None = None

    def __str__(self) -> str:
        text = f"{self.key}: expected {self.expected}"
        return text if self.found is None else f"{text}; found {self.found}"


class ConfigError(Exception):
    """The config cannot be used; ``issues`` lists every problem found."""

    def __init__(self, source: str, issues: list[ConfigIssue]) -> None:
        self.source = source
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues)
        super().__init__(f"{source}: {len(issues)} error(s) in config\n{lines}")


@dataclass(frozen=True)
class LoadedConfig:
    """Settings plus each enabled device's validated driver options."""

    settings: Settings
    device_options: dict[str, DriverOptions]
    source: str


def embedded_default_text() -> str:
    return resources.files("bridge.config").joinpath("default.toml").read_text("utf-8")


def load_config(
    path: str | os.PathLike[str] | None, registry: DriverRegistry | None = None
) -> LoadedConfig:
    """Read ``path`` (or the embedded default when None) and validate everything."""
    if path is None:
        return parse_config(embedded_default_text(), "<embedded default>", registry)
    source = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source, [ConfigIssue("<file>", "an existing config file", "no such file")]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            source, [ConfigIssue("<file>", "a readable UTF-8 file", str(exc))]
        ) from None
    return parse_config(text, source, registry)


def parse_config(text: str, source: str, registry: DriverRegistry | None = None) -> LoadedConfig:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [ConfigIssue("<file>", "valid TOML", str(exc))]) from None
    return parse_config_data(raw, source, registry)


def parse_config_data(
    raw: dict[str, Any], source: str, registry: DriverRegistry | None = None
) -> LoadedConfig:
    """Validate an already-parsed config (a file's TOML, or a signed config from the cloud)."""
    registry = with_bridge_drivers(registry)
    shaped = _split_devices(raw)
    issues = [_config_issue(issue) for issue in struct_issues(shaped, Settings)]
    device_options: dict[str, DriverOptions] = {}
    raw_devices = shaped.get("devices")
    for device_id, raw_device in (raw_devices if isinstance(raw_devices, dict) else {}).items():
        if struct_issues(raw_device, DeviceConfig):
            continue  # already reported through Settings
        device = convert(raw_device, DeviceConfig)
        options = _validate_device(device, ("devices", str(device_id)), registry, issues)
        if options is not None and device.enabled:
            device_options[device_id] = options
    if issues:
        raise ConfigError(source, issues)
    settings = convert(shaped, Settings)
    return LoadedConfig(settings=settings, device_options=device_options, source=source)


def config_data(settings: Settings) -> dict[str, Any]:
    """``settings`` as a config file holds them (device options in the device's own table): the
    plain data :func:`parse_config_data` takes back."""
    data: dict[str, Any] = to_builtins(settings)
    data["devices"] = {
        device_id: {"driver": d["driver"], "enabled": d["enabled"], **d["options"]}
        for device_id, d in data["devices"].items()
    }
    return data


def _split_devices(raw: dict[str, Any]) -> dict[str, Any]:
    """A device's table holds ``driver``, ``enabled`` and the driver's options side by side; the
    model keeps the options apart, in ``DeviceConfig.options``."""
    devices = raw.get("devices")
    if not isinstance(devices, dict):
        return raw
    split = {}
    for device_id, table in devices.items():
        if isinstance(table, dict):
            own = {k: v for k, v in table.items() if k in _DEVICE_KEYS}
            table = {**own, "options": {k: v for k, v in table.items() if k not in _DEVICE_KEYS}}
        split[device_id] = table
    return {**raw, "devices": split}


def _validate_device(
    device: DeviceConfig, path: tuple[str, ...], registry: DriverRegistry, issues: list[ConfigIssue]
) -> DriverOptions | None:
    prefix = ".".join(path) + "."
    try:
        cls = registry.resolve(device.driver)
    except UnknownDriver:
        close = difflib.get_close_matches(device.driver, registry.names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        issues.append(
            ConfigIssue(
                prefix + "driver",
                f"one of {', '.join(registry.names())}{hint}",
                repr(device.driver),
            )
        )
        return None
    except ImportError as exc:
        issues.append(
            ConfigIssue(
                prefix + "driver",
                f"a driver that loads on this machine ({exc})",
                repr(device.driver),
            )
        )
        return None
    found = struct_issues(device.options, cls.Options, path)
    if found:
        issues.extend(_config_issue(issue) for issue in found)
        return None
    return convert(device.options, cls.Options)


def _config_issue(issue: FieldIssue) -> ConfigIssue:
    key = ".".join(issue.path) or "<file>"
    if issue.kind == "unknown":
        close = difflib.get_close_matches(issue.path[-1], issue.known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(sorted(issue.known)) or "none"
        return ConfigIssue(key, f"no such key{hint}; known keys: {known}")
    if issue.kind == "missing":
        return ConfigIssue(key, issue.expected)
    # a whole table is too long to echo: its key and the message say what is wrong with it
    shown = issue.found is not NOT_GIVEN and not isinstance(issue.found, dict)
    found = _show(issue.path, issue.found) if shown else None
    return ConfigIssue(key, issue.expected, found)


def _show(path: tuple[str, ...], value: Any) -> str:
    if path and any(word in path[-1].lower() for word in _SECRET_WORDS):
        return "<hidden>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
