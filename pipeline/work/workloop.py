"""The claim loop one worker process runs: claim a page, process it, release it.

Every step is idempotent (object keys are deterministic, rows are upserted, a stored master
is not stored again), so a page taken over from a dead worker is simply done again. A
heartbeat thread renews the lease while Tesseract works; a worker that lost its lease stops
before writing results. One worker process runs one Tesseract at a time: run as many
processes on a machine as it has cores, with ``OMP_THREAD_LIMIT=1``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError

from pipeline.db.models import Page
from pipeline.errors import SohoaError, StorageError
from pipeline.work import batch as stages
from pipeline.work import claims
from pipeline.work.batch import Context
from pipeline.work.claims import Claim, LeaseLost
from pipeline.work.joining import join_documents

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker claims: lease length, retries, when to stop."""

    lease_seconds: float = 120.0
    max_attempts: int = 3
    #: seconds between looks at an empty queue
    idle_poll: float = 5.0
    #: stop when the queue is empty (``--drain``) instead of waiting for more pages
    drain: bool = False
    #: stop after this many pages (None: no limit)
    max_pages: int | None = None
    batch_id: int | None = None
    #: seconds to wait after each retryable failure in a row (storage or database away)
    retry_delays: tuple[float, ...] = (2.0, 5.0, 15.0, 30.0)
    #: after more retryable failures in a row than ``retry_delays`` has, stop and raise
    #: :class:`StorageUnavailable` (``sohoa ingest``); otherwise keep waiting at the last
    #: delay (a station's ``sohoa worker``)
    give_up: bool = False


class StorageUnavailable(StorageError):
    """Storage or the database stayed unreachable through every retry; pages stay queued."""

    reason = "storage_unavailable"


@dataclass
class WorkerStats:
    """What one worker did."""

    worker: str
    done: int = 0
    failed: int = 0
    retried: int = 0
    lost: int = 0
    seconds: list[float] = field(default_factory=list)
    #: the last retryable error, for the message when the worker gives up
    last_error: SohoaError | None = None

    @property
    def handled(self) -> int:
        """Pages this worker finished one way or the other."""
        return self.done + self.failed + self.retried + self.lost


