"""Serial framing edge cases and key-map details that the device tests do not reach."""

from __future__ import annotations

import pytest

from drivers.base import ScanDiscarded
from drivers.scanner.keymaps import alt_numpad_char, keymap
from drivers.scanner.serial_framing import FramingSettings, SerialFramer


def test_crlf_split_between_reads():
    f = SerialFramer(FramingSettings(terminators=(b"\r\n",)))
    assert f.feed(b"123\r", 0.0) == []
    assert f.feed(b"\n456\r\n", 0.0) == ["123", "456"]


def test_over_long_frame_is_discarded_once_and_the_next_one_passes():
    f = SerialFramer(FramingSettings(max_length=16))
    out = f.feed(b"9" * 40, 0.0) + f.feed(b"9" * 40 + b"\rOK\r", 0.0)
    assert [o.reason for o in out if isinstance(o, ScanDiscarded)] == ["too_long"]
    assert out[0].detail["length"] == 80
    assert out[1:] == ["OK"]


def test_over_long_without_terminator_ends_at_the_pause():
    f = SerialFramer(FramingSettings(terminators=(), max_length=16, end_gap=0.05))
    f.feed(b"x" * 100, 1.0)
    (out,) = f.poll(1.05)
    assert out.reason == "too_long"
    assert f.feed(b"short", 2.0) == [] and f.poll(2.05) == ["short"]


def test_stalled_noise_is_reported_as_garbage_not_timeout():
    f = SerialFramer(FramingSettings(stale_after=1.0))
    f.feed(b"\x00\x00", 0.0)
    assert [o.reason for o in f.poll(1.0)] == ["garbage"]


def test_unknown_encoding_is_a_config_error():
    with pytest.raises(LookupError):
        FramingSettings(encoding="klingon")


@pytest.mark.parametrize(
    ("digits", "char"), [("29", "\x1d"), ("0196", "Ä"), ("142", "Ä"), ("065", "A"), ("321", "A")]
)
def test_alt_numpad_codes_follow_windows(digits, char):
    # leading zero: Windows-1252; otherwise the OEM code page 437; values wrap at 256
    assert alt_numpad_char(digits) == char


def test_ctrl_letters_follow_the_layout_and_symbols_the_key_position():
    cz = keymap("cz")
    assert cz.char(21, ctrl=True) == "\x1a"  # the key labelled Z on QWERTZ is Ctrl+Z
    assert cz.char(27, ctrl=True) == "\x1d"  # ] position gives GS whatever the layout prints
    assert keymap("us").char(3, ctrl=True) == "\x00"  # Ctrl+2 / Ctrl+@ is NUL


def test_dead_keys_type_nothing():
    assert keymap("cz").char(13) is None  # the acute accent key
