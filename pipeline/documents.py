"""Documents, not pages: a file's or a batch's pages grouped into documents (pure).

A TTHC result or a letter has its number and date on page 1, its signer on the last page and
its annexes after that. Pages are grouped in order: a new document starts at a page where a
Decree-30 header starts (motto with a number or a place-date line), at a civil-status paper
(an extract is one page; a register page is its own run of entries), or at a separator
sheet; any other page (a body page, the signer's page, an annex "Phụ lục …") belongs to the
document before it. A document's record is its first page's record, completed by what the
later pages carry (the signer block, "Nơi nhận"); each field says which page it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from schemas.models import FieldValue, Record

#: Kinds whose every page is a document of its own (records per page).
PAGE_KINDS = ("khai_sinh", "ket_hon", "khai_tu", "so_khai_sinh", "so_ket_hon", "so_khai_tu")
#: Fields a document's last pages complete (the signer block, the recipients).
LAST_PAGE_FIELDS = ("chuc_vu_nguoi_ky", "cap_bac_nguoi_ky", "nguoi_ky", "noi_nhan")


@dataclass(frozen=True)
class PageInfo:
    """One page as document assembly sees it."""

    number: int  #: 1-based position in the file or batch
    name: str  #: its own JSON name or page id
    kind: str
    records: Sequence[Record]
    #: a Decree-30 header starts here (pipeline.extract.decree30.has_header)
    header: bool = False
    #: a separator sheet (ends the document before it, belongs to none)
    separator: bool = False
    #: the document's end is printed here: "Nơi nhận:", the signer block (an annex may follow)
    ends: bool = False


@dataclass
class Document:
    """Pages that make one document, and its records."""

    pages: list[PageInfo] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The kind of its first page that has one."""
        return next((p.kind for p in self.pages if p.kind != "unknown"), "unknown")

    def contract(self, number: int) -> dict[str, object]:
        """The document in the offline contract (``<stem>.json``'s ``documents``)."""
        return {
            "document": number,
            "kind": self.kind,
            "pages": [p.number for p in self.pages],
            "records": [r.contract() for r in self.records],
        }


def _starts(page: PageInfo, current: Document | None) -> bool:
    if current is None or not current.pages:
        return True
    if page.kind in PAGE_KINDS or current.kind in PAGE_KINDS:
        return True
    return page.header


def group_pages(pages: Sequence[PageInfo]) -> list[Document]:
    """The pages grouped into documents, in order, and each document's records."""
    docs: list[Document] = []
    current: Document | None = None
    for page in pages:
        if page.separator:
            current = None
            continue
        if _starts(page, current):
            current = Document()
            docs.append(current)
        assert current is not None
        current.pages.append(page)
    for doc in docs:
        doc.records = document_records(doc.pages)
    return docs


def on_page(record: Record, number: int) -> Record:
    """The record with every field saying it was read on page ``number``."""
    fields = {k: v.model_copy(update={"page": number}) for k, v in record.fields.items()}
    return record.model_copy(update={"fields": fields})


def document_records(pages: Sequence[PageInfo]) -> list[Record]:
    """One record for a multi-page TTHC document; the pages' own records otherwise."""
    if not pages:
        return []
    if pages[0].kind in PAGE_KINDS or len(pages) == 1:
        return [on_page(r, p.number) for p in pages for r in p.records]
    parts = [(p.number, r) for p in pages for r in p.records if r.schema_name == "tthc"]
    if not parts:
        return [on_page(r, p.number) for p in pages for r in p.records]
    number, first = parts[0]
    merged = dict(on_page(first, number).fields)
    # the signer is on the page that ends the document, not on an annex after it
    signed = next((p.number for p in pages if p.ends), pages[-1].number)
    for num, rec in parts[1:]:
        for name, value in rec.fields.items():
            if name in LAST_PAGE_FIELDS and num > signed:
                continue
            if _fills(name, merged.get(name), value):
                merged[name] = value.model_copy(update={"page": num})
    return [first.model_copy(update={"fields": merged})]


#: Fields only a document's first page carries: a TTHC record with none of them was read
#: from a later page (the signer's, an annex).
FIRST_PAGE_FIELDS = ("so_ky_hieu", "ngay_ban_hanh", "co_quan_ban_hanh", "loai_van_ban")


def is_continuation(record: Record) -> bool:
    """Was this TTHC record read from a document's later page (no header field at all)?"""
    return record.schema_name == "tthc" and all(
        _empty(record.fields.get(name)) for name in FIRST_PAGE_FIELDS
    )


def _empty(value: FieldValue | None) -> bool:
    return value is None or (value.value in (None, "") and not value.raw)


def _fills(name: str, have: FieldValue | None, later: FieldValue) -> bool:
    """Does a later page's value replace or complete the document's?"""
    if _empty(later):
        return False
    # the signer and recipients are on the last page: a later reading of them wins
    return name in LAST_PAGE_FIELDS or _empty(have)
