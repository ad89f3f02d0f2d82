"""Join a batch's documents over several pages, once all its pages are read.

A letter's record is its first page's, completed by its later pages (the signer block, "Nơi
nhận"); a register spread scanned as a left and a right page gives one record per entry
with the cells of both pages. The pages are grouped in book order by
:func:`pipeline.documents.group_pages` from what each page kept (``pages.layout``, see
:mod:`pipeline.work.layout`); the first page's records are stored again (the next JSON version)
with each field saying on which page it was read (``fields.page_id``); the later pages point
at their first page (``pages.document_page_id``). Records nobody reviewed yet are the only ones
rewritten: a record a clerk already approved keeps its version and the held records become
records of their own. Held records no document takes become records of their own too: nothing
read is ever dropped. Running it again changes nothing.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pipeline.db.models import Page, RecordRow
from pipeline.documents import Document, PageInfo, group_pages
from pipeline.work.batch import Context, store_record
from pipeline.work.layout import held_records, table_of
from pipeline.work.records import place_record
from schemas.enums import PageStatus, RecordStatus
from schemas.models import FieldValue, Record

log = logging.getLogger(__name__)

#: Record states a join may rewrite (nobody has decided on them yet).
_OPEN = (RecordStatus.needs_review.value, RecordStatus.auto_accepted.value)


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


def _infos(s: Session, batch_id: int) -> tuple[list[PageInfo], dict[int, Page]]:
    pages = s.scalars(
        select(Page)
        .where(Page.batch_id == batch_id, Page.status == PageStatus.processed.value)
        .order_by(Page.book_page, Page.seq)
    ).all()
    numbers = {p.id: p.number for p in pages}
    infos, by_number = [], {}
    for page in pages:
        layout = page.layout or {}
        _ = page.batch  # loaded now: the pages are used after the session closes
        own = [
            _record_of(r, numbers, page.number)
            for r in sorted(page.records, key=lambda r: r.entry_index)
        ]
        held = [] if layout.get("released") else held_records(layout)
        infos.append(
            PageInfo(
                number=page.number,
                name=str(page.id),
                kind=page.kind or "unknown",
                records=own + held,
                header=bool(layout.get("header")),
                ends=bool(layout.get("ends")),
                table=table_of(layout),
            )
        )
        by_number[page.number] = page
    return infos, by_number


def _joined(doc: Document, pages: dict[int, Page]) -> bool:
    first = pages[doc.pages[0].number].id
    return all(pages[p.number].document_page_id == first for p in doc.pages)


def join_documents(ctx: Context, batch_id: int) -> int:
    """Join the batch's documents over several pages; return how many documents changed."""
    with ctx.sessions() as s:
        infos, pages = _infos(s, batch_id)
        s.expunge_all()
    changed = 0
    for doc in group_pages(infos):
        if _joined(doc, pages):
            continue
        first = pages[doc.pages[0].number]
        rows = sorted(first.records, key=lambda r: r.entry_index)
        if len(doc.pages) > 1 and all(r.status in _OPEN for r in rows):
            _rewrite(ctx, first, doc, {n: pages[n].id for n in pages})
        else:
            for info in doc.pages:
                _release(ctx, pages[info.number])
        _mark(ctx, [pages[p.number].id for p in doc.pages], first.id)
        changed += 1
    if changed:
        log.info("batch %s: %d document(s) joined", batch_id, changed)
    return changed


def _rewrite(ctx: Context, first: Page, doc: Document, page_ids: dict[int, int]) -> None:
    """Store the document's joined records as its first page's records."""
    batch = first.batch
    text_key = first.ocr_text_key or ""
    for idx, record in enumerate(doc.records):
        placed = place_record(ctx.plan, batch, record)
        store_record(ctx, first, batch, idx, record, placed, text_key, page_ids)
    with ctx.sessions.begin() as s:
        s.execute(
            delete(RecordRow).where(
                RecordRow.page_id == first.id, RecordRow.entry_index >= len(doc.records)
            )
        )


def _release(ctx: Context, page: Page) -> None:
    """A page's held records, which no document took, become records of its own."""
    layout = dict(page.layout or {})
    held = held_records(layout)
    if not held or layout.get("released"):
        return
    start = len(page.records)
    for idx, record in enumerate(held, start=start):
        placed = place_record(ctx.plan, page.batch, record)
        store_record(ctx, page, page.batch, idx, record, placed, page.ocr_text_key or "")
    with ctx.sessions.begin() as s:
        row = s.get_one(Page, page.id)
        row.layout = layout | {"released": True}


def _mark(ctx: Context, page_ids: list[int], first: int) -> None:
    with ctx.sessions.begin() as s:
        for pid in page_ids:
            s.get_one(Page, pid).document_page_id = first
