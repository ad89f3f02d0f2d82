"""Numbers of the manager's dashboard, read from the database.

A book belongs to the phase of its first declared year (as its masters and its inventory
line), so inventory, scanned, extracted and approved numbers of a phase count the same books.
Days are local days in Việt Nam (UTC+7).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import (
    Batch,
    FieldRow,
    InventoryBook,
    Page,
    RecordRow,
    ReviewEvent,
    User,
    aware,
)
from pipeline.phases import OUTSIDE_PREFIX, PhasePlan
from pipeline.review.plan_line import PlanCurve, plan_curve

VN_TZ = timezone(timedelta(hours=7))
RATE_DAYS = 14
CHART_DAYS = 30

BookKey = tuple[str, str, str]


@dataclass
class BookProgress:
    """One book: inventory against pages scanned, extracted and done, and its review backlog."""

    agency: str
    book_type: str
    book: str
    phase: str
    inventory_pages: int = 0
    in_inventory: bool = False
    scanned_pages: int = 0
    extracted_pages: int = 0
    failed_pages: int = 0
    pages_open: int = 0
    records: int = 0
    approved_records: int = 0
    records_to_review: int = 0
    fields_to_review: int = 0
    oldest_review: datetime | None = None
    #: the book's storage path (what the export button names), "" for an inventory-only book
    key_path: str = ""
    #: its fonds code (mã phông) when the inventory gives one
    fonds: str = ""

    @property
    def done_pages(self) -> int:
        """Extracted pages none of whose records still waits for review."""
        return max(0, self.extracted_pages - self.pages_open)


@dataclass
class PhaseProgress(BookProgress):
    """A phase: the sum of its books, with rates and the projected finish."""

    label: str = ""
    years: str = ""
    deadline: date | None = None
    inventory_books: int = 0
    scanned_books: int = 0
    done_books: int = 0
    pages_per_day: float = 0.0
    approvals_per_day: float = 0.0
    projected_finish: date | None = None

    @property
    def rate(self) -> float | None:
        """Digitisation rate: done pages over the inventory's pages (None without inventory)."""
        return self.done_pages / self.inventory_pages if self.inventory_pages else None

    @property
    def on_time(self) -> bool | None:
        """Whether the projected finish is on or before the deadline (None when unknown)."""
        if self.projected_finish is None or self.deadline is None:
            return None
        return self.projected_finish <= self.deadline


@dataclass
class ClerkStat:
    """What one reviewer did."""

    username: str
    approved: int = 0
    approved_week: int = 0
    fields_changed: int = 0
    last_at: datetime | None = None


@dataclass
class Dashboard:
    """Everything the dashboard page and its CSV show."""

    today: date
    phases: list[PhaseProgress]
    books: list[BookProgress]
    days: list[tuple[date, int, int]] = field(default_factory=list)
    clerks: list[ClerkStat] = field(default_factory=list)
    #: approvals against the plan's line, per phase with records (the chosen phase only)
    curves: list[PlanCurve] = field(default_factory=list)


def local_day(dt: datetime) -> date:
    """The day in Việt Nam of a UTC timestamp."""
    return aware(dt).astimezone(VN_TZ).date()


def _books(s: Session, plan: PhasePlan) -> tuple[dict[BookKey, BookProgress], dict[int, BookKey]]:
    books: dict[BookKey, BookProgress] = {}
    for inv in s.scalars(select(InventoryBook)):
        key = (inv.agency, inv.book_type, inv.book)
        books[key] = BookProgress(*key, phase=inv.phase, inventory_pages=inv.estimated_pages)
        books[key].in_inventory = True
        books[key].fonds = (inv.archival or {}).get("fonds", "")
    batch_book: dict[int, BookKey] = {}
    for b in s.scalars(select(Batch)):
        key = (b.agency, b.book_type, b.book)
        batch_book[b.id] = key
        if key not in books:
            books[key] = BookProgress(*key, phase=plan.prefix_for_year(b.year_from))
        if b.book_row is not None:
            books[key].key_path = b.book_row.key_path
    return books, batch_book


