"""What a printer model can do: paper width, code page slots, Chinese mode, cutter, native codes.

The data comes from escpos-printer-db as shipped with python-escpos (its ``capabilities.json``),
read on first use. Read directly rather than through ``escpos.capabilities``: that module parses the
JSON with pure-Python YAML (0.4 s at a till's first receipt), writes a pickle cache into a fresh temp
directory and calls ``logging.basicConfig()`` at import. The catalog adds the two profiles the database lacks (a usable ``default``
and a Chinese-mode printer) and applies per-printer overrides from the config.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from drivers.base import DeviceConfigError, DriverOptions

# Python codec names for database encodings that have no ``python_encode`` entry.
_CODEC_ALIASES = {"RK1048": "kz1048", "CP858": "cp858", "CP720": "cp720"}

DEFAULT_PROFILE = "default"
CHINESE_PROFILE = "POS-5890-chinese"


@dataclass(frozen=True, slots=True)
class CodePage:
    """One ``ESC t`` slot: the 128 characters it prints for bytes 0x80-0xFF (NUL where none)."""

    slot: int
    name: str
    upper: str

    def __post_init__(self) -> None:
        if len(self.upper) != 128:
            raise ValueError(f"code page {self.name} must define 128 characters")


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    """Everything the encoder needs to know about one printer model."""

    name: str
    vendor: str = "Generic"
    columns_a: int = 42
    columns_b: int = 56
    width_dots: int = 512
    dpi: int = 180
    code_pages: tuple[CodePage, ...] = ()
    chinese: bool = False
    chinese_encoding: Literal["gb18030", "gbk", "gb2312"] = "gb18030"
    full_cut: bool = True
    partial_cut: bool = True
    cut_feed_lines: int = 4
    native_qr: bool = True
    barcode_functions: Literal["none", "A", "B"] = "B"
    drawer_pins: tuple[int, ...] = (2, 5)
    realtime_kick: bool = True
    raster_band_rows: int = 256
    notes: str = field(default="", compare=False)

    def page(self, slot: int) -> CodePage | None:
        return next((p for p in self.code_pages if p.slot == slot), None)


#: An ESC t slot number as a table key: TOML keys are text (``{ 17 = "CP866" }``).
_Slot = Annotated[str, Meta(pattern=r"^[0-9]{1,3}$")]


class ProfileOverrides(DriverOptions):
    """Per-printer corrections to the model's profile, for printers that differ from the database."""

    columns_a: (
        Annotated[int, Meta(ge=8, le=128, description="Characters per line in font A.")] | None
    ) = None
    columns_b: (
        Annotated[int, Meta(ge=8, le=160, description="Characters per line in font B.")] | None
    ) = None
    width_dots: (
        Annotated[
            int, Meta(ge=64, le=2048, description="Printable width in dots (images, QR codes).")
        ]
        | None
    ) = None
    dpi: Annotated[int, Meta(ge=60, le=600, description="Print resolution in dpi.")] | None = None
    code_pages: Annotated[
        dict[_Slot, str] | None,
        Meta(
            description="Replaces the ESC t table: slot number to encoding, e.g. {17: 'CP866'}. "
            "Slot 0 should be CP437."
        ),
    ] = None
    chinese: Annotated[
        bool | None, Meta(description="The printer has a GB18030 font switched on with FS &.")
    ] = None
    chinese_encoding: Annotated[
        Literal["gb18030", "gbk", "gb2312"] | None,
        Meta(description="Which GB character set the Chinese font covers."),
    ] = None
    full_cut: Annotated[bool | None, Meta(description="The cutter can cut fully.")] = None
    partial_cut: Annotated[bool | None, Meta(description="The cutter can cut partially.")] = None
    cut_feed_lines: (
        Annotated[int, Meta(ge=0, le=20, description="Lines fed before a cut to clear the cutter.")]
        | None
    ) = None
    native_qr: Annotated[
        bool | None, Meta(description="Print QR codes with GS ( k instead of as images.")
    ] = None
    barcode_functions: Annotated[
        Literal["none", "A", "B"] | None,
        Meta(description="GS k barcode commands the printer knows; none = images."),
    ] = None
    drawer_pins: Annotated[
        tuple[int, ...] | None,
        Meta(description="Drawer connector pins that can be kicked: 2 and/or 5."),
    ] = None
    realtime_kick: Annotated[
        bool | None, Meta(description="The printer opens drawers with DLE DC4 even when offline.")
    ] = None
    raster_band_rows: (
        Annotated[int, Meta(ge=8, le=2400, description="Rows per GS v 0 image band.")] | None
    ) = None


class UnknownProfile(DeviceConfigError):
    """The config names a printer profile the catalog does not have."""

    code = "printer.unknown_profile"


