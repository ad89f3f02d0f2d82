"""The clerk's review queue, record locks and what the record view shows.

Framework-free: the web app calls these with a session factory and plain values.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import (
    Batch,
    FieldRow,
    InventoryBook,
    Page,
    RecordLock,
    RecordRow,
    ReviewEvent,
    User,
    aware,
)
from schemas.enums import RecordStatus

QUEUE_PAGE_SIZE = 50
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class QueueFilter:
    """Filters of the queue: phase prefix, agency code, book number (empty: all)."""

    phase: str = ""
    agency: str = ""
    book: str = ""
    #: search: a name, an entry number or a personal ID number, anywhere in the record
    q: str = ""


@dataclass(frozen=True)
class QueueItem:
    """One line of the queue."""

    record_id: int
    schema_name: str
    phase: str
    agency: str
    book_type: str
    book: str
    page_seq: int
    entry_index: int
    to_review: int
    created_at: datetime
    locked_by: str | None
    #: the person the record is about (or a document's summary)
    name: str = ""
    #: an entry of a register page (its line number means something; an extract's does not)
    register: bool = False


def is_register(page_kind: str | None) -> bool:
    """Is a page of this kind a register page ("so_khai_sinh"), whose records are its lines?"""
    return (page_kind or "").startswith("so_")


@dataclass(frozen=True)
class LockState:
    """Outcome of trying to lock a record."""

    ok: bool
    holder: str | None = None
    expires_at: datetime | None = None


@dataclass
class FieldView:
    """A field as the record view shows it."""

    id: int
    name: str
    value: str | None
    display: str
    raw: str
    confidence: float
    bbox: list[int] | None
    needs_review: bool
    provenance: list[str]
    suggestions: list[str] = field(default_factory=list)
    #: why each suggestion is offered, in plain words
    reasons: dict[str, str] = field(default_factory=dict)
    #: handwritten ink in the value ("viết tay" beside it)
    handwritten: bool = False
    #: other readers' readings where they disagreed (offered first)
    alternatives: list[str] = field(default_factory=list)
    #: read on another page of the record's document (its id, number, preview scale)
    other_page: tuple[int, int, float] | None = None


@dataclass
class EventView:
    """One audit event as shown on the record."""

    at: datetime
    username: str
    action: str
    field_name: str | None
    old_value: str | None
    new_value: str | None


@dataclass
class RecordView:
    """Everything the record view needs, read in one session."""

    id: int
    status: str
    schema_name: str
    phase: str
    version: int
    object_key: str | None
    agency: str
    book_type: str
    book: str
    page_id: int
    page_seq: int
    entry_index: int
    preview: bool
    preview_scale: float
    fields: list[FieldView]
    events: list[EventView]
    #: the record's document when it runs over pages: (page id, page number) of each page
    document_pages: list[tuple[int, int]] = field(default_factory=list)
    #: the page before the record's page in its batch, when it may be merged into its document
    previous_page: tuple[int, int] | None = None
    #: an entry of a register page (the screens then say which line, "dòng N")
    register: bool = False


def display_value(name: str, value: str | None, raw: str) -> str:
    """What the input shows: the checked value (dates as dd/mm/yyyy), else the OCR reading."""
    if value is None:
        return raw
    m = _ISO_DATE.fullmatch(value)
    if m and name.startswith("ngay_"):
        return f"{m[3]}/{m[2]}/{m[1]}"
    return value


def _filtered(stmt: Select[Any], flt: QueueFilter) -> Select[Any]:
    if flt.phase:
        stmt = stmt.where(RecordRow.phase == flt.phase)
    if flt.agency:
        stmt = stmt.where(Batch.agency == flt.agency)
    if flt.book:
        stmt = stmt.where(Batch.book == flt.book)
    if flt.q:
        stmt = stmt.where(_matches(flt.q))
    return stmt


#: Fields the queue's search looks in.
SEARCHED = (
    "ho_ten", "ho_ten_me", "ho_ten_cha", "ho_ten_vo", "ho_ten_chong", "nguoi_di_khai",
    "so", "so_dinh_danh", "so_dinh_danh_vo", "so_dinh_danh_chong", "so_ky_hieu", "trich_yeu",
)  # fmt: skip


def _matches(q: str) -> Any:
    """A record holding ``q`` in a searched field, however its case is written (NFC)."""
    text = unicodedata.normalize("NFC", " ".join(q.split()))
    variants = {text, text.upper(), text.lower(), text.title()}
    return (
        select(FieldRow.id)
        .where(
            FieldRow.record_id == RecordRow.id,
            FieldRow.name.in_(SEARCHED),
            or_(*[FieldRow.value.contains(v, autoescape=True) for v in sorted(variants)]),
        )
        .correlate(RecordRow)
        .exists()
    )


def _name_of() -> Any:
    """The record's person (or a document's summary), for the queue's name column."""
    return (
        select(FieldRow.value)
        .where(
            FieldRow.record_id == RecordRow.id,
            FieldRow.name.in_(("ho_ten", "ho_ten_chong", "trich_yeu")),
        )
        .order_by(FieldRow.name)
        .limit(1)
        .correlate(RecordRow)
        .scalar_subquery()
    )


