"""``sohoa export --format hotich``: a civil-status book's package for the national database.

One Excel file with one row per approved registration (the template of
:mod:`pipeline.archive.hotich`), and one .zip with one PDF per registration: the page where it
is written (and the facing page of a spread scanned as two), colour, at the template's
resolution (≥ 200 dpi, Decree 30/2020 Annex I) and about its kB per page. Values are read from
the record's stored JSON (its latest version: what the clerk approved). Both files are
written to the output folder and stored under the book (``<phase>/<book>/export/hotich/``)
with a manifest of their SHA-256 (``sohoa verify`` checks them).
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.hotich import Template, book_rows, file_name, load_template, workbook_bytes
from pipeline.archive.pdfout import (
    compact_jpeg,
    master_page,
    page_dpi,
    page_pdf,
    parse_hocr,
    upright_rgb,
)
from pipeline.archive.verify import EXPORT_DIR, EXPORT_MANIFEST
from pipeline.config import DEFAULT_PAGE_MEMORY_MB
from pipeline.db.models import Batch, Book, FieldRow, Page, RecordRow
from pipeline.errors import BadInputError, IntegrityError
from pipeline.keys import object_key, sha256_hex
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore

_PENDING = {"needs_review": "chưa duyệt", "auto_accepted": "tự chấp nhận, chưa duyệt"}


@dataclass
class Exported:
    """What an export wrote."""

    book: str
    excel: Path
    package: Path
    rows: int
    pdfs: int
    keys: list[str] = field(default_factory=list)
    page_kb: list[float] = field(default_factory=list)  # size of each PDF page written
    low_dpi: list[int] = field(default_factory=list)  # pages below the template's dpi
    uncoded: list[str] = field(default_factory=list)
    left_out: int = 0  # records not approved (without --include-pending)


@dataclass(frozen=True)
class Entry:
    """A record to export, its page and every page it is written on (its own first)."""

    record: RecordRow
    page: Page
    pages: tuple[Page, ...]  # where it is written (its page first)


def resolve_book(s: Session, target: str) -> Book:
    """The book an export names: a batch id, or a book's name or storage path."""
    if target.isdigit():
        batch = s.get(Batch, int(target))
        if batch is None or batch.book_row is None:
            raise BadInputError(f"Không có lô {target} (hoặc lô chưa gắn quyển)", reason="no_book")
        return batch.book_row
    books = s.scalars(select(Book).where((Book.book == target) | (Book.key_path == target))).all()
    if len(books) != 1:
        names = ", ".join(b.key_path for b in books) or "không có quyển nào"
        raise BadInputError(
            f"“{target}” chỉ tới {len(books)} quyển ({names}): ghi mã lô hoặc đường dẫn quyển",
            reason="no_book",
        )
    return books[0]


def entries_of(s: Session, book: Book, include_pending: bool) -> tuple[list[Entry], int]:
    """The book's records to export in book order, and how many were left out (not approved)."""
    rows = s.execute(
        select(RecordRow, Page)
        .join(Page, Page.id == RecordRow.page_id)
        .join(Batch, Batch.id == Page.batch_id)
        .where(Batch.book_id == book.id, RecordRow.status != "superseded")
        .order_by(Page.book_page, Page.seq, RecordRow.entry_index)
    ).all()
    wanted = [(r, p) for r, p in rows if include_pending or r.status == "approved"]
    out = []
    for rec, page in wanted:
        read_on = select(FieldRow.page_id).where(FieldRow.record_id == rec.id)
        others = s.scalars(  # the pages its fields were read on, and its document's pages
            select(Page).where(Page.id.in_(read_on) | (Page.document_page_id == page.id))
        ).all()
        pages = (page, *sorted((p for p in others if p.id != page.id), key=lambda p: p.number))
        out.append(Entry(rec, page, pages))
    s.expunge_all()
    return out, len(rows) - len(wanted)


def stored_values(store: ObjectStore, rec: RecordRow) -> dict[str, str | None]:
    """The record's values as stored in its latest version (what was approved)."""
    if not rec.object_key:
        raise IntegrityError(f"Hồ sơ #{rec.id} chưa được lưu vào kho", reason="no_object")
    doc = json.loads(store.get_bytes(rec.object_key))
    return {k: (v or {}).get("value") for k, v in doc.get("fields", {}).items()}


class PagePdfs:
    """Each page's PDF made once (a register page holds several registrations).

    Pages above ``dpi`` are brought down to it (the size follows), each page's JPEG is sized
    to about ``page_kb``; pages below ``dpi`` are listed in ``low_dpi`` (to scan again).
    """

    def __init__(self, store: ObjectStore, dpi: int, page_kb: int, memory_mb: int) -> None:
        self.store, self.dpi, self.page_kb, self.memory_mb = store, dpi, page_kb, memory_mb
        self.done: dict[int, bytes] = {}
        self.kb: list[float] = []
        self.low_dpi: list[int] = []

    def pdf(self, page: Page) -> bytes:
        """The page's PDF (made on first use)."""
        if page.id not in self.done:
            self.done[page.id] = self._make(page)
        return self.done[page.id]

    def _make(self, page: Page) -> bytes:
        im = master_page(
            self.store.get_bytes(page.master_key or ""),
            page.page_index,
            name=page.source_name,
            memory_mb=self.memory_mb,
        )
        dpi = page_dpi(im)
        rgb = upright_rgb(im, page.orientation_deg or 0, page.skew_deg or 0.0)
        want = float(self.dpi)
        if dpi > want * 1.02:  # down to the template's resolution: the size follows
            k = want / dpi
            rgb = cv2.resize(rgb, None, fx=k, fy=k, interpolation=cv2.INTER_AREA)
            dpi = want
        elif dpi < want * 0.98:
            self.low_dpi.append(page.number)
        hocr = parse_hocr(self.store.get_bytes(page.hocr_key).decode()) if page.hocr_key else None
        budget = self.page_kb * 1024
        data = page_pdf(
            np.ascontiguousarray(rgb),
            hocr or parse_hocr(""),
            dpi,
            title=f"trang {page.number}",
            image=compact_jpeg(rgb, dpi, max_bytes=int(budget * 0.9)),
        )
        self.kb.append(len(data) / 1024)
        return data


