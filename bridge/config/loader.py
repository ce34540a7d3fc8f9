"""Load a TOML config into :class:`Settings`, collecting every error with key, expectation and value."""

from __future__ import annotations

import difflib
import os
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from bridge.config.models import DeviceConfig, Settings
from bridge.devices.bridge_drivers import with_bridge_drivers
from drivers.base import DriverOptions
from drivers.registry import DriverRegistry, UnknownDriver

_SECRET_WORDS = ("token", "secret", "password", "pin", "key")


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
    issues: list[ConfigIssue] = []
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        issues.extend(_issues_from(exc, Settings, raw, prefix=""))
    device_options: dict[str, DriverOptions] = {}
    raw_devices = raw.get("devices")
    for device_id, raw_device in (raw_devices if isinstance(raw_devices, dict) else {}).items():
        try:
            device = DeviceConfig.model_validate(raw_device)
        except ValidationError:
            continue  # already reported through Settings
        options = _validate_device(device, f"devices.{device_id}.", registry, issues)
        if options is not None and device.enabled:
            device_options[device_id] = options
    if issues or settings is None:
        raise ConfigError(source, issues)
    return LoadedConfig(settings=settings, device_options=device_options, source=source)


def _validate_device(
    device: DeviceConfig, prefix: str, registry: DriverRegistry, issues: list[ConfigIssue]
) -> DriverOptions | None:
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
    raw = device.driver_options()
    try:
        return cls.Options.model_validate(raw)
    except ValidationError as exc:
        issues.extend(_issues_from(exc, cls.Options, raw, prefix=prefix))
        return None


def _issues_from(
    exc: ValidationError, model: type[BaseModel], raw: Any, prefix: str
) -> list[ConfigIssue]:
    issues = []
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"]]
        key = (prefix + ".".join(loc)).rstrip(".") or "<file>"
        kind = error["type"]
        found = None if kind == "missing" else _show(loc, error.get("input"))
        if kind == "extra_forbidden":
            known = _known_keys(model, loc[:-1])
            close = difflib.get_close_matches(loc[-1], known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            expected = f"no such key{hint}; known keys: {', '.join(sorted(known)) or 'none'}"
            found = None
        elif kind == "missing":
            expected = "a value (this key is required)"
        else:
            message = error["msg"]
            for lead in ("Input should be ", "Value error, "):
                message = message.removeprefix(lead)
            expected = message
        issues.append(ConfigIssue(key, expected, found))
    return issues


def _known_keys(model: type[BaseModel], loc: list[str]) -> list[str]:
    current: Any = model
    for part in loc:
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = field.annotation
    return list(getattr(current, "model_fields", {}))


def _show(loc: list[str], value: Any) -> str:
    if loc and any(word in loc[-1].lower() for word in _SECRET_WORDS):
        return "<hidden>"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
