"""What is behind and what is stuck, for the manager (issue 20, item 17).

Agencies ranked by how much of their inventory is done (who is behind first); pages that
failed, with their reasons; records held open by a clerk's lock, and for how long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Batch, Page, RecordLock, User
from pipeline.review.dashboard import BookProgress
from pipeline.review.queue import aware


@dataclass
class AgencyProgress:
    """One agency's books summed: inventory, done, backlog, and its rate."""

    agency: str
    books: int = 0
    inventory_pages: int = 0
    done_pages: int = 0
    records_to_review: int = 0
    failed_pages: int = 0

    @property
    def rate(self) -> float | None:
        """Done pages over the inventory's pages (None without inventory)."""
        return self.done_pages / self.inventory_pages if self.inventory_pages else None


def agencies(books: list[BookProgress]) -> list[AgencyProgress]:
    """Agencies, the furthest behind first (lowest rate; without inventory last)."""
    out: dict[str, AgencyProgress] = {}
    for b in books:
        a = out.setdefault(b.agency, AgencyProgress(b.agency))
        a.books += 1
        a.inventory_pages += b.inventory_pages
        a.done_pages += b.done_pages
        a.records_to_review += b.records_to_review
        a.failed_pages += b.failed_pages
    return sorted(out.values(), key=lambda a: (a.rate is None, a.rate or 0.0, a.agency))


@dataclass(frozen=True)
class FailedPage:
    """A page that failed, with its reason in words."""

    page_id: int
    agency: str
    book_type: str
    book: str
    source_name: str
    reason: str


@dataclass(frozen=True)
class HeldLock:
    """A record open for a clerk: who, since when, until when."""

    record_id: int
    username: str
    since: datetime | None
    until: datetime | None


def failed_pages(sessions: sessionmaker[Session], *, limit: int = 100) -> list[FailedPage]:
    """The pages that failed, newest batches first, with their reasons."""
    with sessions() as s:
        rows = s.execute(
            select(Page, Batch)
            .join(Batch, Batch.id == Page.batch_id)
            .where(Page.status == "failed")
            .order_by(Batch.id.desc(), Page.seq)
            .limit(limit)
        ).all()
    return [
        FailedPage(
            p.id,
            b.agency,
            b.book_type,
            b.book,
            p.source_name,
            p.error_message or p.error_reason or "",
        )
        for p, b in rows
    ]


def held_locks(sessions: sessionmaker[Session]) -> list[HeldLock]:
    """Records a clerk holds open now (locks not yet expired), the oldest first."""
    now = datetime.now(UTC)
    with sessions() as s:
        rows = s.execute(
            select(RecordLock, User.username)
            .join(User, User.id == RecordLock.user_id)
            .where(RecordLock.expires_at > now)
            .order_by(RecordLock.acquired_at)
        ).all()
    return [
        HeldLock(lock.record_id, name, aware(lock.acquired_at), aware(lock.expires_at))
        for lock, name in rows
    ]
