"""Join a batch's documents over several pages, once all its pages are read; split and merge.

A letter's record is its first page's, completed by its later pages (the signer block, "Nơi
nhận"); a register spread scanned as a left and a right page gives one record per entry
with the cells of both pages. The pages are grouped in book order by
:func:`pipeline.documents.group_pages` from what each page kept (``pages.layout``, see
:mod:`pipeline.work.layout`: its own readings, the records it holds, where a clerk split or
merged); the first page's records are stored again (the next JSON version) with each field
saying on which page it was read (``fields.page_id``); the later pages point at their first
page (``pages.document_page_id``). Records nobody has decided on are the only ones rewritten:
a document with an approved record, or one a clerk edited, stays as it is. Held records of a
page that starts a document (a right page whose left page failed) are stored as its own:
nothing read is ever dropped. Running it again changes nothing.

A clerk who finds the machine's grouping wrong splits a document at a page or merges a
document into the one before it (:func:`split_at`, :func:`merge_into_previous`); the
grouping is recomputed from the pages' own readings and each affected record gets an
audit event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Page, RecordLock, RecordRow, ReviewEvent
from pipeline.documents import Document, PageInfo, group_pages
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore
from pipeline.work.batch import store_record
from pipeline.work.layout import held_records, own_records, table_of
from pipeline.work.records import place_record
from schemas.enums import PageStatus, RecordStatus
from schemas.models import FieldValue, Record

log = logging.getLogger(__name__)

#: Record states a join may rewrite (nobody has decided on them yet).
_OPEN = (RecordStatus.needs_review.value, RecordStatus.auto_accepted.value)
_GONE = RecordStatus.superseded.value
#: Audit actions that are a clerk's decision on a record (a regrouping is not one).
_DECISIONS = ("edit", "approve")


class Joining(Protocol):
    """What joining needs: a batch :class:`~pipeline.work.batch.Context` or the web app's."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...  # noqa: D102

    @property
    def store(self) -> ObjectStore: ...  # noqa: D102

    @property
    def plan(self) -> PhasePlan: ...  # noqa: D102


class CannotRegroup(Exception):
    """A split or merge that cannot be done; ``message_vi`` says why, for the clerk."""

    def __init__(self, message_vi: str) -> None:
        super().__init__(message_vi)
        self.message_vi = message_vi


def _record_of(row: RecordRow, numbers: dict[int, int], own: int) -> Record:
    """A stored record as the extraction gave it, each field on the page it was read on."""
    fields = {
        f.name: FieldValue(
            value=f.value,
            raw=f.raw,
            confidence=f.confidence,
            bbox=(f.bbox[0], f.bbox[1], f.bbox[2], f.bbox[3]) if f.bbox else None,
            page=numbers.get(f.page_id, own) if f.page_id else own,
            needs_review=f.needs_review,
            provenance=list(f.provenance or []),
            handwritten=f.handwritten,
            alternatives=list(f.alternatives or []),
        )
        for f in row.fields
    }
    return Record(schema=row.schema_name, schema_version=row.schema_version, fields=fields)


def _live(page: Page) -> list[RecordRow]:
    return [r for r in page.records if r.status != _GONE]


def _info(page: Page, numbers: dict[int, int]) -> PageInfo:
    layout = page.layout or {}
    own = own_records(layout)
    if own is None:  # a page stored before its readings were kept: its rows are its readings
        rows = sorted(_live(page), key=lambda r: r.entry_index)
        own = [_record_of(r, numbers, page.number) for r in rows]
    starts = layout.get("starts")
    return PageInfo(
        number=page.number,
        name=str(page.id),
        kind=page.kind or "unknown",
        records=own + held_records(layout),
        header=bool(layout.get("header")),
        ends=bool(layout.get("ends")),
        annex=bool(layout.get("annex")),
        table=table_of(layout),
        starts=None if starts is None else bool(starts),
    )


@dataclass
class _Batch:
    infos: list[PageInfo]
    pages: dict[int, Page]  # by page number
    decided: set[int]  # ids of pages with a record someone decided on (approved, edited)


def _load(s: Session, batch_id: int) -> _Batch:
    pages = s.scalars(
        select(Page)
        .where(Page.batch_id == batch_id, Page.status == PageStatus.processed.value)
        .order_by(Page.book_page, Page.seq)
    ).all()
    numbers = {p.id: p.number for p in pages}
    for page in pages:
        _ = page.batch, [r.fields for r in page.records]  # loaded before the session closes
    touched = (
        select(RecordRow.page_id)
        .join(ReviewEvent, ReviewEvent.record_id == RecordRow.id)
        .where(ReviewEvent.action.in_(_DECISIONS))
    )
    closed = select(RecordRow.page_id).where(RecordRow.status.not_in((*_OPEN, _GONE)))
    decided = set(s.scalars(touched.union(closed)).all())
    return _Batch(
        [_info(p, numbers) for p in pages], {p.number: p for p in pages}, decided & set(numbers)
    )


def _joined(doc: Document, pages: dict[int, Page]) -> bool:
    first = pages[doc.pages[0].number].id
    return all(pages[p.number].document_page_id == first for p in doc.pages)


def join_documents(ctx: Joining, batch_id: int) -> int:
    """Join the batch's documents over several pages; return how many documents changed."""
    with ctx.sessions() as s:
        batch = _load(s, batch_id)
        s.expunge_all()
    changed = 0
    page_ids = {n: p.id for n, p in batch.pages.items()}
    for doc in group_pages(batch.infos):
        if _joined(doc, batch.pages):
            continue
        members = [batch.pages[p.number] for p in doc.pages]
        first = members[0]
        if any(p.id in batch.decided for p in members):
            log.info("page %s: a decided record, its document is left as it is", first.id)
        elif len(members) > 1 or _differs(first, doc):
            _rewrite(ctx, members, doc, page_ids)
        _mark(ctx, [p.id for p in members], first.id)
        changed += 1
    if changed:
        log.info("batch %s: %d document(s) grouped", batch_id, changed)
    return changed