class BadProfileOverride(DeviceConfigError):
    """An override cannot be applied (an encoding nobody knows, a pin that does not exist)."""

    code = "printer.bad_profile"


class ProfileCatalog:
    """Profiles by name, built once each from escpos-printer-db and kept for this catalog's life."""

    def __init__(self, database: Mapping[str, Any] | None = None) -> None:
        self._database = database
        self._profiles: dict[str, PrinterProfile] = {}

    def names(self) -> list[str]:
        return sorted([*self._db()["profiles"], CHINESE_PROFILE])

    def get(self, name: str, overrides: ProfileOverrides | None = None) -> PrinterProfile:
        """The named profile with ``overrides`` applied."""
        profile = self._profiles.get(name)
        if profile is None:
            profile = self._profiles[name] = self._build(name)
        if overrides is None:
            return profile
        return self._apply(profile, overrides)

    def _db(self) -> Mapping[str, Any]:
        if self._database is None:
            raw = resources.files("escpos").joinpath("capabilities.json").read_bytes()
            self._database = json.loads(raw)
        return self._database

    def _build(self, name: str) -> PrinterProfile:
        db = self._db()
        base_name = "POS-5890" if name == CHINESE_PROFILE else name
        data = db["profiles"].get(base_name)
        if data is None:
            close = difflib.get_close_matches(name, self.names(), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise UnknownProfile(
                f"printer profile {name!r} is not known.{hint} "
                "Pick a profile listed by the catalog, or 'default' with overrides."
            )
        features = data.get("features", {})
        fonts = data.get("fonts", {})
        media = data.get("media", {})
        cols_a = _int(fonts.get("0", {}).get("columns"), 42)
        dpi = _int(media.get("dpi"), 180 if cols_a == 42 else 203)
        dots = _int(media.get("width", {}).get("pixels"), 0) or (512 if dpi == 180 else 576)
        pages = tuple(
            page
            for slot, enc in sorted(data.get("codePages", {}).items(), key=lambda kv: int(kv[0]))
            if (page := self._code_page(int(slot), enc)) is not None
        )
        has_b = bool(features.get("barcodeB"))
        profile = PrinterProfile(
            name=name,
            vendor=data.get("vendor", "Generic"),
            columns_a=cols_a,
            columns_b=_int(fonts.get("1", {}).get("columns"), cols_a * 4 // 3),
            width_dots=dots,
            dpi=dpi,
            code_pages=pages,
            full_cut=bool(features.get("paperFullCut")),
            partial_cut=bool(features.get("paperPartCut")),
            native_qr=bool(features.get("qrCode")),
            barcode_functions="B" if has_b else "A" if features.get("barcodeA") else "none",
            realtime_kick=not features.get("starCommands"),
            notes=data.get("notes", ""),
        )
        if name == CHINESE_PROFILE:
            # Zjiang/Xprinter 58 mm printers in their factory Chinese mode: GB18030 font via FS &.
            profile = replace(profile, chinese=True, notes="POS-5890 in Chinese (GB18030) mode")
        return profile

    def _code_page(self, slot: int, encoding: str) -> CodePage | None:
        info = self._db()["encodings"].get(encoding, {})
        data = info.get("data")
        if data:
            upper = "".join(data)
            upper = "".join("\0" if (c == " " and i) else c for i, c in enumerate(upper))
            return CodePage(slot, encoding, upper) if len(upper) == 128 else None
        codec = info.get("python_encode") or _CODEC_ALIASES.get(encoding)
        if codec is None:
            return None
        chars = []
        for byte in range(0x80, 0x100):
            try:
                char = bytes([byte]).decode(codec)
            except UnicodeDecodeError:
                char = "\0"
            chars.append(char if char.isprintable() or char == "\xa0" else "\0")
        return CodePage(slot, encoding, "".join(chars))

    def _apply(self, profile: PrinterProfile, overrides: ProfileOverrides) -> PrinterProfile:
        changes = {k: v for k, v in msgspec.structs.asdict(overrides).items() if v is not None}
        if "code_pages" in changes:
            pages = []
            for slot, encoding in sorted((int(k), v) for k, v in changes["code_pages"].items()):
                page = self._code_page(slot, encoding.upper())
                if page is None or not 0 <= slot <= 255:
                    raise BadProfileOverride(
                        f"code_pages: slot {slot} encoding {encoding!r} is not a known "
                        "single-byte code page (use names like CP437, CP866, CP852, CP1251)"
                    )
                pages.append(page)
            changes["code_pages"] = tuple(pages)
        if any(pin not in (2, 5) for pin in changes.get("drawer_pins", ())):
            raise BadProfileOverride("drawer_pins: drawer connectors have pins 2 and 5 only")
        return replace(profile, **changes)


def _int(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