class Heartbeat:
    """Renews a claim's lease every third of its length until stopped."""

    def __init__(self, ctx: Context, claim: Claim, lease_seconds: float) -> None:
        """Remember what to renew; start with :meth:`__enter__`."""
        self.ctx, self.claim, self.lease = ctx, claim, lease_seconds
        self.stop, self.lost = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="lease")

    def _run(self) -> None:
        while not self.stop.wait(self.lease / 3):
            try:
                if not claims.renew_lease(self.ctx.sessions, self.claim, self.lease):
                    self.lost.set()
                    return
            except Exception:  # noqa: BLE001 - a missed renewal is not fatal; the next may work
                log.warning("lease renewal of page %s failed", self.claim.page_id, exc_info=True)

    def __enter__(self) -> Heartbeat:
        """Start renewing."""
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop renewing."""
        self.stop.set()
        self.thread.join()


def work_page(
    ctx: Context, claim: Claim, opts: WorkerOptions, stats: WorkerStats | None = None
) -> str:
    """Run every stage of one claimed page; return the outcome for :func:`claims.release`.

    A retryable error (storage, database) puts the page back; any other error — ours or
    a library's — fails this page alone, with its reason, so a bad page never blocks the
    pages after it nor comes back for ever.
    """
    with Heartbeat(ctx, claim, opts.lease_seconds) as beat:
        try:
            stages.store_master(ctx, claim.page_id)
            result = stages.process_page(ctx, claim.page_id)
            if beat.lost.is_set() or not claims.holds(ctx.sessions, claim):
                raise LeaseLost
            stages.store_outputs(ctx, claim.page_id, result, claim)
        except LeaseLost:
            return "lost"
        except Exception as exc:  # noqa: BLE001 - classified below, never lost
            error = classify(exc)
            if error.retryable:
                log.warning("page %s: retryable error %s", claim.page_id, error.reason)
                if stats is not None:
                    stats.last_error = error
                return "retry"
            if not isinstance(exc, SohoaError):
                log.error("page %s failed: %s", claim.page_id, type(exc).__name__, exc_info=exc)
            try:
                stages.mark_failed(ctx.sessions, claim.page_id, error, claim)
            except LeaseLost:
                return "lost"
            return "failed"
    return "done"


def classify(exc: BaseException) -> SohoaError:
    """Our error for any exception a page stage raised.

    Database trouble (locked, connection lost) is retryable like storage trouble; anything
    else not ours is a page that cannot be processed: ``unexpected_error`` with the
    exception's type (not its message, which may quote the page's content).
    """
    if isinstance(exc, SohoaError):
        return exc
    if isinstance(exc, OperationalError | InterfaceError):
        err = StorageError("Cơ sở dữ liệu tạm thời không truy cập được", reason="database")
        err.detail = type(exc).__name__
        return err
    if isinstance(exc, MemoryError):
        return SohoaError("Trang quá lớn, không đủ bộ nhớ để xử lý", reason="out_of_memory")
    return SohoaError(
        f"Lỗi không lường trước khi xử lý trang ({type(exc).__name__}); "
        "trang được đánh dấu lỗi, các trang khác vẫn tiếp tục",
        reason="unexpected_error",
        detail=type(exc).__name__,
    )


def run_worker(
    ctx: Context,
    opts: WorkerOptions,
    *,
    worker: str | None = None,
    stop: threading.Event | None = None,
) -> WorkerStats:
    """Claim and process pages until stopped (or, with ``drain``, until none are left).

    Raises:
        StorageUnavailable: with ``give_up``, storage or the database failed more times in
            a row than there are retry delays; the pages it could not finish stay queued.
    """
    stats = WorkerStats(worker or claims.worker_name())
    stop = stop or threading.Event()
    failures = 0  # retryable failures in a row
    while not stop.is_set():
        if opts.max_pages is not None and stats.handled >= opts.max_pages:
            break
        try:
            got = claims.claim_pages(
                ctx.sessions,
                stats.worker,
                lease_seconds=opts.lease_seconds,
                max_attempts=opts.max_attempts,
                batch_id=opts.batch_id,
            )
            if not got:
                if opts.drain and claims.backlog(ctx.sessions, opts.batch_id) == 0:
                    break
                stop.wait(opts.idle_poll)
                continue
        except (OperationalError, InterfaceError) as exc:
            stats.last_error, outcomes = classify(exc), ["retry"]
        else:
            outcomes = [_handle(ctx, claim, opts, stats) for claim in got]
            _join_finished(ctx, [c for c, o in zip(got, outcomes, strict=True) if o == "done"])
        failures = failures + 1 if "retry" in outcomes and "done" not in outcomes else 0
        if failures:
            _back_off(opts, failures, stats, stop)
    return stats


def _join_finished(ctx: Context, done: list[Claim]) -> None:
    """Join the documents of each batch whose last page was just read (see joining.py)."""
    if not done:
        return
    try:
        with ctx.sessions() as s:
            ids = s.scalars(
                select(Page.batch_id).where(Page.id.in_([c.page_id for c in done])).distinct()
            ).all()
        for batch_id in ids:
            if claims.backlog(ctx.sessions, batch_id) == 0:
                join_documents(ctx, batch_id)
    except Exception:  # noqa: BLE001 - the pages are read; the join runs again next time
        log.exception("joining the documents of a batch failed; it is tried again later")


def _back_off(
    opts: WorkerOptions, failures: int, stats: WorkerStats, stop: threading.Event
) -> None:
    if opts.give_up and failures > len(opts.retry_delays):
        last = stats.last_error
        raise StorageUnavailable(
            "Kho lưu trữ hoặc cơ sở dữ liệu không truy cập được sau nhiều lần thử; "
            "các trang chưa xong vẫn nằm trong hàng đợi — chạy lại lệnh sau",
            detail=last.reason if last else "",
        )
    delays = opts.retry_delays or (1.0,)
    wait = delays[min(failures, len(delays)) - 1]
    log.warning(
        "worker %s: retryable failure %d in a row, waiting %.0fs", stats.worker, failures, wait
    )
    stop.wait(wait)


def _handle(ctx: Context, claim: Claim, opts: WorkerOptions, stats: WorkerStats) -> str:
    start = time.perf_counter()
    try:
        outcome = work_page(ctx, claim, opts, stats)
    except Exception:  # noqa: BLE001 - the failure itself failed (DB away): the page goes back
        log.exception("page %s: could not record the outcome", claim.page_id)
        outcome = "retry"
    took = time.perf_counter() - start
    try:
        if not claims.release(ctx.sessions, claim, outcome, took):
            outcome = "lost"
    except (OperationalError, InterfaceError) as exc:  # lease runs out; another worker takes it
        stats.last_error, outcome = classify(exc), "retry"
    counter = {"done": "done", "failed": "failed", "retry": "retried"}.get(outcome, "lost")
    setattr(stats, counter, getattr(stats, counter) + 1)
    stats.seconds.append(took)
    return outcome
