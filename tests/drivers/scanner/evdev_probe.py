"""Run inside umockdev-run: open an EvdevScanner from JSON options, print what it emits as JSON."""

from __future__ import annotations

import asyncio
import json
import sys

from drivers.base import DeviceError, DeviceLost, ScanDiscarded, ScanRead
from drivers.scanner.evdev_scanner import EvdevScanner


def as_json(event: object) -> dict:
    if isinstance(event, ScanRead):
        return {"scan": event.code, "symbology": event.symbology}
    if isinstance(event, ScanDiscarded):
        return {"discarded": event.reason}
    if isinstance(event, DeviceLost):
        return {"lost": event.error.code}
    return {"other": repr(event)}


async def main(options: dict, expected: int) -> None:
    got: list[dict] = []
    done = asyncio.Event()

    def emit(event: object) -> None:
        got.append(as_json(event))
        if len(got) >= expected:
            done.set()

    scanner = EvdevScanner("probe", EvdevScanner.Options(**options), emit)
    try:
        await scanner.open()
    except DeviceError as exc:
        print(json.dumps({"error": exc.code, "message": str(exc)}))
        return
    try:
        async with asyncio.timeout(5):
            await done.wait()
    except TimeoutError:
        pass
    status = scanner.status()
    await scanner.close()
    print(json.dumps({"events": got, "node": status["node"], "name": status["name"]}))


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1]), int(sys.argv[2])))