def _count_pages(
    s: Session, books: dict[BookKey, BookProgress], batch_book: dict[int, BookKey]
) -> None:
    stmt = select(
        Page.batch_id,
        func.count(Page.master_key),
        func.sum(case((Page.status == "processed", 1), else_=0)),
        func.sum(case((Page.status == "failed", 1), else_=0)),
    ).group_by(Page.batch_id)
    for batch_id, scanned, extracted, failed in s.execute(stmt):
        b = books[batch_book[batch_id]]
        b.scanned_pages += int(scanned or 0)
        b.extracted_pages += int(extracted or 0)
        b.failed_pages += int(failed or 0)
    open_pages = (
        select(Page.batch_id, func.count(func.distinct(Page.id)))
        .join(RecordRow, RecordRow.page_id == Page.id)
        .where(RecordRow.status == "needs_review")
        .group_by(Page.batch_id)
    )
    for batch_id, n in s.execute(open_pages):
        books[batch_book[batch_id]].pages_open += int(n)


def _count_records(
    s: Session, books: dict[BookKey, BookProgress], batch_book: dict[int, BookKey]
) -> None:
    review = RecordRow.status == "needs_review"
    stmt = (
        select(
            Page.batch_id,
            func.count(RecordRow.id),
            func.sum(case((RecordRow.status == "approved", 1), else_=0)),
            func.sum(case((review, 1), else_=0)),
            func.min(case((review, RecordRow.created_at), else_=None)),
        )
        .join(Page, Page.id == RecordRow.page_id)
        .where(RecordRow.status != "superseded")  # replaced by its regrouped document's
        .group_by(Page.batch_id)
    )
    for batch_id, n, approved, to_review, oldest in s.execute(stmt):
        b = books[batch_book[batch_id]]
        b.records += int(n)
        b.approved_records += int(approved or 0)
        b.records_to_review += int(to_review or 0)
        if oldest is not None:
            oldest = aware(oldest) if isinstance(oldest, datetime) else _parse_ts(oldest)
            b.oldest_review = min(filter(None, (b.oldest_review, oldest)))
    fields = (
        select(Page.batch_id, func.count(FieldRow.id))
        .join(RecordRow, RecordRow.page_id == Page.id)
        .join(FieldRow, FieldRow.record_id == RecordRow.id)
        .where(review, FieldRow.needs_review.is_(True))
        .group_by(Page.batch_id)
    )
    for batch_id, n in s.execute(fields):
        books[batch_book[batch_id]].fields_to_review += int(n)


def _parse_ts(value: object) -> datetime:
    """SQLite returns an aggregate over a datetime column as text."""
    return aware(datetime.fromisoformat(str(value)))


def _days(s: Session, batch_ids: list[int], today: date) -> list[tuple[date, int, int]]:
    since = datetime.combine(today - timedelta(days=CHART_DAYS - 1), datetime.min.time(), VN_TZ)
    pages: dict[date, int] = defaultdict(int)
    approved: dict[date, int] = defaultdict(int)
    stmt = select(Page.updated_at).where(
        Page.status == "processed", Page.updated_at >= since.astimezone(UTC)
    )
    rec = (
        select(RecordRow.approved_at)
        .join(Page, Page.id == RecordRow.page_id)
        .where(RecordRow.approved_at >= since.astimezone(UTC))
    )
    stmt = stmt.where(Page.batch_id.in_(batch_ids))
    rec = rec.where(Page.batch_id.in_(batch_ids))
    for (at,) in s.execute(stmt):
        pages[local_day(at)] += 1
    for (when,) in s.execute(rec):
        if when is not None:
            approved[local_day(when)] += 1
    days = [today - timedelta(days=i) for i in range(CHART_DAYS - 1, -1, -1)]
    return [(d, pages[d], approved[d]) for d in days]


def _clerks(s: Session, today: date) -> list[ClerkStat]:
    week = datetime.combine(today - timedelta(days=6), datetime.min.time(), VN_TZ)
    stmt = (
        select(
            User.username,
            func.sum(case((ReviewEvent.action == "approve", 1), else_=0)),
            func.sum(
                case(
                    (
                        (ReviewEvent.action == "approve")
                        & (ReviewEvent.at >= week.astimezone(UTC)),
                        1,
                    ),
                    else_=0,
                )
            ),
            func.sum(case((ReviewEvent.action == "edit", 1), else_=0)),
            func.max(ReviewEvent.at),
        )
        .join(User, User.id == ReviewEvent.user_id)
        .group_by(User.username)
        .order_by(User.username)
    )
    out = []
    for name, approved, week_n, edits, last in s.execute(stmt):
        last_at = aware(last) if isinstance(last, datetime) else (_parse_ts(last) if last else None)
        out.append(ClerkStat(name, int(approved or 0), int(week_n or 0), int(edits or 0), last_at))
    return out


