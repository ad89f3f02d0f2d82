"""A page nobody can read, or that must be scanned again: the clerk says so, the records wait.

In the review screen the clerk marks the record's page "không đọc được" (the ink is gone, the
page is torn) or "cần quét lại" (blurred, cut off, a fold over the text), with a reason in
their own words. The page's open records leave the review queue (status ``held``), each with
an audit event; the operator sees the page in ``sohoa status`` and at the scanning station,
and a manager (or ``sohoa rescans --release``) puts them back once the page is scanned again.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Batch, Page, RecordLock, RecordRow, ReviewEvent, User
from pipeline.review.approve import is_reviewable, read_only_message
from pipeline.review.queue import acquire_lock
from schemas.enums import BOOK_TYPE_VI, HOLD_KINDS, RecordStatus

#: The two kinds of hold, as the screens name them.
KINDS = HOLD_KINDS
MAX_REASON_CHARS = 500
#: Records a hold takes out of circulation (an approved record stays as approved).
_HOLDABLE = (RecordStatus.needs_review.value, RecordStatus.auto_accepted.value)


@dataclass(frozen=True)
class HeldPage:
    """A page a clerk held, for the operator's and the manager's lists."""

    page_id: int
    book: str
    page: int
    source_name: str
    kind: str
    reason: str
    by: str
    at: datetime | None
    records: int

    @property
    def kind_label(self) -> str:
        """The kind in plain words."""
        return KINDS.get(self.kind, self.kind)


def clean_reason(text: str) -> str:
    """The reason as stored: NFC, single spaces, at most :data:`MAX_REASON_CHARS`."""
    return " ".join(unicodedata.normalize("NFC", text).split())[:MAX_REASON_CHARS]


def hold_record(
    sessions: sessionmaker[Session],
    record_id: int,
    user_id: int,
    kind: str,
    reason: str,
    *,
    lock_minutes: int = 15,
) -> str | None:
    """Hold the page of a record and its open records; None when done, else why not (Vietnamese)."""
    if kind not in KINDS:
        return "Chọn: không đọc được, hoặc cần quét lại"
    why = clean_reason(reason)
    if not why:
        return "Ghi lý do (ví dụ: mất góc trang, chữ bị nhòe, ảnh bị mờ)"
    with sessions() as s:
        rec = s.get(RecordRow, record_id)
        if rec is None:
            return "Không có hồ sơ này"
        if not is_reviewable(rec.status):
            return read_only_message(rec.status)
        page_id = rec.page_id
    if not acquire_lock(sessions, record_id, user_id, minutes=lock_minutes).ok:
        return "Hồ sơ đang do người khác duyệt"
    now = datetime.now(UTC)
    with sessions.begin() as s:
        page = s.get_one(Page, page_id)
        page.hold_kind, page.hold_reason, page.hold_by, page.hold_at = kind, why, user_id, now
        held = list(
            s.scalars(
                select(RecordRow).where(
                    RecordRow.page_id == page_id, RecordRow.status.in_(_HOLDABLE)
                )
            )
        )
        for r in held:
            s.add(
                ReviewEvent(
                    record_id=r.id,
                    user_id=user_id,
                    action="hold",
                    field_name=None,
                    old_value=r.status,
                    new_value=f"{KINDS[kind]}: {why}",
                    at=now,
                )
            )
            r.status = RecordStatus.held.value
        s.execute(delete(RecordLock).where(RecordLock.record_id.in_([r.id for r in held])))
    return None


def release_hold(sessions: sessionmaker[Session], page_id: int, user_id: int | None) -> int | None:
    """Put a held page's records back in the review queue; how many (None: page not held)."""
    now = datetime.now(UTC)
    with sessions.begin() as s:
        page = s.get(Page, page_id)
        if page is None or page.hold_kind is None:
            return None
        page.hold_kind = page.hold_reason = None
        page.hold_by, page.hold_at = None, None
        held = list(
            s.scalars(
                select(RecordRow).where(
                    RecordRow.page_id == page_id, RecordRow.status == RecordStatus.held.value
                )
            )
        )
        for r in held:
            r.status = RecordStatus.needs_review.value
            s.add(
                ReviewEvent(
                    record_id=r.id,
                    user_id=user_id,
                    action="release",
                    old_value=RecordStatus.held.value,
                    new_value=r.status,
                    at=now,
                )
            )
    return len(held)


def held_pages(
    sessions: sessionmaker[Session],
    *,
    book: tuple[str, str, str] | None = None,
    limit: int = 200,
) -> list[HeldPage]:
    """The pages held now, oldest first, with their book and how many records wait.

    ``book``: only the pages of this book (agency, book type, book number).
    """
    query = (
        select(Page, Batch, User.username)
        .join(Batch, Batch.id == Page.batch_id)
        .outerjoin(User, User.id == Page.hold_by)
        .where(Page.hold_kind.is_not(None))
    )
    if book is not None:
        agency, book_type, number = book
        query = query.where(
            Batch.agency == agency, Batch.book_type == book_type, Batch.book == number
        )
    with sessions() as s:
        rows = s.execute(query.order_by(Page.hold_at, Page.id).limit(limit)).all()
        out = []
        for page, batch, username in rows:
            n = len(
                s.scalars(
                    select(RecordRow.id).where(
                        RecordRow.page_id == page.id, RecordRow.status == RecordStatus.held.value
                    )
                ).all()
            )
            out.append(
                HeldPage(
                    page.id,
                    f"{BOOK_TYPE_VI.get(batch.book_type, batch.book_type)} {batch.book}"
                    f" — {batch.agency}",
                    page.book_page or page.seq,
                    page.source_name,
                    page.hold_kind or "",
                    page.hold_reason or "",
                    username or "",
                    page.hold_at,
                    n,
                )
            )
    return out
