"""Progress per phase, read from the database (never from Prefect's run history).

The counts are plain SQL that SQLite and PostgreSQL both run, so ``sohoa status`` can read
a SQLite database through the standard library alone (it starts in well under a second);
everything else goes through SQLAlchemy sessions (:func:`phase_status`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pipeline.phases import OUTSIDE_PREFIX, PhasePlan

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

KEYS = ("pages", "records", "needs_review", "held", "stored", "failed")

#: one query per count, each ``(phase, count)`` rows
COUNTS_SQL = {
    "pages": "SELECT phase, count(*) FROM pages GROUP BY phase",
    "failed": "SELECT phase, count(*) FROM pages WHERE status = 'failed' GROUP BY phase",
    "records": "SELECT phase, count(*) FROM records WHERE status <> 'superseded' GROUP BY phase",
    "stored": (
        "SELECT phase, count(*) FROM records WHERE object_key IS NOT NULL"
        " AND status <> 'superseded' GROUP BY phase"
    ),
    "held": "SELECT phase, count(*) FROM records WHERE status = 'held' GROUP BY phase",
    "needs_review": (
        "SELECT r.phase, count(*) FROM records r JOIN fields f ON f.record_id = r.id"
        " WHERE f.needs_review = TRUE AND r.status = 'needs_review' GROUP BY r.phase"
    ),
}

#: the pages a clerk held (pipeline/review/hold.py), oldest first
HELD_SQL = (
    "SELECT p.id, b.book_type, b.book, b.agency, COALESCE(p.book_page, p.seq), p.source_name,"
    " p.hold_kind, p.hold_reason FROM pages p JOIN batches b ON b.id = p.batch_id"
    " WHERE p.hold_kind IS NOT NULL ORDER BY p.hold_at, p.id"
)
HELD_KEYS = ("page_id", "book_type", "book", "agency", "page", "file", "kind", "reason")

#: runs one SQL string, returns its rows
Query = Callable[[str], Iterable[tuple[Any, ...]]]


def phase_status(sessions: sessionmaker[Session], plan: PhasePlan) -> dict[str, Any]:
    """Counts per phase through SQLAlchemy sessions (see :func:`phase_status_from`)."""
    from sqlalchemy import text

    with sessions() as s:
        return phase_status_from(lambda sql: s.execute(text(sql)).all(), plan)


def phase_status_from(query: Query, plan: PhasePlan) -> dict[str, Any]:
    """Counts per phase: pages, records, fields needing review, records stored, pages failed.

    Shape: ``{"phases": [{"phase", "years", "pages", ...}], "totals": {...}}``.
    """
    counts = {k: {str(p): int(n) for p, n in query(sql)} for k, sql in COUNTS_SQL.items()}
    rows = []
    names = [(p.prefix, p.years) for p in plan.phases] + [(OUTSIDE_PREFIX, "ngoài kế hoạch")]
    for prefix, years in names:
        row: dict[str, Any] = {"phase": prefix, "years": years}
        row.update({k: counts[k].get(prefix, 0) for k in KEYS})
        rows.append(row)
    totals = {k: sum(r[k] for r in rows) for k in KEYS}
    held = [dict(zip(HELD_KEYS, row, strict=True)) for row in query(HELD_SQL)]
    return {"phases": rows, "totals": totals, "held": held}
