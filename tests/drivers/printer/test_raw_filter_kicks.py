"""Raw jobs cannot open the drawer: kicks are removed by command structure (security.md item 10)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.printer.escpos_commands import tokenize
from drivers.printer.escpos_encoder import drawer_kick, realtime_drawer_kick
from drivers.printer.raw_filter import remove_drawer_kicks

ESC_P = drawer_kick(2, 100)
DLE_DC4 = realtime_drawer_kick(5, 100)


def image_with(data: bytes) -> bytes:
    """A GS v 0 picture one byte wide whose rows are ``data``."""
    return b"\x1dv0\x00\x01\x00" + bytes((len(data), 0)) + data


def test_kicks_are_removed_and_reported_text_around_them_kept() -> None:
    job = b"\x1b@Hello" + ESC_P + b" world\x07\n" + DLE_DC4 + b"\x1dV\x00"
    result = remove_drawer_kicks(job)
    assert result.data == b"\x1b@Hello world\n\x1dV\x00"
    assert [(r.kind, r.offset, r.data) for r in result.removed] == [
        ("ESC p", 7, ESC_P),
        ("BEL", 18, b"\x07"),
        ("DLE DC4", 20, DLE_DC4),
    ]
    assert result.changed


def test_a_clean_job_passes_unchanged() -> None:
    job = b"\x1b@\x1bt\x11\x8f\x8e\n\x1d(k\x03\x001Q0\x1dV\x01"
    result = remove_drawer_kicks(job)
    assert result.data == job and not result.changed


def test_kick_bytes_inside_pictures_and_codes_are_data_not_commands() -> None:
    picture = image_with(ESC_P + b"\x07\x07")
    qr_store = b"\x1d(k\x0a\x001P0" + ESC_P + b"\x07\x07"
    barcode = b"\x1dkI\x07" + b"{B\x1bp\x00\x07\x07"
    job = picture + qr_store + barcode
    result = remove_drawer_kicks(job)
    assert result.data == job and not result.removed


def test_a_parameter_that_swallows_the_escape_byte_is_not_a_kick() -> None:
    job = b"\x1b!\x1bp\x00\x32\x32"  # ESC ! takes 0x1B as its parameter; "p.." is then text
    assert remove_drawer_kicks(job).data == job


def test_real_time_kick_hidden_across_a_command_boundary_is_broken() -> None:
    # ESC 3 n with n = DLE, then "DC4 1 1 5": the printer's real-time parser sees DLE DC4 1 1 5.
    job = b"\x1b3\x10\x14\x01\x01\x05text"
    result = remove_drawer_kicks(job)
    assert b"\x10\x14" not in result.data
    assert result.data == b"\x1b3\x10\x15\x01\x01\x05text"
    assert [r.kind for r in result.removed] == ["DLE DC4 in data"]


def test_real_time_kick_inside_picture_data_changes_one_byte_only() -> None:
    job = image_with(b"\xff" + DLE_DC4 + b"\xff") + b"after\n"
    result = remove_drawer_kicks(job)
    assert len(result.data) == len(job)
    assert result.data == image_with(b"\xff\x10\x15\x01\x01\x01\xff") + b"after\n"


def test_truncated_command_at_the_end_is_dropped_so_it_cannot_join_the_next_job() -> None:
    for tail in (b"\x1b", b"\x1bp\x00", b"\x10\x14\x01", b"\x1dv0\x00\x10\x00\x10\x00abc"):
        result = remove_drawer_kicks(b"ok\n" + tail)
        assert result.data == b"ok\n"
        assert [r.kind for r in result.removed] == ["truncated"]


def test_removal_cannot_assemble_a_new_kick() -> None:
    # Dropping the inner kicks leaves ESC + "p..." pieces that must not become ESC p.
    job = b"\x1b\x1bp\x00\x05\x05p\x00\x05\x05" + b"\x07" + b"\x1bp" + b"\x00\x05\x05"
    result = remove_drawer_kicks(job)
    names = [t.name for t in tokenize(result.data)]
    assert "ESC p" not in names and "BEL" not in names


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=12),
            st.sampled_from(
                [ESC_P, DLE_DC4, b"\x07", b"\x1b", b"\x10", b"\x14", b"\x1dv0", b"\x1d(k", b"p"]
            ),
        ),
        max_size=30,
    ).map(b"".join)
)
def test_nothing_that_can_kick_survives_any_input(job: bytes) -> None:
    result = remove_drawer_kicks(job)
    names = {t.name for t in tokenize(result.data)}
    assert not names & {"ESC p", "DLE DC4", "BEL"}
    assert b"\x10\x14" not in result.data
    assert all(t.kind != "truncated" for t in tokenize(result.data))
    assert remove_drawer_kicks(result.data).data == result.data  # a fixed point