def export_hotich(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    plan: PhasePlan,
    target: str,
    out_dir: Path,
    *,
    include_pending: bool = False,
    template: Template | None = None,
    memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
    progress: Callable[[int, int], None] | None = None,
) -> Exported:
    """Write and store a civil-status book's package (see the module docstring)."""
    template = template or load_template()
    book, entries, left_out, first_year = _gather(sessions, target, template, include_pending)
    parts = {"agency": book.agency, "book_type": book.book_type, "book": book.book}
    parts["year"] = str(first_year)
    values = [stored_values(store, e.record) for e in entries]
    status = [_PENDING.get(e.record.status, "đã duyệt") for e in entries]
    rows = book_rows(
        template,
        book.book_type,
        values,
        {"book": book.book, "agency": book.agency, "year": str(first_year)},
        status_column=status if include_pending else None,
    )
    info = _info(template, book, len(rows.rows), include_pending)
    excel = workbook_bytes(rows, sheet=book.book_type, info=info)
    pages = PagePdfs(store, template.pdf_dpi, template.pdf_page_kb, memory_mb)
    package = _zip(entries, values, pages, template, parts, progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = Exported(
        book.key_path,
        out_dir / file_name(template.excel_name, **parts),
        out_dir / file_name(template.zip_name, **parts),
        len(rows.rows),
        len(entries),
        page_kb=pages.kb,
        low_dpi=pages.low_dpi,
        uncoded=rows.uncoded,
        left_out=left_out,
    )
    result.excel.write_bytes(excel)
    result.package.write_bytes(package)
    prefix = f"{object_key(plan.prefix_for_year(first_year))}/{book.key_path}/{EXPORT_DIR}/hotich"
    files = {result.excel.name: excel, result.package.name: package}
    result.keys = store_package(store, prefix, files)
    return result


def _gather(
    sessions: sessionmaker[Session], target: str, template: Template, include_pending: bool
) -> tuple[Book, list[Entry], int, int]:
    """The book, its registrations to export, how many were left out, its first year."""
    with sessions() as s:
        book = resolve_book(s, target)
        s.expunge(book)
        entries, left_out = entries_of(s, book, include_pending)
        first_year = s.scalar(select(Batch.year_from).where(Batch.book_id == book.id)) or 0
    if book.book_type not in template.books:
        raise BadInputError(
            f"Quyển loại {book.book_type} không xuất theo mẫu hộ tịch (dùng --format archive)",
            reason="wrong_format",
        )
    if not entries:
        raise BadInputError(
            "Quyển chưa có hồ sơ nào được duyệt để xuất (thêm --include-pending để xuất cả "
            "hồ sơ chưa duyệt)",
            reason="nothing_to_export",
        )
    return book, entries, left_out, first_year


def _info(template: Template, book: Book, n: int, pending: bool) -> list[tuple[str, str]]:
    return [
        ("Mẫu", template.version),
        ("Quyển", book.book),
        ("Loại sổ", book.book_type),
        ("Cơ quan", book.agency),
        ("Số dòng", str(n)),
        ("Gồm hồ sơ chưa duyệt", "có" if pending else "không"),
        ("Xuất lúc (UTC)", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")),
    ]


def _zip(
    entries: list[Entry],
    values: list[dict[str, str | None]],
    pages: PagePdfs,
    template: Template,
    parts: dict[str, str],
    progress: Callable[[int, int], None] | None,
) -> bytes:
    from pipeline.archive.pdfout import merge

    buf = io.BytesIO()
    names: set[str] = set()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:  # PDFs: JPEG inside
        for i, (entry, vals) in enumerate(zip(entries, values, strict=True)):
            so = vals.get("so") or f"p{entry.page.number}-{entry.record.entry_index + 1}"
            name = file_name(template.pdf_name, **parts, so=so, index=i + 1)
            while name in names:  # two entries read with one number: both kept
                name = name.removesuffix(".pdf") + f"_{i + 1}.pdf"
            names.add(name)
            data = [pages.pdf(p) for p in entry.pages]
            z.writestr(name, data[0] if len(data) == 1 else merge(data))
            if progress:
                progress(i + 1, len(entries))
    return buf.getvalue()


def store_package(store: ObjectStore, prefix: str, files: dict[str, bytes]) -> list[str]:
    """Store the files and their manifest; check each stored checksum."""
    types = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    listed: list[dict[str, Any]] = []
    for name, data in files.items():
        key = f"{prefix}/{name}"
        kind = types.get(Path(name).suffix, "application/zip")
        stored = store.put_bytes(key, data, content_type=kind)
        if stored.sha256 != sha256_hex(data):
            raise IntegrityError(f"Ghi {key} không khớp mã SHA-256", reason="checksum_mismatch")
        listed.append({"key": key, "sha256": stored.sha256, "size": len(data)})
    manifest = {"format": "sohoa-export/1", "objects": listed}
    key = f"{prefix}/{EXPORT_MANIFEST}"
    store.put_bytes(key, json.dumps(manifest, indent=1).encode(), content_type="application/json")
    return [*(o["key"] for o in listed), key]
