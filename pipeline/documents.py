"""Documents, not pages: a file's or a batch's pages grouped into documents (pure).

A TTHC result or a letter has its number and date on page 1, its signer on the last page and
its annexes after that. Pages are grouped in order: a new document starts at a page where a
Decree-30 header starts (motto with a number or a place-date line), at a civil-status paper
(an extract is one page; a register page is its own run of entries), or at a separator
sheet; any other page (a body page, the signer's page, an annex "Phụ lục …") belongs to the
document before it. A register book scanned one page at a time gives a left page (entry
numbers, first columns) then a right page (the other columns of the same ruled rows): the two
make one spread and each entry's cells are joined into one record. A letter's record is its
first page's record, completed by what the later pages carry (the signer block, "Nơi nhận");
each field says which page it came from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from schemas.models import FieldValue, Record

#: Kinds whose every page is a document of its own (records per page).
PAGE_KINDS = ("khai_sinh", "ket_hon", "khai_tu", "so_khai_sinh", "so_ket_hon", "so_khai_tu")
#: Register pages: a spread scanned one page at a time is one left and one right page.
REGISTER_PAGE_KINDS = ("so_khai_sinh", "so_ket_hon", "so_khai_tu")
#: Fields a document's last pages complete (the signer block, the recipients).
LAST_PAGE_FIELDS = ("chuc_vu_nguoi_ky", "cap_bac_nguoi_ky", "nguoi_ky", "noi_nhan")


@dataclass(frozen=True)
class TableShape:
    """A register page's table as pairing needs it (from its ``table`` extraction step)."""

    rows: int  #: data rows below the header, empty ones included (the ruling)
    entry_rows: tuple[int, ...]  #: each record's data row, in record order
    columns: frozenset[str]  #: the fields its columns hold

    @classmethod
    def of_steps(cls, steps: Sequence[Mapping[str, Any]]) -> TableShape | None:
        """The shape recorded by a page's ``table`` step; None without a table."""
        step = next((s for s in steps if s.get("step") == "table" and s.get("found")), None)
        if step is None or "entry_rows" not in step:
            return None
        return cls(
            int(step["rows"]),
            tuple(int(r) for r in step["entry_rows"]),
            frozenset(step.get("columns", {}).values()),
        )


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
    #: an annex opens here ("PHỤ LỤC …"): its names and roles are no signer block
    annex: bool = False
    #: a register page's table (None on other pages)
    table: TableShape | None = None
    #: a clerk's decision: True, a document starts here (split); False, the page belongs to
    #: the document before it (merge); None, the pages say
    starts: bool | None = None


@dataclass
class Document:
    """Pages that make one document, and its records."""

    pages: list[PageInfo] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The kind of its first page that has one."""
        return next((p.kind for p in self.pages if p.kind != "unknown"), "unknown")

    @property
    def spread(self) -> bool:
        """A register spread scanned as its left and right pages (entries joined)."""
        return len(self.pages) == 2 and right_page_of(self.pages[0], self.pages[1])

    def contract(self, number: int) -> dict[str, object]:
        """The document in the offline contract (``<stem>.json``'s ``documents``)."""
        doc: dict[str, object] = {
            "document": number,
            "kind": self.kind,
            "pages": [p.number for p in self.pages],
            "records": [r.contract() for r in self.records],
        }
        if self.spread:
            doc["spread"] = {"left": self.pages[0].number, "right": self.pages[1].number}
        return doc


def _starts(page: PageInfo, current: Document | None) -> bool:
    if current is None or not current.pages:
        return True
    if page.starts is not None:
        return page.starts
    if len(current.pages) == 1 and right_page_of(current.pages[0], page):
        return False
    if page.kind in PAGE_KINDS or current.kind in PAGE_KINDS:
        return True
    return page.header


#: Columns a register's right page may share with its left page (a repeated heading).
_SHARED_COLUMNS = 1


def right_page_of(left: PageInfo, right: PageInfo) -> bool:
    """Is ``right`` the right-hand page of the spread whose left page is ``left``?

    A register book scanned one page at a time: the left page holds the entry numbers and
    the first columns, the right page the other columns of the same rows. They pair when
    both are register pages of one book type, ruled with the same number of rows, the left
    page numbers its entries and the right one does not, and their columns do not overlap
    (one repeated heading at most).
    """
    a, b = left.table, right.table
    if a is None or b is None or left.kind != right.kind or left.kind not in REGISTER_PAGE_KINDS:
        return False
    return (
        a.rows == b.rows
        and "so" in a.columns
        and "so" not in b.columns
        and len(a.columns & b.columns) <= _SHARED_COLUMNS
        and bool(b.columns - a.columns)
    )


def join_spread(left: PageInfo, right: PageInfo) -> list[Record]:
    """One record per entry of a spread scanned as two pages: each row's cells joined.

    Each field keeps the page it was read on; the left page's value wins a column both
    pages read (its entry number, its name); a row with text on one page only keeps that
    page's cells.
    """
    assert left.table is not None and right.table is not None
    lefts = dict(zip(left.table.entry_rows, left.records, strict=False))
    rights = dict(zip(right.table.entry_rows, right.records, strict=False))
    joined = []
    for row in sorted(lefts.keys() | rights.keys()):
        a, b = lefts.get(row), rights.get(row)
        fields = dict(on_page(a, left.number).fields) if a is not None else {}
        if b is not None:
            for name, value in on_page(b, right.number).fields.items():
                if _empty(fields.get(name)):
                    fields[name] = value
        base = a if a is not None else b
        assert base is not None
        joined.append(base.model_copy(update={"fields": fields}))
    return joined


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
    if len(pages) == 2 and right_page_of(pages[0], pages[1]):
        return join_spread(pages[0], pages[1])
    if pages[0].kind in PAGE_KINDS or len(pages) == 1:
        return [on_page(r, p.number) for p in pages for r in p.records]
    parts = [(p.number, r) for p in pages for r in p.records if r.schema_name == "tthc"]
    if not parts:
        return [on_page(r, p.number) for p in pages for r in p.records]
    number, first = parts[0]
    merged = dict(on_page(first, number).fields)
    signed = signed_page(pages)
    for num, rec in parts[1:]:
        for name, value in rec.fields.items():
            if name in LAST_PAGE_FIELDS and num > signed:
                continue
            if _fills(name, merged.get(name), value):
                merged[name] = value.model_copy(update={"page": num})
    return [first.model_copy(update={"fields": merged})]


def signed_page(pages: Sequence[PageInfo]) -> int:
    """The number of the page a document is signed on.

    The page that ends it ("Nơi nhận:", a signer prefix), else the page before its first
    annex, else its last page.
    """
    ends = next((p.number for p in pages if p.ends), None)
    if ends is not None:
        return ends
    annex = next((i for i, p in enumerate(pages) if i and p.annex), None)
    return pages[annex - 1].number if annex is not None else pages[-1].number


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
