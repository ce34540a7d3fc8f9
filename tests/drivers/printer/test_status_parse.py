"""The DLE EOT reply parse: fixed bit patterns checked, each condition read from its bits."""

from __future__ import annotations

import pytest

from drivers.printer.status import (
    PrinterStatus,
    drawer_open,
    encode_reply,
    is_status_byte,
    query,
)


def test_queries_are_dle_eot_n() -> None:
    assert [query(n) for n in (1, 2, 3, 4)] == [
        b"\x10\x04\x01",
        b"\x10\x04\x02",
        b"\x10\x04\x03",
        b"\x10\x04\x04",
    ]
    with pytest.raises(ValueError):
        query(5)


def test_only_bytes_with_the_fixed_pattern_are_status() -> None:
    accepted = [b for b in range(256) if is_status_byte(b)]
    assert len(accepted) == 16  # 8 bits minus 4 fixed ones
    assert all(b & 0x12 == 0x12 and not b & 0x81 for b in accepted)
    for garbage in (0x00, 0xFF, 0x13, 0x92, 0x10, 0x02, ord("A")):
        assert not is_status_byte(garbage)


def _status(**conditions: bool) -> PrinterStatus:
    return PrinterStatus.from_replies({n: encode_reply(n, **conditions) for n in (1, 2, 3, 4)})


def test_a_healthy_printer_can_print() -> None:
    status = _status()
    assert status.responding and status.online
    assert not (status.paper_out or status.cover_open or status.cutter_error)
    assert status.not_ready_error("receipt") is None


@pytest.mark.parametrize(
    ("condition", "code"),
    [
        ("paper_out", "printer.paper_out"),
        ("cover_open", "printer.cover_open"),
        ("offline", "printer.offline"),
        ("cutter_error", "printer.fault"),
        ("unrecoverable_error", "printer.fault"),
    ],
)
def test_each_condition_holds_jobs_back_with_its_code(condition: str, code: str) -> None:
    error = _status(**{condition: True}).not_ready_error("receipt")
    assert error is not None
    assert error.code == code
    assert "receipt" in str(error)


def test_bits_are_read_from_the_right_reply() -> None:
    status = PrinterStatus.from_replies({1: 0x16, 2: 0x16, 3: 0x1A, 4: 0x1E})
    assert status.drawer_sensor is True and status.online is True
    assert status.cover_open is True
    assert status.cutter_error is True and not status.unrecoverable_error
    assert status.paper_near_end is True and status.paper_out is False
    assert _status(paper_out=True).paper_out is True
    assert _status(paper_out=True).online is False  # paper out takes the printer offline


def test_paper_near_end_alone_still_prints() -> None:
    status = _status(paper_near_end=True)
    assert status.paper_near_end
    assert status.not_ready_error("receipt") is None


def test_missing_replies_are_unknown_not_ok() -> None:
    status = PrinterStatus.from_replies({1: encode_reply(1), 2: None})
    assert status.online is True
    assert status.cover_open is None and status.paper_out is None
    silent = PrinterStatus.from_replies({1: None})
    assert silent.responding is False
    error = silent.not_ready_error("receipt")
    assert error is not None and error.code == "printer.offline"
    assert "status_queries" in str(error)


def test_status_round_trips_through_a_status_dict() -> None:
    status = _status(cover_open=True)
    data = {"transport": "usb", "connected": True, **status.to_dict()}
    assert PrinterStatus.from_dict(data) == status


@pytest.mark.parametrize(
    ("pin_high", "open_when_high", "expected"),
    [(True, True, True), (False, True, False), (True, False, False), (False, False, True)],
)
def test_drawer_polarity_is_the_callers(
    pin_high: bool, open_when_high: bool, expected: bool
) -> None:
    status = PrinterStatus.from_replies({1: encode_reply(1, drawer_sensor=pin_high)})
    assert drawer_open(status, open_when_high=open_when_high) is expected
    assert drawer_open(PrinterStatus(), open_when_high=True) is None
