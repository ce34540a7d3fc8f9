"""Render the documented example config from the models, so it can never miss or misname a key.

`config/example.toml` is this module's output (a test keeps them equal); regenerate it with
``python -m bridge.config.example > config/example.toml``.
"""

from __future__ import annotations

import json
import sys
import types
import typing
from typing import Any

import msgspec
from msgspec.structs import FieldInfo

from bridge.config.models import DeviceConfig, Settings
from drivers.registry import DriverRegistry

HEADER = """\
# tillbridge example config: every key, with its meaning and its default.
# Copy what you need to /etc/tillbridge/tillbridge.toml; keys you leave out keep their defaults.
# Check a config with `tillbridge check-config FILE`; list the hardware this till sees, with the
# lines to paste here, with `tillbridge devices`.
# Generated from the code by `python -m bridge.config.example`: do not edit by hand.
"""

#: One example device per driver: id, a sentence, and values for options that have no default.
DEVICE_EXAMPLES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "simulated-printer": ("receipt", "A printer with no hardware: keeps what it printed.", {}),
    "simulated-drawer": ("drawer", "A drawer with no hardware.", {}),
    "simulated-scanner": ("scanner", "A scanner with no hardware: scans are injected.", {}),
    "escpos-usb": (
        "usb_receipt",
        "A USB receipt printer (ids from `lsusb` or `tillbridge devices`).",
        {"vendor_id": 0x04B8, "product_id": 0x0202},
    ),
    "escpos-serial": (
        "serial_receipt",
        "A serial receipt printer.",
        {"port": "/dev/serial/by-id/usb-Prolific_USB-Serial_Controller-if00-port0"},
    ),
    "escpos-network": ("kitchen", "A network printer on TCP port 9100.", {"host": "192.168.1.50"}),
    "escpos-file": (
        "lp_receipt",
        "A printer written through a device file.",
        {"path": "/dev/usb/lp0"},
    ),
    "serial-drawer": (
        "serial_drawer",
        "A cash drawer on its own serial port.",
        {"port": "/dev/serial/by-id/usb-FTDI_FT232R_USB_UART_A10K1ABC-if00-port0"},
    ),
    "evdev-scanner": (
        "wedge_scanner",
        "A USB keyboard-wedge scanner, grabbed so it never types into the browser.",
        {"path": "/dev/input/by-id/usb-Honeywell_Imaging___Mobility_1900-event-kbd"},
    ),
    "serial-scanner": (
        "serial_scanner",
        "A serial or USB-CDC scanner.",
        {"port": "/dev/serial/by-id/usb-Datalogic_ADC_Handheld_Barcode_Scanner-if00"},
    ),
}


def toml_value(value: Any, name: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and name.endswith(("vendor_id", "product_id")):
        return f"0x{value:04x}"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, msgspec.Struct):
        return toml_value({k: v for k, v in msgspec.structs.asdict(value).items() if v is not None})
    if hasattr(value, "value"):  # enums
        return toml_value(value.value)
    raise TypeError(f"cannot render {value!r} as TOML")


def _model_in(annotation: Any) -> type[msgspec.Struct] | None:
    annotation = _strip(annotation)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def description(annotation: Any) -> str | None:
    """The ``Meta(description=...)`` of a field's type, also inside ``Annotated[T, Meta] | None``."""
    if typing.get_origin(annotation) is typing.Annotated:
        for meta in reversed(annotation.__metadata__):
            if isinstance(meta, msgspec.Meta) and meta.description:
                return meta.description
        return description(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [description(arg) for arg in typing.get_args(annotation)]
        return next((text for text in found if text), None)
    return None


def default_of(field: FieldInfo) -> Any:
    if field.default_factory is not msgspec.NODEFAULT:
        return field.default_factory()
    return None if field.default is msgspec.NODEFAULT else field.default


def fields_of(model: type[msgspec.Struct]) -> dict[str, FieldInfo]:
    return {f.encode_name: f for f in msgspec.structs.fields(model)}


def _comment(text: str | None, indent: str = "") -> list[str]:
    return [f"{indent}# {line}" for line in (text or "").splitlines() if line.strip()]


def field_lines(name: str, field: FieldInfo, example: Any = None) -> list[str]:
    lines = _comment(description(field.type))
    nested = _model_in(field.type)
    if example is not None:
        lines.append(f"{name} = {toml_value(example, name)}")
    elif nested is not None and field.default is None:
        lines.append(f"# {name} = {{ ... }}  (optional; its keys:)")
        for sub_name, sub_field in fields_of(nested).items():
            default = default_of(sub_field)
            shown = "(no default)" if default is None else toml_value(default, sub_name)
            text = description(sub_field.type) or ""
            lines.append(f"#   {sub_name} = {shown}  — {text}".rstrip(" —"))
    elif field.required:
        lines.append(f"# {name} = ...  (required)")
    else:
        default = default_of(field)
        if default is None:
            lines.append(f"# {name} =  (not set by default)")
        elif isinstance(default, dict) and not default:
            lines.append(f"# {name} = {{}}")
        else:
            lines.append(f"{name} = {toml_value(default, name)}")
    return lines


def render_example(registry: DriverRegistry | None = None) -> str:
    registry = registry or DriverRegistry.default()
    out = [HEADER]
    for section, field in fields_of(Settings).items():
        model = _model_in(field.type)
        if model is None:
            continue
        out.append("")
        out.extend(_comment(model.__doc__))
        out.append(f"[{section}]")
        for name, sub in fields_of(model).items():
            out.extend(field_lines(name, sub))
    out.append("")
    out.append(
        "# Devices: one section per device, [devices.<id>]; the id is what the API and events use."
    )
    out.append("# `driver` picks the kind of device; the other keys are that driver's options.")
    for driver in registry.names():
        device_id, sentence, examples = DEVICE_EXAMPLES[driver]
        cls = registry.resolve(driver)
        out.append("")
        out.append(f"# {sentence}")
        out.append(f"[devices.{device_id}]")
        out.append(f"driver = {toml_value(driver)}")
        out.extend(field_lines("enabled", fields_of(DeviceConfig)["enabled"]))
        for name, option in fields_of(cls.Options).items():
            out.extend(field_lines(name, option, examples.get(name)))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_example())