def _queue_base(columns: list[Any]) -> Select[Any]:
    return (
        select(*columns)
        .select_from(RecordRow)
        .join(Page, Page.id == RecordRow.page_id)
        .join(Batch, Batch.id == Page.batch_id)
        .where(RecordRow.status == RecordStatus.needs_review.value)
    )


def queue_page(
    sessions: sessionmaker[Session], flt: QueueFilter, *, page: int = 0, size: int = QUEUE_PAGE_SIZE
) -> tuple[list[QueueItem], int]:
    """One page of the queue (oldest first) and the number of records in it."""
    to_review = (
        select(func.count())
        .where(FieldRow.record_id == RecordRow.id, FieldRow.needs_review.is_(True))
        .correlate(RecordRow)
        .scalar_subquery()
    )
    now = datetime.now(UTC)
    cols = [
        RecordRow.id,
        RecordRow.schema_name,
        RecordRow.phase,
        Batch.agency,
        Batch.book_type,
        Batch.book,
        func.coalesce(Page.book_page, Page.seq),
        RecordRow.entry_index,
        to_review,
        RecordRow.created_at,
        User.username,
        _name_of(),
        Page.kind,
    ]
    stmt = (
        _filtered(_queue_base(cols), flt)
        .outerjoin(
            RecordLock, and_(RecordLock.record_id == RecordRow.id, RecordLock.expires_at > now)
        )
        .outerjoin(User, User.id == RecordLock.user_id)
        .order_by(RecordRow.created_at, RecordRow.id)
        .limit(size)
        .offset(page * size)
    )
    count_stmt = _filtered(_queue_base([func.count()]), flt)
    if not (flt.agency or flt.book or flt.q):
        count_stmt = select(func.count()).where(
            RecordRow.status == RecordStatus.needs_review.value,
            *([RecordRow.phase == flt.phase] if flt.phase else []),
        )
    with sessions() as s:
        rows = s.execute(stmt).all()
        total = int(s.scalar(count_stmt) or 0)
    items = [
        QueueItem(
            *(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], int(r[8]), aware(r[9]), r[10]),
            name=r[11] or "",
            register=is_register(r[12]),
        )
        for r in rows
    ]
    return items, total


