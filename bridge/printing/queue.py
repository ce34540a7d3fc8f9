"""The print queue: durable jobs, one worker per printer, never a receipt lost or printed twice.

A job is committed before the client hears ``202``. Each printer has one lane worked in order.
Before each job the printer is asked for its status; paper out, cover open or offline put the job
in ``waiting``, and the lane sleeps until the device manager reports a change of that printer
(its own idle status poll notices recovery), so nothing polls faster than the driver already does.
A job goes to ``printing`` durably before its first byte is sent; one found in ``printing`` at
start-up, or cut off mid-write (``PrintInterrupted``), may be partly on paper and goes to
``failed``/``uncertain``: only a person reprints it.

Latency: a job submitted to an idle lane has its status query started alongside its insert
(the printer answers while SQLite syncs), and the worker takes the job as inserted instead of
reading it back. The status is still asked after the previous job ended and before ``printing``
is committed; it is used only if no other job went out since and it is younger than
``STATUS_MAX_AGE_S``. A job's ``done`` is committed while the next job's status is asked; the
next job touches the store only once that commit is through, so its events and states follow.

A raw job that asks to keep its drawer kicks is a drawer open attempt: the drawer service checks
it against the drawer policy and rate limit and audits it before the job is stored (a refusal
refuses the job, 429 included; a role that may not open drawers gets the kicks removed).

A hot config (:meth:`PrintQueue.reconfigure`) adds and removes lanes; a removed printer's queued
jobs stay stored and resume if it comes back. An unexpected error in a lane is logged and retried
with backoff, never the end of that printer's printing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from bridge.auth.tokens import TokenInfo
from bridge.config.loader import LoadedConfig
from bridge.devices.manager import DeviceManager, DeviceSlot
from bridge.drawers.policy import DrawerRefused, Refusal
from bridge.events.bus import EventBus
from bridge.printing.jobs import OPEN_STATES, Job, JobRepository
from bridge.printing.models import PrintRequest
from bridge.printing.rendering import Renderer, UnknownPrinter
from bridge.printing.script_sample import script_sample
from bridge.store import Store
from bridge.wire import to_builtins
from drivers.base import DeviceError, DeviceNotReady, Printer
from drivers.printer.errors import PrinterOffline, PrintInterrupted
from drivers.printer.receipt import Receipt
from drivers.printer.status import PrinterStatus
from drivers.simulated.printer import SimulatedPrinter

log = structlog.get_logger(__name__)

STOP_GRACE_S = 3.0
#: A status asked alongside a job's insert is trusted for that job only this long.
STATUS_MAX_AGE_S = 0.5
#: A lane hit by an unexpected error tries again after this, doubling up to the cap.
LANE_RETRY_BASE_S = 0.5
LANE_RETRY_CAP_S = 30.0
RESTART_MESSAGE = (
    "the daemon stopped while this job was being sent; part of it may have printed. "
    "Check the paper, then reprint it from the technician page if needed."
)


class PrintQueueError(Exception):
    """A request the queue refuses; ``status`` and ``code`` map to the API error."""

    status = 400
    code = "print.error"

    def __init__(self, message: str, *, job: Job | None = None) -> None:
        super().__init__(message)
        self.job = job


class PrinterNotFound(PrintQueueError):
    status, code = 404, "printer.not_found"


class JobNotFound(PrintQueueError):
    status, code = 404, "job.not_found"


class IdempotencyConflict(PrintQueueError):
    status, code = 409, "job.idempotency_conflict"


class JobStateConflict(PrintQueueError):
    status, code = 409, "job.wrong_state"


class JobRefused(PrintQueueError):
    """The job cannot be printed at all (too large, does not fit the paper)."""

    status = 422

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class NotSimulatedPrinter(PrintQueueError):
    status, code = 409, "printer.not_simulated"


class PrinterUnavailable(PrintQueueError):
    status, code = 503, "printer.offline"


class DrawerKickRefused(PrintQueueError):
    """A raw job's drawer kick the drawer policy refused (429 past the rate limit)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.status, self.code = refusal.status, refusal.code
        self.retry_after_s = refusal.retry_after_s


