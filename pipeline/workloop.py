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

from pipeline import batch as stages
from pipeline import claims
from pipeline.batch import Context
from pipeline.claims import Claim
from pipeline.errors import SohoaError

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


@dataclass
class WorkerStats:
    """What one worker did."""

    worker: str
    done: int = 0
    failed: int = 0
    retried: int = 0
    lost: int = 0
    seconds: list[float] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Pages this worker finished one way or the other."""
        return self.done + self.failed + self.retried + self.lost


class LeaseLost(Exception):  # noqa: N818 - a signal, not an error
    """The lease expired and another worker holds the page."""


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


def work_page(ctx: Context, claim: Claim, opts: WorkerOptions) -> str:
    """Run every stage of one claimed page; return the outcome for :func:`claims.release`."""
    with Heartbeat(ctx, claim, opts.lease_seconds) as beat:
        try:
            stages.store_master(ctx, claim.page_id)
            result = stages.process_page(ctx, claim.page_id)
            if beat.lost.is_set() or not claims.holds(ctx.sessions, claim):
                raise LeaseLost
            stages.store_outputs(ctx, claim.page_id, result)
        except LeaseLost:
            return "lost"
        except SohoaError as exc:
            if exc.retryable:
                log.warning("page %s: retryable error %s", claim.page_id, exc.reason)
                return "retry"
            stages.mark_failed(ctx.sessions, claim.page_id, exc)
            return "failed"
    return "done"


def run_worker(
    ctx: Context,
    opts: WorkerOptions,
    *,
    worker: str | None = None,
    stop: threading.Event | None = None,
) -> WorkerStats:
    """Claim and process pages until stopped (or, with ``drain``, until none are left)."""
    stats = WorkerStats(worker or claims.worker_name())
    stop = stop or threading.Event()
    while not stop.is_set():
        if opts.max_pages is not None and stats.handled >= opts.max_pages:
            break
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
        for claim in got:
            _handle(ctx, claim, opts, stats)
    return stats


def _handle(ctx: Context, claim: Claim, opts: WorkerOptions, stats: WorkerStats) -> None:
    start = time.perf_counter()
    try:
        outcome = work_page(ctx, claim, opts)
    except Exception:  # noqa: BLE001 - an unknown error: the page goes back, attempts count
        log.exception("page %s: unexpected error", claim.page_id)
        outcome = "retry"
    took = time.perf_counter() - start
    if not claims.release(ctx.sessions, claim, outcome, took):
        outcome = "lost"
    counter = {"done": "done", "failed": "failed", "retry": "retried"}.get(outcome, "lost")
    setattr(stats, counter, getattr(stats, counter) + 1)
    stats.seconds.append(took)
