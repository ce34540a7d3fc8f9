"""An ESC/POS printer behind a device file, such as ``/dev/usb/lp0`` (the kernel's usblp driver).

The kernel owns the USB side; we write to the file and, where the device answers reads (usblp
does for bidirectional printers), ask it for status the same way as on any other transport.
"""

from __future__ import annotations

import errno
import os
import stat
from functools import partial
from typing import Annotated, Any, ClassVar

from msgspec import Meta

from drivers.base import DeviceNotReady, DriverOptions
from drivers.printer import fd_io
from drivers.printer.escpos_transport import EscposPrinterOptions, EscposTransportPrinter


class FilePrinterOptions(EscposPrinterOptions, kw_only=True):
    path: Annotated[
        str, Meta(description="Device file the printer is written through, e.g. /dev/usb/lp0.")
    ]


class FilePrinter(EscposTransportPrinter):
    """A receipt printer written through a device file."""

    Options: ClassVar[type[DriverOptions]] = FilePrinterOptions
    options: FilePrinterOptions
    transport: ClassVar[str] = "file"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._fd: int | None = None
        self._char_device = False
        self._readable = False

    def _describe(self) -> dict[str, Any]:
        return {"path": self.options.path}

    async def _connect(self) -> None:
        self._fd, self._char_device, self._readable = await self._run(self._open_blocking)
        # Status queries written into a plain file or a write-only device would only pollute it.
        self._status_supported = self._char_device and self._readable

    async def _disconnect(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            await self._run(self._close_blocking, fd)

    async def _send(self, data: bytes, limit_s: float) -> None:
        assert self._fd is not None
        await self._run(fd_io.write_all_blocking, self._fd, data, limit_s)

    async def _receive(self, limit_s: float) -> bytes:
        assert self._fd is not None
        # usblp answers "nothing to read" with end-of-file: that means no reply, not gone.
        return await self._run(
            partial(fd_io.read_blocking, self._fd, limit_s, eof_means_gone=False)
        )

    async def _discard_input(self) -> None:
        assert self._fd is not None
        if self._readable:
            await self._run(partial(fd_io.discard_input_blocking, self._fd, eof_means_gone=False))

    def _open_blocking(self) -> tuple[int, bool, bool]:
        path = self.options.path
        flags = os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        readable = True
        try:
            try:
                fd = os.open(path, os.O_RDWR | flags)
            except OSError as e:
                if e.errno not in (errno.EACCES, errno.EROFS, errno.EINVAL):
                    raise
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | flags)
                readable = False
        except OSError as e:
            raise self._open_error(e) from e
        return fd, stat.S_ISCHR(os.fstat(fd).st_mode), readable

    def _open_error(self, e: OSError) -> DeviceNotReady:
        path = self.options.path
        if e.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
            return DeviceNotReady(
                f"printer {self.device_id}: {path} does not exist: the printer is off or unplugged"
            )
        if e.errno == errno.EACCES:
            return DeviceNotReady(
                f"printer {self.device_id}: no permission to open {path}: add the tillbridge "
                "user to the lp group or install the udev rule",
                code="printer.access_denied",
            )
        if e.errno == errno.EBUSY:
            return DeviceNotReady(
                f"printer {self.device_id}: {path} is in use by another program "
                f"(see `fuser -v {path}`; often CUPS): stop it, then the printer is reopened",
                code="printer.busy",
            )
        return DeviceNotReady(f"printer {self.device_id}: cannot open {path}: {e.strerror}")

    @staticmethod
    def _close_blocking(fd: int) -> None:
        try:
            os.close(fd)
        except OSError:
            pass
