"""The keystroke decoder, fed evdev.InputEvent streams as the kernel delivers them."""

from __future__ import annotations

import pytest
from evdev import ecodes
from scanner_testkit import as_input_events, key_events

from drivers.base import ScanDiscarded
from drivers.scanner.keystroke_decoder import DecoderSettings, KeystrokeDecoder

GS = "\x1d"


def run(decoder: KeystrokeDecoder, stream, now: float = 0.0) -> list:
    out: list = []
    for ev in as_input_events(stream):
        out += decoder.feed(ev.type, ev.code, ev.value, now)
    return out


def decoder(**kw) -> KeystrokeDecoder:
    return KeystrokeDecoder(DecoderSettings(**kw))


def test_a_scan_ends_at_enter_and_keypad_enter():
    d = decoder()
    assert run(d, key_events("4607001234567")) == ["4607001234567"]
    assert run(d, key_events("Ab-1", enter=ecodes.KEY_KPENTER)) == ["Ab-1"]


def test_key_up_and_autorepeat_do_not_type():
    d = decoder()
    stream = key_events("7", enter=None)
    stream.insert(2, (ecodes.EV_KEY, ecodes.KEY_7, 2))  # held long enough to repeat
    assert run(d, stream + key_events("", enter=ecodes.KEY_ENTER)) == ["7"]


def test_gs1_datamatrix_keeps_group_separators():
    mark = f"0104600439931256215Hd5)Xf{GS}93dGVz"  # "Честный знак" mark layout: AI 01, 21, GS, 93
    assert run(decoder(), key_events(mark)) == [mark]


def test_ctrl_combinations_give_control_characters():
    d = decoder()
    stream = [(ecodes.EV_KEY, ecodes.KEY_LEFTCTRL, 1)]
    for code in (ecodes.KEY_RIGHTBRACE, ecodes.KEY_D, ecodes.KEY_LEFTBRACE):
        stream += [(ecodes.EV_KEY, code, 1), (ecodes.EV_KEY, code, 0)]
    stream += [(ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 1), (ecodes.EV_KEY, ecodes.KEY_6, 1)]
    stream += [(ecodes.EV_KEY, ecodes.KEY_6, 0), (ecodes.EV_KEY, ecodes.KEY_LEFTSHIFT, 0)]
    stream += [(ecodes.EV_KEY, ecodes.KEY_LEFTCTRL, 0)]
    assert run(d, stream + key_events("")) == ["\x1d\x04\x1b\x1e"]


def test_alt_numpad_code_entry():
    d = decoder()
    stream = key_events("A", enter=None)
    stream.append((ecodes.EV_KEY, ecodes.KEY_LEFTALT, 1))
    for code in (ecodes.KEY_KP0, ecodes.KEY_KP2, ecodes.KEY_KP9):
        stream += [(ecodes.EV_KEY, code, 1), (ecodes.EV_KEY, code, 0)]
    stream.append((ecodes.EV_KEY, ecodes.KEY_LEFTALT, 0))
    assert run(d, stream + key_events("B")) == [f"A{GS}B"]


def test_caps_lock_pressed_by_the_scanner_inverts_letters_only():
    d = decoder()
    caps = [(ecodes.EV_KEY, ecodes.KEY_CAPSLOCK, 1), (ecodes.EV_KEY, ecodes.KEY_CAPSLOCK, 0)]
    assert run(d, caps + key_events("abC1!")) == ["ABc1!"]


def test_caps_lock_light_followed_only_when_configured():
    led_on = [(ecodes.EV_LED, ecodes.LED_CAPSL, 1)]
    assert run(decoder(caps_lock_from_led=True), led_on + key_events("ab1")) == ["AB1"]
    assert run(decoder(), led_on + key_events("ab1")) == ["ab1"]


@pytest.mark.parametrize(
    ("layout", "text"),
    [
        ("cz", "8594000123456"),  # Czech: digits need Shift
        ("cz", "ABC-123/zy"),  # QWERTZ: z and y swapped
        ("cz", "ěščř@#"),
        ("hu", "5990123456789"),  # Hungarian: 0 left of 1
        ("hu", "öüó-ZY@;"),
    ],
)
def test_layouts(layout, text):
    assert run(decoder(layout=layout), key_events(text, layout)) == [text]


def test_czech_scanner_read_as_us_would_be_wrong():
    # the reason the layout option exists: unshifted Czech digit keys are letters
    assert run(decoder(layout="cz"), key_events("123", "us")) == ["+ěš"]


def test_syn_dropped_mid_scan_discards_the_whole_scan_and_reports_it():
    d = decoder()
    whole = key_events("4607001234567")
    cut = len(whole) // 2
    stream = [*whole[:cut], (ecodes.EV_SYN, ecodes.SYN_DROPPED, 0), *whole[cut + 6 :]]
    out = run(d, stream)
    assert len(out) == 1 and isinstance(out[0], ScanDiscarded)
    assert out[0].reason == "events_dropped"
    assert d.wants_key_state  # the driver must re-read held modifiers
    d.resync([])
    assert run(d, key_events("123")) == ["123"]


def test_syn_dropped_at_the_start_of_a_scan_never_delivers_its_tail():
    d = decoder()
    assert run(d, key_events("111"), now=0.0) == ["111"]
    tail = key_events("4567")
    stream = [(ecodes.EV_SYN, ecodes.SYN_DROPPED, 0), *tail]
    out = run(d, stream, now=50.0)  # long after the last scan
    assert [o.reason for o in out] == ["events_dropped"]
    assert out[0].detail["chars"] == 3  # "4" came before the SYN_REPORT: part of the lost report


def test_events_after_syn_dropped_are_ignored_until_syn_report():
    d = decoder()
    stream = [(ecodes.EV_SYN, ecodes.SYN_DROPPED, 0), (ecodes.EV_KEY, ecodes.KEY_ENTER, 1)]
    stream += [(ecodes.EV_SYN, ecodes.SYN_REPORT, 0), *key_events("99")]
    assert [getattr(o, "reason", o) for o in run(d, stream)] == ["events_dropped"]


def test_over_long_scan_is_discarded_up_to_its_terminator():
    d = decoder(max_length=16)
    out = run(d, key_events("X" * 40))
    assert [o.reason for o in out] == ["too_long"] and out[0].detail["chars"] == 40
    assert run(d, key_events("SHORT")) == ["SHORT"]


def test_stale_partial_is_discarded_after_the_timeout():
    d = decoder(stale_after=1.0)
    assert run(d, key_events("123", enter=None), now=10.0) == []
    assert d.deadline() == pytest.approx(11.0)
    assert d.poll(10.5) == []
    out = d.poll(11.0)
    assert [o.reason for o in out] == ["timeout"] and out[0].detail["partial"] == "123"
    assert run(d, key_events("456"), now=12.0) == ["456"]


def test_without_terminator_a_pause_ends_the_scan():
    d = decoder(terminator="none", end_gap=0.05)
    assert run(d, key_events("ABC", enter=None), now=1.0) == []
    assert run(d, key_events("DEF", enter=None), now=1.2) == ["ABC"]
    assert d.poll(1.3) == ["DEF"]
    assert d.deadline() is None


def test_tab_terminator():
    d = decoder(terminator="tab")
    assert run(d, key_events("AB", enter=ecodes.KEY_TAB)) == ["AB"]


def test_abandon_reports_a_partial_scan_once():
    d = decoder()
    run(d, key_events("12", enter=None))
    lost = d.abandon("device_lost")
    assert lost is not None and lost.reason == "device_lost"
    assert d.abandon("closed") is None
