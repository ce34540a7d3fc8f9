"""Unicode to printer bytes: the right ESC t slot per vendor, Chinese mode, substitutions, widths."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.printer.escpos_decoder import decode
from drivers.printer.profiles import CHINESE_PROFILE, PrinterProfile, ProfileCatalog
from drivers.printer.text_encoder import EncoderState, TextEncoder

SCRIPTS = {
    "russian": "Съешь же ещё этих мягких французских булок",
    "ukrainian": "Ґанок, їжак, Євген, Київ, інший",
    "czech": "Příliš žluťoučký kůň úpěl ďábelské ódy",
    "hungarian": "Árvíztűrő tükörfúrógép, őrült",
    "german": "Größe Äpfel Übermaß",
    "chinese": "绿茶 合计 谢谢光临",
}
# profile -> script -> the ESC t slot (or FS & for Chinese mode) the line must start with.
EXPECTED_SWITCH = {
    "TM-T88V": {
        "russian": b"\x1bt\x11",  # CP866 at 17
        "ukrainian": b"\x1bt\x2e",  # CP1251 at 46: CP866 lacks Ґ and і
        "czech": b"P\x1bt\x12",  # CP852 at 18
        "hungarian": b"\x1bt\x12",  # CP852 has ő and ű
        "german": b"Gr\x94\xe1e",  # CP437 (slot 0 after ESC @) already has them
    },
    "RP326": {  # Rongta numbers its slots differently
        "russian": b"\x1bt\x06",  # CP1251 at 6
        "ukrainian": b"\x1bt\x06",
        "czech": b"P\x1bt\x12",
        "hungarian": b"\x1bt\x12",
        "german": b"Gr\x94\xe1e",
    },
    CHINESE_PROFILE: {
        "russian": b"\x1bt\x11",
        "ukrainian": b"\x1bt\x49",  # CP1251 at 73 on Zjiang
        "czech": b"P\x1bt\x12",
        "hungarian": b"\x1bt\x12",
        "german": b"Gr\x94\xe1e",
        "chinese": b"\x1c&\xc2\xcc\xb2\xe8 \xba\xcf\xbc\xc6",  # GB18030 after FS &
    },
}


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> ProfileCatalog:
    return ProfileCatalog()


def encode_line(encoder: TextEncoder, text: str) -> bytes:
    return encoder.encode(encoder.prepare(text), EncoderState())


@pytest.mark.parametrize("profile_name", list(EXPECTED_SWITCH))
@pytest.mark.parametrize("script", list(SCRIPTS))
def test_each_script_selects_the_vendor_slot_and_decodes_back(
    catalog: ProfileCatalog, profile_name: str, script: str
) -> None:
    profile = catalog.get(profile_name)
    encoder = TextEncoder(profile)
    raw = encode_line(encoder, SCRIPTS[script])
    expected = EXPECTED_SWITCH[profile_name].get(script)
    if expected is None:  # Chinese on a printer without a Chinese font
        assert raw == b"?? ?? ????"
        return
    assert raw.startswith(expected)
    assert decode(raw, profile) == SCRIPTS[script]


def test_page_switches_only_when_the_current_page_lacks_a_character(
    catalog: ProfileCatalog,
) -> None:
    encoder = TextEncoder(catalog.get("TM-T88V"))
    state = EncoderState()
    first = encoder.encode(encoder.prepare("Čeština a ruština"), state)
    second = encoder.encode(encoder.prepare("Další řádek, ä ö ü é"), state)  # all in CP852 too
    assert first == b"\x1bt\x12\xac" + "eština a ruština".encode("cp852")
    assert second == "Další řádek, ä ö ü é".encode("cp852")
    assert state.slot == 18
    # ž alone: of the pages that have it (CP1252, CP852, ...) the lowest slot wins the tie.
    mixed = encoder.encode(encoder.prepare("Ж ž Ж"), EncoderState())
    assert mixed == b"\x1bt\x11\x86 \x1bt\x10\x9e \x1bt\x11\x86"


def test_chinese_mode_wraps_gb18030_runs_and_returns_to_the_code_page(
    catalog: ProfileCatalog,
) -> None:
    profile = catalog.get(CHINESE_PROFILE)
    encoder = TextEncoder(profile)
    raw = encode_line(encoder, "绿茶 Příliš 茶")
    assert raw == (
        b"\x1c&"
        + "绿茶 P".encode("gb18030")
        + b"\x1c.\x1bt\x12"
        + "říliš ".encode("cp852")
        + b"\x1c&"
        + "茶".encode("gb18030")
    )
    assert decode(raw, profile) == "绿茶 Příliš 茶"


def test_yen_becomes_fullwidth_inside_chinese_text_only(catalog: ProfileCatalog) -> None:
    encoder = TextEncoder(catalog.get(CHINESE_PROFILE))
    assert encoder.prepare("合计 ¥12") == "合计 ￥12"
    assert encode_line(encoder, "合计 ¥12") == b"\x1c&" + "合计 ￥12".encode("gb18030")
    assert encoder.prepare("Total ¥12") == "Total ¥12"  # CP437 has ¥
    assert encode_line(encoder, "Total ¥12") == b"Total \x9d12"


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("“Quoted” ‘text’ — done…", "\"Quoted\" 'text' - done..."),
        ("a\u00a0b\u200bc", "a\u00a0bc"),  # NBSP is on CP437; zero-width space prints nothing
        ("😀 ok", "? ok"),
        ("line\tend\x1bp\x00", "line end?p?"),  # control bytes can never reach the printer
        ("ﬁ №5", "fi No5"),
        ("e\u0301", "é"),  # decomposed input is composed first
    ],
)
def test_known_substitutions_and_question_marks(
    catalog: ProfileCatalog, text: str, printed: str
) -> None:
    assert TextEncoder(catalog.get("T-1")).prepare(text) == printed  # only DOS Latin pages


def test_typographic_marks_print_as_they_are_where_a_page_has_them(
    catalog: ProfileCatalog,
) -> None:
    profile = catalog.get("TM-T88V")
    raw = encode_line(TextEncoder(profile), "“Quoted” — №5")
    # CP1252 has the quotes and the dash but not №; CP1251 (slot 46) has all of them.
    assert raw == b"\x1bt\x2e\x93Quoted\x94 \x97 \xb95"
    assert decode(raw, profile) == "“Quoted” — №5"


def test_hungarian_falls_back_to_umlauts_where_no_page_has_them(catalog: ProfileCatalog) -> None:
    profile = catalog.get("T-1")  # CP437/850/858/86x only
    encoder = TextEncoder(profile)
    assert encoder.prepare("Árvíztűrő") == "Árvíztürö"
    assert encoder.prepare("Київ") == "????"
    assert decode(encode_line(encoder, "Árvíztűrő"), profile) == "Árvíztürö"


def test_display_width_counts_chinese_as_two_columns(catalog: ProfileCatalog) -> None:
    chinese = TextEncoder(catalog.get(CHINESE_PROFILE))
    assert chinese.width(chinese.prepare("绿茶 500ml")) == 10
    assert chinese.width(chinese.prepare("Київ")) == 4
    epson = TextEncoder(catalog.get("TM-T88V"))
    assert epson.width(epson.prepare("绿茶 500ml")) == 8  # printed as "?? 500ml"


def printable_by(profile: PrinterProfile, char: str) -> bool:
    """Independent oracle: a page's own codec maps the character to one byte, or GBK has it."""
    if " " <= char <= "~":
        return True
    for page in profile.code_pages:
        if char in page.upper:
            return True
    if profile.chinese:
        try:
            return len(char.encode("gbk")) == 2
        except UnicodeEncodeError:
            return False
    return False


@pytest.mark.parametrize("profile_name", ["TM-T88V", "RP326", CHINESE_PROFILE])
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=60))
def test_any_text_encodes_and_decodes_back_to_itself_or_question_marks(
    catalog: ProfileCatalog, profile_name: str, text: str
) -> None:
    profile = catalog.get(profile_name)
    encoder = TextEncoder(profile)
    text = unicodedata.normalize("NFC", text).replace("\n", " ")
    prepared = encoder.prepare(text)
    raw = encoder.encode(prepared, EncoderState())
    assert decode(raw, profile) == prepared
    if "¥" not in text:  # ¥ may turn into ￥ next to Chinese
        for char in text:
            if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
                assert encoder.resolve(char) in ("?", " ")  # never a control byte
            elif printable_by(profile, char):
                assert encoder.resolve(char) == char


def test_encode_never_guesses_a_page_for_text_that_skipped_prepare(
    catalog: ProfileCatalog,
) -> None:
    encoder = TextEncoder(catalog.get("TM-T88V"))
    assert encoder.encode("Ж😀ž", EncoderState()) == b"\x1bt\x11\x86?\x1bt\x10\x9e"