def queue_choices(
    sessions: sessionmaker[Session],
) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Agencies, and books with their agencies, that have batches (for the filter lists)."""
    with sessions() as s:
        agencies = list(s.scalars(select(Batch.agency).distinct().order_by(Batch.agency)))
        pairs = s.execute(
            select(Batch.book, Batch.agency).distinct().order_by(Batch.book, Batch.agency)
        ).all()
    books: dict[str, list[str]] = {}
    for book, agency in pairs:
        books.setdefault(book, []).append(agency)
    return agencies, list(books.items())


def agency_names(sessions: sessionmaker[Session]) -> dict[str, str]:
    """Agency code → the name the inventory gives it (agencies without one are left out)."""
    with sessions() as s:  # one name per agency (the latest in sort order when books differ)
        rows = s.execute(
            select(InventoryBook.agency, func.max(InventoryBook.agency_name))
            .where(InventoryBook.agency_name.is_not(None), InventoryBook.agency_name != "")
            .group_by(InventoryBook.agency)
        ).all()
    return {code: name for code, name in rows if name}


def next_record(sessions: sessionmaker[Session], flt: QueueFilter, user_id: int) -> int | None:
    """Oldest record of the queue that nobody else holds (the user's own lock counts as free).

    Records this user skipped ("Bỏ qua") come after every other: a skip is remembered (an
    audit event), so the skipped record does not come straight back and block the chain.
    """
    now = datetime.now(UTC)
    skipped = select(ReviewEvent.record_id).where(
        ReviewEvent.user_id == user_id, ReviewEvent.action == "skip"
    )
    stmt = (
        _filtered(_queue_base([RecordRow.id]), flt)
        .outerjoin(RecordLock, RecordLock.record_id == RecordRow.id)
        .where(
            or_(
                RecordLock.record_id.is_(None),
                RecordLock.expires_at <= now,
                RecordLock.user_id == user_id,
            )
        )
        .order_by(RecordRow.id.in_(skipped), RecordRow.created_at, RecordRow.id)
        .limit(1)
    )
    with sessions() as s:
        return s.scalar(stmt)


def acquire_lock(
    sessions: sessionmaker[Session], record_id: int, user_id: int, *, minutes: int
) -> LockState:
    """Lock a record for a user (or renew the user's lock); refuse when another holds it."""
    now = datetime.now(UTC)
    until = now + timedelta(minutes=minutes)
    try:
        with sessions.begin() as s:
            s.execute(
                delete(RecordLock).where(
                    RecordLock.record_id == record_id, RecordLock.expires_at <= now
                )
            )
            lock = s.get(RecordLock, record_id)
            if lock is not None and lock.user_id != user_id:
                holder = s.scalar(select(User.username).where(User.id == lock.user_id))
                return LockState(False, holder, aware(lock.expires_at))
            if lock is None:
                s.add(RecordLock(record_id=record_id, user_id=user_id, expires_at=until))
            else:
                lock.expires_at = until
    except IntegrityError:  # another clerk locked it between our read and write
        return LockState(False, None, None)
    return LockState(True, None, until)


def release_lock(
    sessions: sessionmaker[Session], record_id: int, user_id: int, *, skip: bool = False
) -> None:
    """Release a user's lock on a record (nothing when another holds it).

    ``skip``: the clerk skipped it ("Bỏ qua"): remembered as an audit event, so this clerk's
    next record is another one.
    """
    with sessions.begin() as s:
        s.execute(
            delete(RecordLock).where(
                RecordLock.record_id == record_id, RecordLock.user_id == user_id
            )
        )
        if skip and s.get(RecordRow, record_id) is not None:
            s.add(ReviewEvent(record_id=record_id, user_id=user_id, action="skip"))


def _field_view(f: FieldRow, others: dict[int, tuple[int, int, float]]) -> FieldView:
    return FieldView(
        id=f.id,
        name=f.name,
        value=f.value,
        display=display_value(f.name, f.value, f.raw),
        raw=f.raw,
        confidence=f.confidence,
        bbox=list(f.bbox) if f.bbox else None,
        needs_review=f.needs_review,
        provenance=list(f.provenance or []),
        handwritten=bool(f.handwritten),
        alternatives=list(f.alternatives or []),
        other_page=others.get(f.page_id) if f.page_id else None,
    )


def load_record(sessions: sessionmaker[Session], record_id: int) -> RecordView | None:
    """The record with its fields, page, book and audit trail; None when unknown."""
    with sessions() as s:
        row = s.execute(
            select(RecordRow, Page, Batch)
            .join(Page, Page.id == RecordRow.page_id)
            .join(Batch, Batch.id == Page.batch_id)
            .where(RecordRow.id == record_id)
        ).first()
        if row is None:
            return None
        rec, page, batch = row
        fields = s.scalars(
            select(FieldRow).where(FieldRow.record_id == record_id).order_by(FieldRow.id)
        ).all()
        others, grouping = _other_pages(s, [f.page_id for f in fields]), _grouping(s, page)
        events = s.execute(
            select(ReviewEvent, User.username)
            .outerjoin(User, User.id == ReviewEvent.user_id)
            .where(ReviewEvent.record_id == record_id)
            .order_by(ReviewEvent.id)
        ).all()
    return RecordView(
        id=rec.id,
        status=rec.status,
        schema_name=rec.schema_name,
        phase=rec.phase,
        version=rec.version,
        object_key=rec.object_key,
        agency=batch.agency,
        book_type=batch.book_type,
        book=batch.book,
        page_id=page.id,
        page_seq=page.number,
        entry_index=rec.entry_index,
        register=is_register(page.kind),
        preview=bool(page.preview_key),
        preview_scale=page.preview_scale or 1.0,
        fields=[_field_view(f, others) for f in fields],
        events=[
            EventView(aware(e.at), name or "?", e.action, e.field_name, e.old_value, e.new_value)
            for e, name in events
        ],
        document_pages=grouping[0],
        previous_page=grouping[1],
    )


def _grouping(s: Session, page: Page) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """The pages of a page's document, and the page before it in its batch (for a merge)."""
    pages = s.scalars(select(Page).where(Page.document_page_id == page.id).order_by(Page.seq)).all()
    doc = [(p.id, p.number) for p in pages] if len(pages) > 1 else []
    # a letter's page or a page holding what it read for another (a register's right page)
    # may belong to the document before; a register's own page never asks
    if page.kind != "tthc" and not (page.layout or {}).get("held"):
        return doc, None
    before = s.scalars(
        select(Page)
        .where(Page.batch_id == page.batch_id, Page.seq < page.seq, Page.status == "processed")
        .order_by(Page.seq.desc())
        .limit(1)
    ).first()
    return doc, (before.id, before.number) if before is not None else None


def _other_pages(s: Session, ids: list[int | None]) -> dict[int, tuple[int, int, float]]:
    """Pages of a document other than its record's: id → (id, number, preview scale)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    pages = s.scalars(select(Page).where(Page.id.in_(wanted))).all()
    return {p.id: (p.id, p.number, p.preview_scale or 1.0) for p in pages if p.preview_key}


def preview_key(sessions: sessionmaker[Session], page_id: int) -> str | None:
    """Object key of a page's preview image (only keys the database knows are ever served)."""
    with sessions() as s:
        return s.scalar(select(Page.preview_key).where(Page.id == page_id))