def _differs(first: Page, doc: Document) -> bool:
    """Do the document's records differ from what its (single) page stores now?"""
    # it was a document's first page, or its readings are stored nowhere (a page that was a
    # later page of a document, or holds what it read for a document that did not come)
    return bool((first.layout or {}).get("joined")) or (bool(doc.records) and not _live(first))


def _rewrite(ctx: Joining, members: list[Page], doc: Document, page_ids: dict[int, int]) -> None:
    """Store the document's records as its first page's; its later pages keep none."""
    first = members[0]
    text_key = first.ocr_text_key or ""
    for idx, record in enumerate(doc.records):
        placed = place_record(ctx.plan, first.batch, record)
        store_record(ctx, first, first.batch, idx, record, placed, text_key, page_ids)
    with ctx.sessions.begin() as s:
        stale = select(RecordRow.id).where(
            ((RecordRow.page_id == first.id) & (RecordRow.entry_index >= len(doc.records)))
            | RecordRow.page_id.in_([p.id for p in members[1:]])
        )
        ids = list(s.scalars(stale))
        # kept with their audit trail (append-only), counted nowhere, revived by the upsert
        # if the page's grouping comes back
        s.execute(delete(RecordLock).where(RecordLock.record_id.in_(ids)))
        s.execute(update(RecordRow).where(RecordRow.id.in_(ids)).values(status=_GONE))
        row = s.get_one(Page, first.id)
        row.layout = (row.layout or {}) | {"joined": len(members) > 1}


def _mark(ctx: Joining, page_ids: list[int], first: int) -> None:
    with ctx.sessions.begin() as s:
        for pid in page_ids:
            s.get_one(Page, pid).document_page_id = first


def _regroup(ctx: Joining, page_id: int, starts: bool, action: str, user_id: int | None) -> int:
    """Force the document boundary at a page, group the batch again, audit it."""
    with ctx.sessions.begin() as s:
        page = s.get_one(Page, page_id)
        batch_id = page.batch_id
        first = page.document_page_id or page.id
        affected = {first, page.id}
        if not starts:  # merging: the document before takes this one
            affected |= set(_previous_document(s, page))
        members = s.scalars(select(Page.id).where(Page.document_page_id.in_(affected))).all()
        group = affected | set(members)
        if s.scalar(_decided_in(group)):
            raise CannotRegroup("Văn bản đã có hồ sơ được duyệt hoặc sửa; không tách, gộp được.")
        if s.scalar(_locked_by_others(group, user_id)):
            raise CannotRegroup("Một hồ sơ của văn bản đang được người khác mở; thử lại sau.")
        page.layout = (page.layout or {}) | {"starts": starts}
        where = f"trang {page.number}"
        for pid in group:
            s.get_one(Page, pid).document_page_id = None
    join_documents(ctx, batch_id)
    with ctx.sessions.begin() as s:
        top = s.get_one(Page, page_id).document_page_id or page_id
        recs = s.scalars(
            select(RecordRow)
            .where(RecordRow.page_id.in_({top, *group}), RecordRow.status != _GONE)
            .order_by(RecordRow.id)
        ).all()
        for rec in recs:
            s.add(ReviewEvent(record_id=rec.id, user_id=user_id, action=action, new_value=where))
        ordered = sorted(recs, key=lambda r: (r.page_id != top, r.entry_index))
        return ordered[0].id if ordered else 0


def _previous_document(s: Session, page: Page) -> list[int]:
    before = s.scalars(
        select(Page)
        .where(
            Page.batch_id == page.batch_id,
            Page.status == PageStatus.processed.value,
            Page.seq < page.seq,
        )
        .order_by(Page.seq.desc())
        .limit(1)
    ).first()
    if before is None:
        raise CannotRegroup("Không có trang nào trước trang này trong lô để gộp vào.")
    return [before.document_page_id or before.id, before.id]


def _decided_in(page_ids: set[int]) -> Select[int]:
    """How many records of these pages someone decided on (approved, rejected, edited)."""
    return (
        select(func.count())
        .select_from(RecordRow)
        .join(ReviewEvent, ReviewEvent.record_id == RecordRow.id, isouter=True)
        .where(
            RecordRow.page_id.in_(page_ids),
            RecordRow.status.not_in((*_OPEN, _GONE)) | ReviewEvent.action.in_(_DECISIONS),
        )
    )


def _locked_by_others(page_ids: set[int], user_id: int | None) -> Select[int]:
    """How many records of these pages another clerk holds open now."""
    return (
        select(func.count())
        .select_from(RecordLock)
        .join(RecordRow, RecordRow.id == RecordLock.record_id)
        .where(
            RecordRow.page_id.in_(page_ids),
            RecordLock.user_id != (user_id or 0),
            RecordLock.expires_at > datetime.now(UTC),
        )
    )


def split_at(ctx: Joining, page_id: int, user_id: int | None) -> int:
    """Start a new document at this page (it and the pages after it leave the one before).

    Returns the id of the new document's first record (0: it has none).

    Raises:
        CannotRegroup: a record of the document was approved or edited.
    """
    return _regroup(ctx, page_id, True, "split", user_id)


def merge_into_previous(ctx: Joining, page_id: int, user_id: int | None) -> int:
    """Join the document starting at this page to the document before it.

    Returns the id of the merged document's first record (0: it has none).

    Raises:
        CannotRegroup: no page before it, or a record of either document was decided on.
    """
    return _regroup(ctx, page_id, False, "merge", user_id)