class KickGate(Protocol):
    """The drawer service, as the queue sees it: audits and rate-limits raw jobs' kicks."""

    async def authorize_raw_kick(
        self,
        printer_id: str,
        reason: str | None,
        document_id: str | None,
        principal: TokenInfo | None,
        origin: str | None,
        job_id: str,
    ) -> bool: ...


def request_digest(request: PrintRequest) -> bytes:
    """What a repeated Idempotency-Key's body is compared by; kept byte for byte as earlier
    versions stored it (defaults included, keys sorted, json.dumps spacing), so a POS retrying
    across an upgrade still gets its first job rather than a conflict."""
    return hashlib.sha256(json.dumps(to_builtins(request), sort_keys=True).encode()).digest()


def waiting_reason(error: DeviceError) -> str:
    """``printer.paper_out`` -> ``paper_out``; anything else not-ready counts as offline."""
    reason = error.code.removeprefix("printer.")
    return reason if reason in ("paper_out", "cover_open", "offline", "fault") else "offline"


Readiness = tuple[Printer | None, DeviceError | None]


@dataclass(eq=False)
class _StatusCheck:
    """A status query started for one job while it was being stored."""

    task: asyncio.Task[Readiness]
    #: ``_Lane.sent`` when it started: the check is stale once another job went out.
    sent: int
    started: float

    def discard(self) -> None:
        """Not needed after all: let it finish (a status update is harmless)."""
        self.task.add_done_callback(_retrieve)


def _retrieve(task: asyncio.Task[Readiness]) -> None:
    if not task.cancelled():
        task.exception()  # a discarded check's error is not news: keep asyncio quiet about it


@dataclass(eq=False)
class _Entry:
    """A job in a lane: its id, and the job as inserted (first attempt only)."""

    job_id: str
    job: Job | None = None
    check: _StatusCheck | None = None


@dataclass(eq=False)
class _Lane:
    """One printer's queue: jobs in order, and the event that wakes its worker."""

    printer_id: str
    pending: deque[_Entry] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None
    #: Jobs whose bytes started to go out; a status asked before the latest one is stale.
    sent: int = 0
    #: The last job's ``done`` being committed; the next job's store writes wait for it.
    finishing: asyncio.Task[None] | None = None
    #: Set when the queue stops or the printer left the config: the worker ends.
    stop: asyncio.Event = field(default_factory=asyncio.Event)


