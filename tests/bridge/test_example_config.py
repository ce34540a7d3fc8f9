"""config/example.toml documents every key, is current with the code, and is a valid config."""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from bridge.config.example import DEVICE_EXAMPLES, render_example
from bridge.config.loader import load_config
from bridge.config.models import Settings
from drivers.registry import DriverRegistry

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.toml"


def test_example_is_generated_from_the_current_models() -> None:
    assert EXAMPLE.read_text() == render_example(), (
        "config/example.toml is stale: run `python -m bridge.config.example > config/example.toml`"
    )


def test_example_is_a_valid_config_with_every_driver() -> None:
    loaded = load_config(EXAMPLE)
    drivers = {device.driver for device in loaded.settings.devices.values()}
    assert drivers == set(DriverRegistry.default().names()) == set(DEVICE_EXAMPLES)


def test_every_key_is_mentioned() -> None:
    text = EXAMPLE.read_text()
    data = tomllib.loads(text)
    for field in msgspec.structs.fields(Settings):
        if field.name == "devices":
            continue
        for key in field.type.__struct_fields__:
            assert key in data[field.name], f"{field.name}.{key} missing from the example"
    registry = DriverRegistry.default()
    for device_id, device in data["devices"].items():
        options = registry.resolve(device["driver"]).Options
        for key in options.__struct_fields__:
            assert key in device or f"# {key} =" in text, f"devices.{device_id}.{key} missing"
