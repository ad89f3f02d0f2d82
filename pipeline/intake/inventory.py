"""The phase-1 inventory: which books exist and how many pages they have (from a CSV)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import InventoryBook
from pipeline.errors import BadInputError
from pipeline.phases import PhasePlan
from schemas.enums import BookType

REQUIRED = ("agency", "book_type", "book", "estimated_pages")
#: Optional columns: the book's archival settings (English name, or the Vietnamese one).
ARCHIVAL_COLUMNS = {
    "fonds": ("fonds", "phong", "ma_phong"),
    "catalog": ("catalog", "muc_luc"),
    "box": ("box", "hop_so"),
    "file_code": ("file_code", "ho_so", "so_ky_hieu_ho_so"),
    "title": ("title", "tieu_de", "tieu_de_ho_so"),
    "retention": ("retention", "thoi_han_bao_quan"),
    "access": ("access", "che_do_su_dung"),
}
#: Optional column: the agency's name as people say it (screens show it beside the code).
AGENCY_NAME_COLUMNS = ("agency_name", "ten_co_quan")
DELIMITERS = (",", ";", "\t")
BAD_QUOTES = "dấu ngoặc kép không khớp (thiếu dấu đóng, hoặc có chữ ngay sau dấu đóng)"
_YEARS = re.compile(r"\s*(\d{4})\s*(?:[-–/]\s*(\d{4}))?\s*")


@dataclass(frozen=True)
class InventoryRow:
    """One book of the inventory CSV, checked."""

    agency: str
    book_type: str
    book: str
    year_from: int
    year_to: int
    estimated_pages: int
    #: archival settings the row gives (see :data:`ARCHIVAL_COLUMNS`)
    archival: tuple[tuple[str, str], ...] = ()
    #: the agency's name ("UBND xã Quỳnh Hưng"), "" when the row gives none
    agency_name: str = ""


@dataclass(frozen=True)
class ImportResult:
    """How many books were added and updated."""

    added: int
    updated: int


def _years(row: dict[str, str]) -> tuple[int, int]:
    if row.get("years"):
        m = _YEARS.fullmatch(row["years"])
        if not m:
            raise ValueError("cột years phải có dạng YYYY hoặc YYYY-YYYY")
        a, b = int(m[1]), int(m[2] or m[1])
    else:
        a, b = int(row["year_from"]), int(row.get("year_to") or row["year_from"])
    if b < a:
        raise ValueError("năm kết thúc nhỏ hơn năm bắt đầu")
    return a, b


def _row(raw: dict[str, str]) -> InventoryRow:
    row = {k: unicodedata.normalize("NFC", (v or "").strip()) for k, v in raw.items() if k}
    if not all(row.get(k) for k in ("agency", "book_type", "book")):
        raise ValueError("thiếu agency, book_type hoặc book")
    book_type = BookType(row["book_type"]).value
    pages = int(row.get("estimated_pages") or 0)
    if pages < 0:
        raise ValueError("estimated_pages âm")
    y0, y1 = _years(row)
    archival = tuple(
        (key, value)
        for key, names in ARCHIVAL_COLUMNS.items()
        if (value := next((row[n] for n in names if row.get(n)), ""))
    )
    name = next((row[n] for n in AGENCY_NAME_COLUMNS if row.get(n)), "")
    if len(name) > 255:
        raise ValueError("tên cơ quan dài quá 255 ký tự")
    return InventoryRow(row["agency"], book_type, row["book"], y0, y1, pages, archival, name)


def _delimiter(header: str) -> str:
    """The delimiter of the header line: the one of ``,``, ``;`` and tab it uses most."""
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_inventory(text: str) -> list[InventoryRow]:
    """Read the inventory CSV (comma, semicolon or tab; UTF-8 with or without BOM).

    Columns: ``agency, book_type, book, years`` (``YYYY`` or ``YYYY-YYYY``; or ``year_from``
    and ``year_to``), ``estimated_pages``; optionally the archival settings of each book
    (:data:`ARCHIVAL_COLUMNS`: ``fonds`` or ``phong``, ``catalog`` or ``muc_luc``, …) and the
    agency's name (``agency_name`` or ``ten_co_quan``).
    Fields follow the usual CSV quoting: a field in double quotes may hold the delimiter, line
    breaks and ``""`` for one quote.

    Raises:
        BadInputError: a missing column or a bad line (all lines are reported together,
            by their line number in the file).
    """
    text = text.lstrip("\ufeff")
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise BadInputError(
            f"Tệp kiểm kê có lỗi: dòng 1: {BAD_QUOTES}", reason="bad_inventory", detail=str(exc)
        ) from exc
    missing = [c for c in REQUIRED if c not in header]
    if missing or not ({"years", "year_from"} & set(header)):
        need = ", ".join(missing or ["years"])
        raise BadInputError(f"Tệp kiểm kê thiếu cột: {need}", reason="bad_inventory")
    rows, problems = [], []
    while True:
        line = reader.line_num + 1  # a quoted field may span lines: report where the row starts
        try:
            values = next(reader, None)
        except csv.Error:
            problems.append(f"dòng {line}: {BAD_QUOTES}")
            break  # the reader cannot find the next row reliably after a quoting error
        if values is None:
            break
        if not any(v.strip() for v in values):
            continue  # blank line
        try:
            if len(values) != len(header):
                raise ValueError(f"có {len(values)} cột, tiêu đề có {len(header)}")
            rows.append(_row(dict(zip(header, values, strict=True))))
        except (ValueError, KeyError) as exc:
            problems.append(f"dòng {line}: {exc}")
    if problems:
        raise BadInputError(
            "Tệp kiểm kê có lỗi: " + "; ".join(problems[:10]), reason="bad_inventory"
        )
    return rows


def import_inventory(
    sessions: sessionmaker[Session], plan: PhasePlan, rows: list[InventoryRow]
) -> ImportResult:
    """Add or update books (by agency, book type and book number) in one transaction."""
    added = updated = 0
    with sessions.begin() as s:
        for r in rows:
            book = s.scalar(
                select(InventoryBook).filter_by(agency=r.agency, book_type=r.book_type, book=r.book)
            )
            if book is None:
                book = InventoryBook(agency=r.agency, book_type=r.book_type, book=r.book)
                s.add(book)
                added += 1
            else:
                updated += 1
            book.year_from, book.year_to = r.year_from, r.year_to
            book.estimated_pages = r.estimated_pages
            if r.archival:  # a later CSV without these columns keeps what an earlier one gave
                book.archival = dict(book.archival or {}) | dict(r.archival)
            book.agency_name = r.agency_name or book.agency_name
            # masters are stored under the phase of the book's first year; count books the same
            book.phase = plan.prefix_for_year(r.year_from)
    return ImportResult(added, updated)