def _phase_rows(plan: PhasePlan, books: list[BookProgress]) -> list[PhaseProgress]:
    phases = [
        PhaseProgress("", "", "", p.prefix, label=p.label, years=p.years, deadline=p.deadline)
        for p in plan.phases
    ]
    phases.append(
        PhaseProgress("", "", "", OUTSIDE_PREFIX, label="Ngoài kế hoạch", years="ngoài kế hoạch")
    )
    by_prefix = {p.phase: p for p in phases}
    sums = (
        "inventory_pages",
        "scanned_pages",
        "extracted_pages",
        "failed_pages",
        "pages_open",
        "records",
        "approved_records",
        "records_to_review",
        "fields_to_review",
    )
    for b in books:
        p = by_prefix.get(b.phase) or by_prefix[OUTSIDE_PREFIX]
        for k in sums:
            setattr(p, k, getattr(p, k) + getattr(b, k))
        p.inventory_books += b.in_inventory
        p.scanned_books += b.scanned_pages > 0
        p.done_books += b.scanned_pages > 0 and b.done_pages >= max(b.inventory_pages, 1)
        if b.oldest_review is not None:
            p.oldest_review = min(filter(None, (p.oldest_review, b.oldest_review)))
    return phases


def project_finish(p: PhaseProgress, today: date) -> date | None:
    """When the phase will be done at the pace of the last 14 days (None: no pace yet).

    Pages still to extract at the extraction pace, and records waiting for review at the
    approval pace; the later of the two is the finish.
    """
    to_extract = max(0, max(p.inventory_pages, p.scanned_pages) - p.extracted_pages)
    if to_extract == 0 and p.records_to_review == 0:
        return today if p.scanned_pages else None
    days = 0.0
    for left, pace in ((to_extract, p.pages_per_day), (p.records_to_review, p.approvals_per_day)):
        if left and pace <= 0:
            return None
        days = max(days, left / pace if left else 0.0)
    return today + timedelta(days=int(days + 0.999))


def build_dashboard(
    sessions: sessionmaker[Session], plan: PhasePlan, *, phase: str = "", today: date | None = None
) -> Dashboard:
    """Every number of the dashboard; ``phase`` narrows books, days and the chart to one phase."""
    today = today or datetime.now(VN_TZ).date()
    with sessions() as s:
        books, batch_book = _books(s, plan)
        _count_pages(s, books, batch_book)
        _count_records(s, books, batch_book)
        phases = _phase_rows(plan, list(books.values()))
        for p in phases:
            ids = [i for i, k in batch_book.items() if books[k].phase == p.phase]
            recent = _days(s, ids, today)[-RATE_DAYS:]
            p.pages_per_day = sum(d[1] for d in recent) / RATE_DAYS
            p.approvals_per_day = sum(d[2] for d in recent) / RATE_DAYS
            p.projected_finish = project_finish(p, today)
        chosen = [i for i, k in batch_book.items() if not phase or books[k].phase == phase]
        days = _days(s, chosen, today)
        clerks = _clerks(s, today)
        curves = _curves(s, plan, phases, batch_book, books, today, phase)
    rows = sorted(books.values(), key=lambda b: (b.phase, b.agency, b.book_type, b.book))
    if phase:
        rows = [b for b in rows if b.phase == phase]
    return Dashboard(today, phases, rows, days=days, clerks=clerks, curves=curves)


def _curves(
    s: Session,
    plan: PhasePlan,
    phases: list[PhaseProgress],
    batch_book: dict[int, BookKey],
    books: dict[BookKey, BookProgress],
    today: date,
    chosen: str,
) -> list[PlanCurve]:
    progress = {p.phase: p for p in phases}
    out = []
    for ph in plan.phases:
        if chosen and ph.prefix != chosen:
            continue
        ids = [i for i, k in batch_book.items() if books[k].phase == ph.prefix]
        curve = plan_curve(s, ph, progress[ph.prefix], ids, today)
        if curve is not None:
            out.append(curve)
    return out
