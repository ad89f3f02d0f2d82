"""A register page as one table: every entry × every column, approved together.

Most pages of old books are register pages: ten or more entries, each a record (one entry =
one record stays the data model). The clerk reviews them as a spreadsheet beside the page
image; "approve page" approves every open entry of the page at once, and only when every
flagged cell was seen and every value passes its validator — nothing is written before all
of them do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import FieldRow, RecordRow
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore
from pipeline.review.approve import (
    ApproveOutcome,
    approve_record,
    decide_values,
    is_reviewable,
    looked_at,
    unseen_fields,
)
from pipeline.review.queue import FieldView, LockState, RecordView, acquire_lock, load_record
from schemas.enums import RecordStatus


@dataclass
class GridView:
    """The entries of one page with the union of their columns, in reading order."""

    page_id: int
    records: list[RecordView]
    columns: list[str]
    #: entries this clerk may edit (open for review and locked for them)
    editable: set[int] = field(default_factory=set)
    #: entries another clerk holds: (record id, lock)
    locked: dict[int, LockState] = field(default_factory=dict)

    @property
    def head(self) -> RecordView:
        """The first entry (the page, book and preview come from it)."""
        return self.records[0]

    def cell(self, rec: RecordView, name: str) -> FieldView | None:
        """The field of an entry under a column (None when the entry has no such field)."""
        return next((f for f in rec.fields if f.name == name), None)


def page_entries(sessions: sessionmaker[Session], page_id: int) -> list[int]:
    """The ids of a page's records, in entry order (replaced ones left out)."""
    with sessions() as s:
        return list(
            s.scalars(
                select(RecordRow.id)
                .where(
                    RecordRow.page_id == page_id,
                    RecordRow.status != RecordStatus.superseded.value,
                )
                .order_by(RecordRow.entry_index, RecordRow.id)
            )
        )


def load_grid(
    sessions: sessionmaker[Session], page_id: int, user_id: int, *, lock_minutes: int = 15
) -> GridView | None:
    """The page's entries, locked for this clerk where they are open; None without entries."""
    records = [v for rid in page_entries(sessions, page_id) if (v := load_record(sessions, rid))]
    if not records:
        return None
    columns: list[str] = []
    for rec in records:
        columns += [f.name for f in rec.fields if f.name not in columns]
    view = GridView(page_id, records, columns)
    for rec in records:
        if not is_reviewable(rec.status):
            continue
        lock = acquire_lock(sessions, rec.id, user_id, minutes=lock_minutes)
        if lock.ok:
            view.editable.add(rec.id)
        else:
            view.locked[rec.id] = lock
    return view


@dataclass
class GridOutcome:
    """What "approve page" did: the entries approved, or the errors per entry and cell."""

    ok: bool
    approved: list[int] = field(default_factory=list)
    errors: dict[int, dict[str, str]] = field(default_factory=dict)
    message: str = ""


def approve_grid(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    view: GridView,
    user_id: int,
    cells: dict[int, dict[str, str]],
    accepted: dict[int, set[str]],
    seen: dict[int, set[str]],
    *,
    plan: PhasePlan | None = None,
    lock_minutes: int = 15,
) -> GridOutcome:
    """Approve every editable entry of the page, or none when any cell is not ready.

    Each entry is checked as :func:`approve_record` would check it (validators, flagged cells
    seen, confirmed or typed over: :func:`looked_at`) before the first is written; then
    each is approved in turn (its own version, audit events and phase).
    """
    errors: dict[int, dict[str, str]] = {}
    for rec in view.records:
        if rec.id not in view.editable:
            continue
        rows = _field_rows(sessions, rec.id)
        typed, acc = cells.get(rec.id, {}), accepted.get(rec.id, set())
        _values, bad = decide_values(rows, typed, acc, year_hint=_year(rec))
        bad.update(unseen_fields(rows, looked_at(rows, typed, seen.get(rec.id, set()), acc)))
        if bad:
            errors[rec.id] = bad
    if errors:
        return GridOutcome(False, errors=errors, message="Có ô chưa hợp lệ hoặc chưa xem")
    done: list[int] = []
    for rec in view.records:
        if rec.id not in view.editable:
            continue
        out: ApproveOutcome = approve_record(
            sessions,
            store,
            rec.id,
            user_id,
            cells.get(rec.id, {}),
            accepted.get(rec.id, set()),
            lock_minutes=lock_minutes,
            seen=seen.get(rec.id, set()),
            plan=plan,
        )
        if not out.ok:
            msg = f"Dòng {rec.entry_index + 1}: {out.message}"
            return GridOutcome(False, approved=done, errors={rec.id: out.errors}, message=msg)
        done.append(rec.id)
    return GridOutcome(True, approved=done)


def _field_rows(sessions: sessionmaker[Session], record_id: int) -> list[FieldRow]:
    with sessions() as s:
        rows = list(s.scalars(select(FieldRow).where(FieldRow.record_id == record_id)))
        s.expunge_all()
    return rows


def _year(rec: RecordView) -> int | None:
    """The entry's year, for two-digit years typed (from its registration date)."""
    reg = next((f.value for f in rec.fields if f.name == "ngay_dang_ky" and f.value), None)
    return int(reg[:4]) if reg and reg[:4].isdigit() else None
