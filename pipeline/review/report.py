"""Progress per phase, read from the database (never from Prefect's run history)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import FieldRow, Page, RecordRow
from pipeline.phases import OUTSIDE_PREFIX, PhasePlan

KEYS = ("pages", "records", "needs_review", "stored", "failed")


def _grouped(s: Session, stmt: Any) -> dict[str, int]:
    return {str(k): int(v) for k, v in s.execute(stmt).all()}


def phase_status(sessions: sessionmaker[Session], plan: PhasePlan) -> dict[str, Any]:
    """Counts per phase: pages, records, fields needing review, records stored, pages failed.

    Shape: ``{"phases": [{"phase", "years", "pages", ...}], "totals": {...}}``.
    """
    with sessions() as s:
        counts = {
            "pages": _grouped(s, select(Page.phase, func.count()).group_by(Page.phase)),
            "failed": _grouped(
                s,
                select(Page.phase, func.count())
                .where(Page.status == "failed")
                .group_by(Page.phase),
            ),
            "records": _grouped(s, select(RecordRow.phase, func.count()).group_by(RecordRow.phase)),
            "stored": _grouped(
                s,
                select(RecordRow.phase, func.count())
                .where(RecordRow.object_key.is_not(None))
                .group_by(RecordRow.phase),
            ),
            "needs_review": _grouped(
                s,
                select(RecordRow.phase, func.count())
                .join(FieldRow, FieldRow.record_id == RecordRow.id)
                .where(FieldRow.needs_review.is_(True), RecordRow.status == "needs_review")
                .group_by(RecordRow.phase),
            ),
        }
    rows = []
    names = [(p.prefix, p.years) for p in plan.phases] + [(OUTSIDE_PREFIX, "ngoài kế hoạch")]
    for prefix, years in names:
        row: dict[str, Any] = {"phase": prefix, "years": years}
        row.update({k: counts[k].get(prefix, 0) for k in KEYS})
        rows.append(row)
    totals = {k: sum(r[k] for r in rows) for k in KEYS}
    return {"phases": rows, "totals": totals}