class PrintQueue:
    """Accepts, stores and prints jobs; see the module docstring."""

    def __init__(
        self,
        store: Store,
        bus: EventBus,
        devices: DeviceManager,
        renderer: Renderer,
        *,
        drawers: KickGate,
        recheck_s: float,
        max_raw_bytes: int,
    ) -> None:
        self.jobs = JobRepository(store)
        self.renderer = renderer
        self._store = store
        self._bus = bus
        self._devices = devices
        self._drawers = drawers
        self._recheck_s = recheck_s
        self._max_raw_bytes = max_raw_bytes
        self._lanes: dict[str, _Lane] = {}
        self._checks: set[asyncio.Task[Readiness]] = set()
        self._stopping = False
        self._started = False
        self._unlisten = devices.add_listener(self._device_changed)

    # -- life cycle --------------------------------------------------------------------------

    async def start(self, printer_ids: list[str]) -> None:
        """Fail jobs cut off by the last stop, then resume queued and waiting ones in order."""
        await self.renderer.start()
        self._stopping = False
        for job in await self.jobs.fail_interrupted(RESTART_MESSAGE):
            log.warning("print.uncertain_after_restart", job=job.id, printer=job.printer)
            self._publish(job)
        self._lanes = {pid: _Lane(pid) for pid in printer_ids}
        for job in await self.jobs.unfinished():
            lane = self._lanes.get(job.printer)
            if lane is None:
                log.warning("print.orphan_job", job=job.id, printer=job.printer)
                continue
            lane.pending.append(_Entry(job.id))
        for lane in self._lanes.values():
            self._run_lane(lane)
        self._started = True

    async def reconfigure(self, config: LoadedConfig) -> None:
        """A hot config: new profiles and limits; lanes for printers added, none for removed ones.

        Called after the device manager applied it, so its slots say which printers there are
        (as at start). A removed printer's lane ends (a job being sent gets the stop grace); its
        queued and waiting jobs stay stored and are picked up again if the printer comes back.
        """
        await self.renderer.reconfigure(config)
        self._recheck_s = config.settings.printing.waiting_recheck_s
        self._max_raw_bytes = config.settings.printing.max_raw_bytes
        if not self._started or self._stopping:
            return
        wanted = [slot.device_id for slot in self._devices.slots() if slot.kind == "printer"]
        for printer_id in [pid for pid in self._lanes if pid not in wanted]:
            await self._close_lane(self._lanes.pop(printer_id))
            log.info("print.printer_removed", printer=printer_id)
        for printer_id in wanted:
            if printer_id in self._lanes:
                continue
            lane = _Lane(printer_id)
            lane.pending.extend(_Entry(job.id) for job in await self.jobs.unfinished(printer_id))
            self._lanes[printer_id] = lane
            self._run_lane(lane)
            log.info("print.printer_added", printer=printer_id, resumed=len(lane.pending))

    async def stop(self) -> None:
        """Let a job being sent finish (briefly), then stop every worker."""
        self._stopping = True
        self._started = False
        self._unlisten()
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        for lane in self._lanes.values():
            lane.stop.set()
            lane.wake.set()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        finishing = [lane.finishing for lane in self._lanes.values() if lane.finishing is not None]
        await asyncio.gather(*finishing, return_exceptions=True)
        checks = list(self._checks)
        for check in checks:
            check.cancel()
        await asyncio.gather(*checks, return_exceptions=True)
        await self.renderer.stop()

    # -- what the API and other services call ------------------------------------------------

    async def submit(
        self,
        printer_id: str,
        request: PrintRequest,
        idempotency_key: str | None,
        principal: TokenInfo | None,
        origin: str | None = None,
    ) -> tuple[Job, bool]:
        """Store a job (durably) and queue it; ``(job, created)``, the first job on a repeat.

        A repeat found before any work is answered at once: not rendered again, and its drawer
        kick is not a new attempt (neither audited nor counted against the rate limit again).
        """
        lane = self._lane(printer_id)
        digest = request_digest(request)
        if idempotency_key is not None:
            first = await self.jobs.find(printer_id, idempotency_key)
            if first is not None:
                return self._repeat(first, idempotency_key, digest), False
        job_id = str(uuid.uuid4())
        if request.raw is not None:
            kind = "raw"
            payload = await self._raw_payload(printer_id, request, principal, origin, job_id)
        else:
            assert request.receipt is not None
            kind, payload = "receipt", await self._render(printer_id, request.receipt)
        job = Job.new(
            printer_id,
            kind,
            payload,
            digest,
            idempotency_key=idempotency_key,
            token_id=principal.id if principal else None,
            job_id=job_id,
        )
        return await self._enqueue(lane, job)

    async def get(self, job_id: str) -> Job:
        job = await self.jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"No print job with id {job_id!r}.")
        return job

    async def recent(self, printer_id: str, limit: int) -> list[Job]:
        self._lane(printer_id)
        return await self.jobs.recent(printer_id, limit)

    async def cancel(self, job_id: str) -> Job:
        job = await self.get(job_id)
        cancelled = await self.jobs.transition(
            job_id, "cancelled", only_from=OPEN_STATES, message="cancelled on request"
        )
        if cancelled is None:
            current = await self.get(job_id)
            raise JobStateConflict(
                f"Job {job_id} is {current.state}; only queued or waiting jobs can be cancelled.",
                job=current,
            )
        self._publish(cancelled)
        lane = self._lanes.get(job.printer)
        if lane is not None:
            lane.wake.set()
        return cancelled

    async def reprint(self, job_id: str, principal: TokenInfo | None) -> Job:
        """A new job with the same bytes as a failed one (a person checked the paper)."""
        old = await self.get(job_id)
        if old.state != "failed":
            raise JobStateConflict(
                f"Job {job_id} is {old.state}; only failed jobs are reprinted.", job=old
            )
        lane = self._lane(old.printer)
        job = Job.new(
            old.printer,
            old.kind,
            old.payload,
            old.request_hash,
            idempotency_key=None,
            token_id=principal.id if principal else None,
            reprint_of=old.id,
        )
        created, _ = await self._enqueue(lane, job)
        return created

    async def test_print(self, printer_id: str, principal: TokenInfo | None) -> tuple[Job, str]:
        """A receipt with every script the tills print; the job and its bytes read back as text."""
        self._lane(printer_id)
        profile = await self.renderer.profile(printer_id)
        payload = await self._render(printer_id, script_sample(printer_id, profile.name))
        job = Job.new(
            printer_id,
            "test",
            payload,
            hashlib.sha256(payload).digest(),
            idempotency_key=None,
            token_id=principal.id if principal else None,
        )
        created, _ = await self._enqueue(self._lane(printer_id), job)
        return created, await self.renderer.decode(printer_id, payload)

    def set_condition(self, printer_id: str, **flags: bool | None) -> dict[str, object]:
        """Put a simulated printer out of paper, cover open or offline (and back)."""
        self._lane(printer_id)
        slot = self._devices.get(printer_id)
        device = slot.device if slot is not None else None
        if slot is None or slot.driver != "simulated-printer":
            raise NotSimulatedPrinter(
                f"{printer_id!r} is a real printer; change its paper instead."
            )
        if not isinstance(device, SimulatedPrinter):
            raise PrinterUnavailable(f"simulated printer {printer_id} is not open ({slot.state}).")
        device.set_condition(**flags)
        return device.status()

    # -- internals ---------------------------------------------------------------------------

    def _lane(self, printer_id: str) -> _Lane:
        lane = self._lanes.get(printer_id)
        if lane is None:
            raise PrinterNotFound(f"No printer named {printer_id!r} in the config.")
        return lane

    async def _render(self, printer_id: str, receipt: Receipt) -> bytes:
        try:
            return await self.renderer.render(printer_id, receipt)
        except UnknownPrinter:
            raise PrinterNotFound(f"No printer named {printer_id!r} in the config.") from None
        except DeviceError as exc:  # ReceiptTooWide and the like: the receipt itself is wrong
            raise JobRefused(str(exc), exc.code) from None

    async def _raw_payload(
        self,
        printer_id: str,
        request: PrintRequest,
        principal: TokenInfo | None,
        origin: str | None,
        job_id: str,
    ) -> bytes:
        """The bytes to print: kicks removed unless the drawer service lets this job keep them."""
        data = request.raw_bytes()
        if len(data) > self._max_raw_bytes:
            raise JobRefused(
                f"The raw job is {len(data)} bytes; the limit is {self._max_raw_bytes}.",
                "print.too_large",
            )
        raw = await self.renderer.filter_raw(data, keep_kicks=False)
        if raw.removed and request.open_drawer:
            try:
                keep = await self._drawers.authorize_raw_kick(
                    printer_id,
                    request.drawer_reason,
                    request.document_id,
                    principal,
                    origin,
                    job_id,
                )
            except DrawerRefused as exc:
                raise DrawerKickRefused(exc.refusal) from None
            if keep:
                return data
        if raw.removed:
            log.warning(
                "print.raw_kicks_removed",
                removed=[r.kind for r in raw.removed],
                token=principal.id if principal else None,
                asked=request.open_drawer,
            )
        if not raw.data:
            raise JobRefused(
                "Nothing is left to print once drawer kicks are removed.", "print.empty"
            )
        return raw.data

    async def _enqueue(self, lane: _Lane, job: Job) -> tuple[Job, bool]:
        check = self._early_check(lane)
        try:
            async with self._store.transaction() as tx:
                first = await self.jobs.insert(tx, job)
        except BaseException:
            if check is not None:
                check.discard()
            raise
        if first is not None:
            if check is not None:
                check.discard()
            assert job.idempotency_key is not None
            return self._repeat(first, job.idempotency_key, job.request_hash), False
        self._publish(job)
        lane.pending.append(_Entry(job.id, job, check))
        lane.wake.set()
        return job, True

    @staticmethod
    def _repeat(first: Job, key: str, digest: bytes) -> Job:
        if first.request_hash != digest:
            raise IdempotencyConflict(
                f"Idempotency-Key {key!r} was used for a different "
                f"job ({first.id}); use a new key for a new receipt.",
                job=first,
            )
        return first

    def _run_lane(self, lane: _Lane) -> None:
        lane.task = asyncio.create_task(self._work(lane), name=f"print:{lane.printer_id}")

    async def _close_lane(self, lane: _Lane) -> None:
        """End a removed printer's worker; its jobs stay stored as they are."""
        lane.stop.set()
        lane.wake.set()
        for entry in lane.pending:
            self._drop_check(entry)
        if lane.task is not None:
            _, late = await asyncio.wait([lane.task], timeout=STOP_GRACE_S)
            for task in late:
                task.cancel()
            await asyncio.gather(lane.task, return_exceptions=True)
        if lane.finishing is not None:
            await asyncio.gather(lane.finishing, return_exceptions=True)

    def _early_check(self, lane: _Lane) -> _StatusCheck | None:
        """Ask an idle printer for its status while the job is being stored (module docstring)."""
        if lane.pending or self._stopping:
            return None  # the worker is busy: it asks when this job's turn comes
        task = asyncio.create_task(
            self._ready_printer(lane.printer_id), name=f"print:{lane.printer_id}:status"
        )
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)
        return _StatusCheck(task, lane.sent, asyncio.get_running_loop().time())

    def _publish(self, job: Job) -> None:
        self._bus.publish("job", {"job": job.to_wire()})

    def _device_changed(self, slot: DeviceSlot, what: str) -> None:
        lane = self._lanes.get(slot.device_id)
        if lane is not None:
            lane.wake.set()

    async def _work(self, lane: _Lane) -> None:
        """The lane's worker: one turn after another until it is stopped.

        An unexpected error (the store, a driver bug) is logged, shown as a ``device`` event and
        waited out with backoff; the turn is then taken again from the job's stored state.
        """
        failures = 0
        while not lane.stop.is_set():
            try:
                await self._turn(lane)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                delay = min(LANE_RETRY_CAP_S, LANE_RETRY_BASE_S * 2 ** min(failures - 1, 8))
                if failures == 1:
                    log.exception("print.lane_error", printer=lane.printer_id, retry_in_s=delay)
                else:
                    log.warning(
                        "print.lane_error_again",
                        printer=lane.printer_id,
                        failures=failures,
                        error=str(exc),
                    )
                self._bus.publish(
                    "device",
                    {
                        "device": lane.printer_id,
                        "event": "print_queue_error",
                        "message": f"printing stalled on an internal error ({exc}); "
                        f"retrying in {delay:g} s",
                        "failures": failures,
                    },
                )
                try:
                    await asyncio.wait_for(lane.stop.wait(), delay)
                except TimeoutError:
                    pass
            else:
                failures = 0

    async def _turn(self, lane: _Lane) -> None:
        """Wait for work, or take the first job one step: skip it, park it waiting, or print it."""
        if not lane.pending:
            lane.wake.clear()
            await lane.wake.wait()
            return
        lane.wake.clear()  # news from now on wakes a wait below
        entry = lane.pending[0]
        job, entry.job = entry.job, None  # as inserted; a later attempt reads it again
        if job is None:
            job = await self.jobs.get(entry.job_id)
        if job is None or job.state not in OPEN_STATES:
            self._drop_check(entry)
            lane.pending.popleft()
            return
        printer, blocked = await self._readiness(lane, entry)
        await self._finished(lane)
        if printer is None:
            assert blocked is not None
            if not await self._set(job, "waiting", OPEN_STATES, blocked):
                lane.pending.popleft()  # cancelled while its status was asked
                return
            await self._wait_news(lane)
        elif await self._send(job, printer, lane):
            lane.pending.popleft()
        else:
            await self._wait_news(lane)  # the printer refused it unsent: not again at once

    async def _wait_news(self, lane: _Lane) -> None:
        """Until the printer's status changes (or ``recheck_s``): a waiting job's pause."""
        try:
            await asyncio.wait_for(lane.wake.wait(), self._recheck_s)
        except TimeoutError:
            pass

    async def _readiness(self, lane: _Lane, entry: _Entry) -> Readiness:
        """The status asked alongside the job's insert if still fresh, else a new query."""
        check, entry.check = entry.check, None
        if check is not None:
            if check.sent == lane.sent:
                result = await check.task
                age = asyncio.get_running_loop().time() - check.started
                if age <= STATUS_MAX_AGE_S:
                    return result
            else:
                check.discard()
        return await self._ready_printer(lane.printer_id)

    @staticmethod
    def _drop_check(entry: _Entry) -> None:
        if entry.check is not None:
            entry.check.discard()
            entry.check = None

    async def _ready_printer(self, printer_id: str) -> Readiness:
        slot = self._devices.get(printer_id)
        device = slot.device if slot is not None else None
        if slot is None or not slot.online or not isinstance(device, Printer):
            state = slot.state if slot is not None else "missing"
            return None, PrinterOffline(f"printer {printer_id} is not connected ({state})")
        try:
            status = await device.query_status()
        except DeviceNotReady as exc:
            return None, exc
        except DeviceError as exc:
            return None, PrinterOffline(str(exc))
        blocked = PrinterStatus.from_dict(status).not_ready_error(printer_id)
        return (None, blocked) if blocked is not None else (device, None)

    async def _send(self, job: Job, printer: Printer, lane: _Lane) -> bool:
        """Print one job; True when it left the lane (done or failed), False to wait and retry."""
        printing = await self.jobs.transition(
            job.id, "printing", only_from=OPEN_STATES, attempt=True
        )
        if printing is None:
            return True  # cancelled in the meantime
        lane.sent += 1
        self._publish(printing)
        try:
            await printer.write(job.payload)
        except PrintInterrupted as exc:
            log.warning("print.uncertain", job=job.id, printer=job.printer, error=str(exc))
            await self._set(printing, "failed", ("printing",), exc, reason="uncertain")
            return True
        except DeviceNotReady as exc:  # nothing of it went out: safe to send again later
            await self._set(printing, "waiting", ("printing",), exc)
            return False
        except DeviceError as exc:
            await self._set(printing, "failed", ("printing",), exc, reason=exc.code)
            return True
        except asyncio.CancelledError:
            raise  # left in printing: the next start marks it uncertain
        except Exception as exc:
            log.exception("print.failed", job=job.id, printer=job.printer)
            await self._set(printing, "failed", ("printing",), exc, reason="uncertain")
            return True
        lane.finishing = asyncio.create_task(
            self._record_done(printing), name=f"print:{lane.printer_id}:done"
        )
        return True

    async def _record_done(self, job: Job) -> None:
        try:
            await self._set(job, "done", ("printing",), None)
        except Exception:  # it stays printing, so the next start calls it uncertain
            log.exception("print.done_not_recorded", job=job.id, printer=job.printer)

    @staticmethod
    async def _finished(lane: _Lane) -> None:
        """Wait for the previous job's ``done`` commit (started when its last byte was taken)."""
        task, lane.finishing = lane.finishing, None
        if task is not None:
            await task

    async def _set(
        self,
        job: Job,
        state: str,
        only_from: tuple[str, ...],
        error: BaseException | None,
        *,
        reason: str | None = None,
    ) -> bool:
        """Move the job and announce it; False if it had left ``only_from`` (e.g. cancelled)."""
        if reason is None and isinstance(error, DeviceError) and state == "waiting":
            reason = waiting_reason(error)
        message = str(error) if error is not None else None
        if job.state == state and job.reason == reason and job.message == message:
            return True  # still waiting for the same thing: no new event
        updated = await self.jobs.transition(
            job.id, state, only_from=only_from, reason=reason, message=message
        )
        if updated is None:
            return False
        self._publish(updated)
        return True
