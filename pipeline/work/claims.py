"""Work claiming in the database: many workers on many machines, each page once.

A worker claims pages with a lease (``claimed_by``, ``lease_until`` on ``pages``). On
PostgreSQL the claim is ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED LIMIT n)``,
so concurrent workers never wait on, nor take, each other's rows; on SQLite the same single
``UPDATE … RETURNING`` runs inside ``BEGIN IMMEDIATE``, which serialises writers. A worker
renews its lease while it works; a dead worker's lease expires and another worker takes the
page. ``attempts`` counts claims and is the fencing token: renew and finish only succeed for
the claim that is current, so a worker that lost its page notices before writing results.
Leases use the database clock on PostgreSQL, so station clocks do not matter.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Page, PageRun

log = logging.getLogger(__name__)

#: page statuses a worker may claim (registered, or master already stored)
CLAIMABLE = ("pending", "stored")
GIVE_UP_VI = "Trang đã thử xử lý {n} lần mà không xong (máy xử lý dừng giữa chừng)"


class LeaseLost(Exception):  # noqa: N818 - a signal, not an error
    """The lease expired and another worker holds the page."""


@dataclass(frozen=True)
class Claim:
    """A page held by a worker: ``attempt`` is the fencing token of this claim."""

    page_id: int
    attempt: int
    worker: str
    run_id: int


def worker_name() -> str:
    """An id for this worker process: host and pid (no personal data)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def db_now(s: Session) -> datetime:
    """The database's clock on PostgreSQL (one clock for every station), else this machine's."""
    if s.get_bind().dialect.name == "postgresql":
        return s.scalar(select(func.now())) or datetime.now(UTC)
    return datetime.now(UTC)


def _begin_write(s: Session) -> None:
    """On SQLite take the write lock first, so the read inside the UPDATE is never stale."""
    if s.get_bind().dialect.name == "sqlite":
        s.connection().exec_driver_sql("BEGIN IMMEDIATE")


def _expired(now: datetime) -> ColumnElement[bool]:
    return or_(Page.claimed_by.is_(None), Page.lease_until < now)


def claim_pages(
    sessions: sessionmaker[Session],
    worker: str,
    *,
    limit: int = 1,
    lease_seconds: float = 120.0,
    max_attempts: int = 3,
    batch_id: int | None = None,
) -> list[Claim]:
    """Claim up to ``limit`` unclaimed (or lease-expired) pages, oldest first.

    Pages whose claims ran out ``max_attempts`` times (a page that kills its worker) are
    marked failed instead of being handed out again.
    """
    with sessions() as s:
        _begin_write(s)
        now = db_now(s)
        _give_up(s, now, max_attempts)
        pick = select(Page.id).where(Page.status.in_(CLAIMABLE), _expired(now))
        if batch_id is not None:
            pick = pick.where(Page.batch_id == batch_id)
        # pages claimed fewer times first: one that keeps failing does not block the rest
        pick = pick.order_by(Page.attempts, Page.id).limit(limit)
        pick = pick.with_for_update(skip_locked=True)
        rows = s.execute(
            update(Page)
            .where(Page.id.in_(pick.scalar_subquery()))
            .values(
                claimed_by=worker,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=Page.attempts + 1,
            )
            .returning(Page.id, Page.attempts)
            .execution_options(synchronize_session=False)
        ).all()
        runs = [PageRun(page_id=pid, worker=worker, attempt=n, started_at=now) for pid, n in rows]
        s.add_all(runs)
        s.commit()
        claims = [Claim(r.page_id, r.attempt, worker, r.id) for r in runs]
    if claims:
        log.info("worker %s claimed pages %s", worker, [c.page_id for c in claims])
    return sorted(claims, key=lambda c: c.page_id)


def _give_up(s: Session, now: datetime, max_attempts: int) -> None:
    stuck = s.execute(
        update(Page)
        .where(
            Page.status.in_(CLAIMABLE),
            Page.claimed_by.is_not(None),
            Page.lease_until < now,
            Page.attempts >= max_attempts,
        )
        .values(
            status="failed",
            error_reason="too_many_attempts",
            error_message=GIVE_UP_VI.format(n=max_attempts),
            claimed_by=None,
            lease_until=None,
        )
        .returning(Page.id)
        .execution_options(synchronize_session=False)
    ).all()
    if stuck:
        log.warning("gave up on pages %s after %d claims", [r[0] for r in stuck], max_attempts)


def _current(claim: Claim) -> ColumnElement[bool]:
    return and_(
        Page.id == claim.page_id,
        Page.claimed_by == claim.worker,
        Page.attempts == claim.attempt,
    )


def renew_lease(sessions: sessionmaker[Session], claim: Claim, lease_seconds: float) -> bool:
    """Extend the lease; False when the claim is no longer ours (it expired and was taken)."""
    with sessions() as s:
        _begin_write(s)
        now = db_now(s)
        done = s.execute(
            update(Page)
            .where(_current(claim), Page.status.in_(CLAIMABLE))
            .values(lease_until=now + timedelta(seconds=lease_seconds))
            .returning(Page.id)
            .execution_options(synchronize_session=False)
        ).all()
        s.commit()
        return bool(done)


def check_held(s: Session, claim: Claim) -> None:
    """Inside the transaction that writes a page's outcome: lock the row, raise if not ours.

    The final write and this check are one transaction (the row locked on PostgreSQL, the
    database on SQLite), so a worker whose lease was taken over writes nothing.
    """
    _begin_write(s)
    mine = s.scalar(select(Page.id).where(_current(claim)).with_for_update())
    if mine is None:
        raise LeaseLost


def holds(sessions: sessionmaker[Session], claim: Claim) -> bool:
    """Whether the claim is still current (checked before results are written)."""
    with sessions() as s:
        return s.scalar(select(func.count()).where(_current(claim))) == 1


def release(
    sessions: sessionmaker[Session], claim: Claim, outcome: str, seconds: float | None = None
) -> bool:
    """End the claim and log its outcome; False when another worker had taken the page.

    ``outcome`` is ``done`` or ``failed`` (the page's status is already final), ``retry``
    (a retryable error: the page goes back to the queue at once) or ``lost``.
    """
    with sessions() as s:
        _begin_write(s)
        now = db_now(s)
        ours = bool(
            s.execute(
                update(Page)
                .where(_current(claim))
                .values(claimed_by=None, lease_until=None)
                .returning(Page.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        run = s.get_one(PageRun, claim.run_id)
        run.outcome = outcome if ours else "lost"
        run.finished_at, run.seconds = now, seconds
        s.commit()
    if not ours:
        log.warning("worker %s lost page %s (lease taken over)", claim.worker, claim.page_id)
    return ours


def backlog(sessions: sessionmaker[Session], batch_id: int | None = None) -> int:
    """Pages still to process (claimed or not)."""
    with sessions() as s:
        q = select(func.count()).select_from(Page).where(Page.status.in_(CLAIMABLE))
        if batch_id is not None:
            q = q.where(Page.batch_id == batch_id)
        return s.scalar(q) or 0
