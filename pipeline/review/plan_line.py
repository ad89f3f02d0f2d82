"""Approved records of a phase, day by day, against the plan's straight line to its deadline.

The plan says a phase's records are digitised between its start and its deadline; the line a
manager compares against goes from nothing on the start day to every record of the phase on
the deadline. Every record is not known before the whole phase is scanned, so the total is
estimated from what was read so far: records per extracted page times the pages the
inventory (or the scanner, when more) declares. Days are local days in Việt Nam (UTC+7),
grouped by the database, not in Python (a phase can hold millions of records).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pipeline.db.models import Batch, Page, RecordRow, aware

if TYPE_CHECKING:
    from pipeline.phases import Phase

VN_OFFSET = timedelta(hours=7)


class PhaseCounts(Protocol):
    """What a phase's row of the dashboard counts (``dashboard.PhaseProgress``)."""

    inventory_pages: int
    scanned_pages: int
    extracted_pages: int
    records: int


@dataclass
class PlanCurve:
    """One phase: approvals to date, summed day by day, and its plan."""

    phase: str
    label: str
    today: date
    start: date
    deadline: date | None
    #: records the phase should hold when done (estimated while pages are still unread)
    target: int
    estimated: bool
    #: (day, approved records up to and including that day), one point per day with approvals
    points: list[tuple[date, int]] = field(default_factory=list)

    @property
    def approved(self) -> int:
        """Records approved so far."""
        return self.points[-1][1] if self.points else 0

    def planned(self, day: date) -> int | None:
        """Records the plan's line asks for by ``day`` (None without a deadline)."""
        if self.deadline is None:
            return None
        span = (self.deadline - self.start).days
        if span <= 0 or day >= self.deadline:
            return self.target if day >= self.start else 0
        share = min(1.0, max(0.0, (day - self.start).days / span))
        return round(self.target * share)

    @property
    def behind(self) -> int | None:
        """Records behind the plan's line today (negative: ahead); None without a deadline."""
        planned = self.planned(self.today)
        return None if planned is None else planned - self.approved

    @property
    def overdue_days(self) -> int:
        """Days past the deadline with records still missing (0 when not overdue)."""
        if self.deadline is None or self.today <= self.deadline or self.approved >= self.target:
            return 0
        return (self.today - self.deadline).days


def _local_day(s: Session) -> Any:
    """SQL for the Việt Nam day of ``records.approved_at`` (stored in UTC)."""
    if s.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Ho_Chi_Minh", RecordRow.approved_at))
    return func.date(RecordRow.approved_at, "+7 hours")


def approvals_by_day(s: Session, batch_ids: list[int]) -> list[tuple[date, int]]:
    """Cumulative approved records of the batches, by local day (days with approvals only)."""
    if not batch_ids:
        return []
    day = _local_day(s)
    stmt = (
        select(day, func.count())
        .select_from(RecordRow)
        .join(Page, Page.id == RecordRow.page_id)
        .where(RecordRow.approved_at.is_not(None), Page.batch_id.in_(batch_ids))
        .group_by(day)
        .order_by(day)
    )
    total, out = 0, []
    for when, n in s.execute(stmt):
        total += int(n)
        out.append((when if isinstance(when, date) else date.fromisoformat(str(when)), total))
    return out


def _first_opened(s: Session, batch_ids: list[int]) -> date | None:
    first = s.scalar(select(func.min(Batch.created_at)).where(Batch.id.in_(batch_ids)))
    if first is None:
        return None
    if not isinstance(first, datetime):
        first = datetime.fromisoformat(str(first))
    return (aware(first).astimezone(UTC) + VN_OFFSET).date()


def target_records(p: PhaseCounts) -> tuple[int, bool]:
    """Records the phase will hold, and whether that is an estimate.

    Records read so far, scaled by the pages still to read (inventory or scanned, whichever
    is more) at the phase's own records per extracted page.
    """
    expected = max(p.inventory_pages, p.scanned_pages)
    if p.extracted_pages and expected > p.extracted_pages:
        return round(p.records * expected / p.extracted_pages), True
    return p.records, False


def plan_curve(
    s: Session, phase: Phase, progress: PhaseCounts, batch_ids: list[int], today: date
) -> PlanCurve | None:
    """The curve of one phase; None before any of its books was opened or read."""
    if not batch_ids or progress.records == 0:
        return None
    start = phase.start or _first_opened(s, batch_ids) or today
    target, estimated = target_records(progress)
    return PlanCurve(
        phase=phase.prefix,
        label=phase.label,
        today=today,
        start=start,
        deadline=phase.deadline,
        target=target,
        estimated=estimated,
        points=approvals_by_day(s, batch_ids),
    )
