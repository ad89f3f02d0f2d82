"""The records a clerk approved, and reopening one approved wrongly (issue 20, item 15).

A clerk sees the records they approved, newest first, and may reopen one with a reason: the
record goes back to review (an audit event with the reason), the next approval writes a new
version — the approved version stays in the store. A manager may reopen any approved or
auto-accepted record.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Batch, FieldRow, Page, RecordRow, ReviewEvent
from schemas.enums import RecordStatus

_REOPENABLE = (RecordStatus.approved.value, RecordStatus.auto_accepted.value)


@dataclass(frozen=True)
class Approved:
    """A record a clerk approved, for their list."""

    id: int
    name: str
    book_type: str
    book: str
    page: int
    approved_at: datetime | None
    version: int


def approved_by(
    sessions: sessionmaker[Session], user_id: int, *, limit: int = 100
) -> list[Approved]:
    """The records this clerk approved, newest first, with the person's name."""
    name = (
        select(FieldRow.value)
        .where(FieldRow.record_id == RecordRow.id, FieldRow.name.in_(("ho_ten", "trich_yeu")))
        .limit(1)
        .correlate(RecordRow)
        .scalar_subquery()
    )
    with sessions() as s:
        rows = s.execute(
            select(RecordRow, Batch, Page, name)
            .join(Page, Page.id == RecordRow.page_id)
            .join(Batch, Batch.id == Page.batch_id)
            .where(
                RecordRow.approved_by == user_id,
                RecordRow.status == RecordStatus.approved.value,
            )
            .order_by(RecordRow.approved_at.desc(), RecordRow.id.desc())
            .limit(limit)
        ).all()
    return [
        Approved(r.id, n or "", b.book_type, b.book, p.book_page or p.seq, r.approved_at, r.version)
        for r, b, p, n in rows
    ]


def reopen(
    sessions: sessionmaker[Session], record_id: int, user_id: int, *, manager: bool, reason: str
) -> str | None:
    """Send an approved record back to review; None when done, else why not (Vietnamese)."""
    why = " ".join(unicodedata.normalize("NFC", reason).split())[:500]
    if not why:
        return "Ghi lý do mở lại (ví dụ: gõ nhầm ngày đăng ký)"
    with sessions.begin() as s:
        rec = s.get(RecordRow, record_id)
        if rec is None:
            return "Không có hồ sơ này"
        if rec.status not in _REOPENABLE:
            return "Chỉ mở lại được hồ sơ đã duyệt hoặc đã tự chấp nhận"
        if not manager and rec.approved_by != user_id:
            return "Chỉ người đã duyệt (hoặc quản lý) mới mở lại được hồ sơ này"
        done = s.execute(
            update(RecordRow)
            .where(RecordRow.id == record_id, RecordRow.status == rec.status)
            .values(status=RecordStatus.needs_review.value)
        )
        if getattr(done, "rowcount", 0) != 1:
            return "Hồ sơ vừa được thay đổi ở nơi khác; tải lại"
        s.add(
            ReviewEvent(
                record_id=record_id,
                user_id=user_id,
                action="reopen",
                old_value=rec.status,
                new_value=why,
                at=datetime.now(UTC),
            )
        )
    return None
