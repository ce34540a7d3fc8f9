"""Blocking byte I/O on a file descriptor (serial ports, /dev/usb/lp*), with deadlines.

Our own loop rather than pyserial's ``write``: pyserial raises on a write timeout without saying
how many bytes already went, and that count decides whether a job may be sent again. These
helpers run only on the printer's worker thread.
"""

from __future__ import annotations

import errno
import os
import select
import time

from drivers.printer.escpos_transport import LinkError

CHUNK = 4096
READ_SIZE = 256


def _gone(err: OSError, sent: int = 0, *, partial: bool = False) -> LinkError:
    reason = err.strerror or errno.errorcode.get(err.errno or 0, "I/O error")
    return LinkError(reason, gone=True, sent=sent, partial=partial)


def _wait(fd: int, events: int, timeout: float) -> int:
    poller = select.poll()
    poller.register(fd, events)
    ready = poller.poll(max(0, int(timeout * 1000)))
    return ready[0][1] if ready else 0


def write_all_blocking(fd: int, data: bytes, timeout: float) -> int:
    """Write all of ``data`` before the deadline; LinkError carries the exact count sent."""
    deadline = time.monotonic() + timeout
    view = memoryview(data)
    sent = 0
    while sent < len(data):
        left = deadline - time.monotonic()
        if left <= 0:
            raise LinkError(f"no progress within {timeout:.1f} s", gone=False, sent=sent)
        revents = _wait(fd, select.POLLOUT, left)
        if not revents:
            continue
        try:
            sent += os.write(fd, view[sent : sent + CHUNK])
        except (BlockingIOError, InterruptedError):
            continue
        except OSError as e:
            raise _gone(e, sent) from e
    return sent


def read_blocking(fd: int, timeout: float, *, eof_means_gone: bool = True) -> bytes:
    """Bytes that arrive within ``timeout``, b"" if none; LinkError when the device is gone."""
    if not _wait(fd, select.POLLIN, timeout):
        return b""
    try:
        data = os.read(fd, READ_SIZE)
    except (BlockingIOError, InterruptedError):
        return b""
    except OSError as e:
        raise _gone(e) from e
    if not data and eof_means_gone:
        raise LinkError("end of file: the device went away", gone=True)
    return data


def discard_input_blocking(fd: int, *, eof_means_gone: bool = True) -> int:
    """Read and drop whatever is waiting; returns how many bytes were dropped."""
    dropped = 0
    while data := read_blocking(fd, 0, eof_means_gone=eof_means_gone):
        dropped += len(data)
    return dropped
