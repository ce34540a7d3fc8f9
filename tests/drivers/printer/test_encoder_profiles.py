"""Printer profiles from escpos-printer-db, the Chinese-mode profile, and per-printer overrides."""

from __future__ import annotations

import msgspec
import pytest

from bridge.config.example import description
from drivers.base import DeviceConfigError
from drivers.printer.profiles import (
    CHINESE_PROFILE,
    BadProfileOverride,
    ProfileCatalog,
    ProfileOverrides,
    UnknownProfile,
)


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> ProfileCatalog:
    return ProfileCatalog()


def test_database_profiles_carry_paper_pages_and_features(catalog: ProfileCatalog) -> None:
    epson = catalog.get("TM-T88V")
    assert (epson.columns_a, epson.columns_b, epson.width_dots, epson.dpi) == (42, 56, 512, 180)
    assert epson.page(17).name == "CP866" and epson.page(18).name == "CP852"
    assert epson.page(46).name == "CP1251"
    assert epson.page(255) is None  # "Unknown" pages are left out
    assert (epson.native_qr, epson.barcode_functions, epson.full_cut, epson.chinese) == (
        True,
        "B",
        True,
        False,
    )
    rongta = catalog.get("RP326")
    assert rongta.page(6).name == "CP1251" and rongta.page(7).name == "CP866"


def test_default_and_chinese_profiles(catalog: ProfileCatalog) -> None:
    default = catalog.get("default")
    assert default.width_dots == 512 and default.columns_a == 42 and default.native_qr
    chinese = catalog.get(CHINESE_PROFILE)
    assert chinese.chinese and chinese.chinese_encoding == "gb18030"
    assert (chinese.columns_a, chinese.width_dots) == (32, 384)
    assert not chinese.native_qr and chinese.barcode_functions == "none"
    assert not (chinese.full_cut or chinese.partial_cut)
    assert {"default", CHINESE_PROFILE, "TM-T88V"} <= set(catalog.names())


def test_katakana_page_comes_from_the_database_table(catalog: ProfileCatalog) -> None:
    page = catalog.get("RP326").page(1)
    assert page.name == "KATAKANA" and page.upper[0xB1 - 0x80] == "ｱ"


def test_profiles_are_built_once_per_catalog(catalog: ProfileCatalog) -> None:
    assert catalog.get("TM-T88V") is catalog.get("TM-T88V")
    other = ProfileCatalog(database={"profiles": {}, "encodings": {}})
    with pytest.raises(UnknownProfile):
        other.get("TM-T88V")


def test_unknown_profile_suggests_close_names(catalog: ProfileCatalog) -> None:
    with pytest.raises(UnknownProfile, match="Did you mean TM-T88V") as caught:
        catalog.get("TM-T88v")
    assert isinstance(caught.value, DeviceConfigError)
    assert caught.value.code == "printer.unknown_profile"


def test_overrides_replace_what_the_config_names(catalog: ProfileCatalog) -> None:
    overrides = ProfileOverrides(
        columns_a=48,
        width_dots=576,
        code_pages={0: "CP437", 5: "cp866"},
        chinese=True,
        native_qr=False,
        drawer_pins=(2,),
    )
    profile = catalog.get("TM-T88V", overrides)
    assert (profile.columns_a, profile.width_dots, profile.chinese) == (48, 576, True)
    assert [(p.slot, p.name) for p in profile.code_pages] == [(0, "CP437"), (5, "CP866")]
    assert profile.drawer_pins == (2,) and not profile.native_qr
    assert catalog.get("TM-T88V").columns_a == 42  # the cached profile is untouched


def test_bad_overrides_name_the_key(catalog: ProfileCatalog) -> None:
    with pytest.raises(BadProfileOverride, match="code_pages: slot 3 encoding 'CP9999'"):
        catalog.get("TM-T88V", ProfileOverrides(code_pages={3: "CP9999"}))
    with pytest.raises(BadProfileOverride, match="drawer_pins"):
        catalog.get("TM-T88V", ProfileOverrides(drawer_pins=(3,)))
    with pytest.raises(msgspec.ValidationError, match="columns_a"):
        msgspec.convert({"columns_a": 2}, ProfileOverrides)
    with pytest.raises(msgspec.ValidationError, match="unknown field `colums_a`"):
        msgspec.convert({"colums_a": 42}, ProfileOverrides)


def test_every_override_is_documented() -> None:
    for field in msgspec.structs.fields(ProfileOverrides):
        assert description(field.type), field.name
