"""``sohoa export --format archive``: a file (hồ sơ) for the archives (TT 02/2019, TT 05/2025).

The book's approved records become the file's documents (:mod:`pipeline.archive.archival`):
a TTHC result or letter is a document with its type, number, symbol, date, issuer and summary;
a civil-status registration is a document of the book's kind, its entry number, registration
date, place of registration and the person's name. Each document's PDF is its pages (all the
pages of a document over several), colour at the master's resolution (≥ 200 dpi asked by
Decree 30/2020 Annex I). The workbook and the package are written to the output folder and
stored under ``<book>/export/archive/`` with a manifest of their SHA-256.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.archival import Document, FileMeta, build_package, split_number
from pipeline.archive.export import PagePdfs, entries_of, resolve_book, store_package, stored_values
from pipeline.archive.pdfout import merge, to_pdfa
from pipeline.archive.verify import EXPORT_DIR
from pipeline.config import DEFAULT_PAGE_MEMORY_MB
from pipeline.db.models import Batch, InventoryBook
from pipeline.errors import BadInputError
from pipeline.keys import object_key
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore

#: Resolution and size of an archive page: the master's colour at ≥ 200 dpi, generous size.
ARCHIVE_DPI, ARCHIVE_PAGE_KB = 300, 600
_KINDS = {
    "khai_sinh": "Đăng ký khai sinh",
    "ket_hon": "Đăng ký kết hôn",
    "khai_tu": "Đăng ký khai tử",
}


@dataclass
class Archived:
    """What an archive export wrote."""

    objid: str
    workbook: Path
    package: Path
    documents: int
    keys: list[str] = field(default_factory=list)
    left_out: int = 0


def file_meta_for(sessions: sessionmaker[Session], target: str, **given: str) -> FileMeta:
    """The archival settings of a book's file: what is given, else the inventory's, else defaults.

    ``given``: any of :class:`FileMeta`'s fields (empty values are not given).

    Raises:
        BadInputError: no fonds code (mã phông) given nor in the inventory.
    """
    with sessions() as s:
        book = resolve_book(s, target)
        inv = s.scalar(
            select(InventoryBook).filter_by(
                agency=book.agency, book_type=book.book_type, book=book.book
            )
        )
        known = dict(inv.archival or {}) if inv is not None else {}
    values = known | {k: v.strip() for k, v in given.items() if v and v.strip()}
    if not values.get("fonds"):
        raise BadInputError(
            "Chưa có mã phông: ghi --fonds, hoặc cột fonds (phong) trong tệp kiểm kê",
            reason="no_fonds",
        )
    values.setdefault("file_code", book.book)
    values.setdefault("title", f"Hồ sơ số hóa quyển {book.book} ({book.agency})")
    fields = {f for f in FileMeta.__dataclass_fields__}
    return FileMeta(**{k: v for k, v in values.items() if k in fields})


def _iso(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def document_of(schema: str, values: Mapping[str, str | None], pages: int, pdf: bytes) -> Document:
    """A record as an archived document (its approved values; nothing invented)."""
    if schema == "tthc":
        number, notation = split_number(values.get("so_ky_hieu") or "")
        return Document(
            values.get("loai_van_ban") or "",
            number,
            notation,
            _iso(values.get("ngay_ban_hanh")),
            values.get("co_quan_ban_hanh") or "",
            values.get("trich_yeu") or "",
            pages,
            pdf,
        )
    person = values.get("ho_ten") or " – ".join(
        v for v in (values.get("ho_ten_chong"), values.get("ho_ten_vo")) if v
    )
    return Document(
        _KINDS.get(schema, schema),
        values.get("so") or "",
        "",
        _iso(values.get("ngay_dang_ky")),
        values.get("noi_dang_ky") or "",
        person,
        pages,
        pdf,
    )


def export_archive(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    plan: PhasePlan,
    target: str,
    out_dir: Path,
    meta: FileMeta,
    *,
    include_pending: bool = False,
    pdfa: bool = False,
    memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
    progress: Callable[[int, int], None] | None = None,
) -> Archived:
    """Write and store a book's archive package (see the module docstring).

    ``pdfa``: each document's PDF as PDF/A-2b (:func:`pipeline.archive.pdfout.to_pdfa`,
    OCRmyPDF's internal backend; our text layer kept).
    """
    with sessions() as s:
        book = resolve_book(s, target)
        s.expunge(book)
        entries, left_out = entries_of(s, book, include_pending)
        first_year = s.scalar(select(Batch.year_from).where(Batch.book_id == book.id)) or 0
    if not entries:
        raise BadInputError(
            "Quyển chưa có hồ sơ nào được duyệt để nộp lưu trữ", reason="nothing_to_export"
        )
    pages = PagePdfs(store, ARCHIVE_DPI, ARCHIVE_PAGE_KB, memory_mb)
    docs = []
    for i, entry in enumerate(entries, start=1):
        pdfs = [pages.pdf(p) for p in entry.pages]
        pdf = pdfs[0] if len(pdfs) == 1 else merge(pdfs)
        pdf = to_pdfa(pdf) if pdfa else pdf
        values = stored_values(store, entry.record)
        docs.append(document_of(entry.record.schema_name, values, len(pdfs), pdf))
        if progress:
            progress(i, len(entries))
    package = build_package(meta, docs)
    uid = package.objid.rsplit(":", 1)[-1]
    out_dir.mkdir(parents=True, exist_ok=True)
    done = Archived(
        package.objid,
        out_dir / f"{_slug(meta.file_code)}_TT02-2019.xlsx",
        out_dir / f"{uid}.zip",
        len(docs),
        left_out=left_out,
    )
    done.workbook.write_bytes(package.workbook)
    done.package.write_bytes(package.package)
    prefix = f"{object_key(plan.prefix_for_year(first_year))}/{book.key_path}/{EXPORT_DIR}/archive"
    files = {done.workbook.name: package.workbook, done.package.name: package.package}
    done.keys = store_package(store, prefix, files)
    return done


def _slug(text: str) -> str:
    from pipeline.archive.hotich import file_name

    return file_name("{book}", book=text)
