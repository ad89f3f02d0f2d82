"""``sohoa pdf``: searchable PDF per page (= per record) and per book, in the archive."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import console, guarded, setup
from pipeline.errors import BadInputError, IntegrityError

if TYPE_CHECKING:
    from pipeline.work.batch import Context

PDF_TYPE = "application/pdf"


@dataclass
class PdfOutcome:
    """What :func:`make_pdfs` stored."""

    book_key: str
    page_keys: list[str] = field(default_factory=list)
    low_dpi: list[int] = field(default_factory=list)  # page seqs below Annex I's 200 dpi
    book: bytes = b""


def _put(ctx: Context, key: str, data: bytes, batch_id: int) -> str:
    from pipeline.keys import sha256_hex

    stored = ctx.store.put_bytes(
        key, data, content_type=PDF_TYPE, metadata={"batch": str(batch_id)}
    )
    if stored.sha256 != sha256_hex(data):
        raise IntegrityError(f"Ghi {key} không khớp mã SHA-256", reason="checksum_mismatch")
    return key


def make_pdfs(ctx: Context, batch_id: int, *, pdfa: bool = False) -> PdfOutcome:
    """Build and store the PDF of every processed page of a batch, then the book PDF.

    Page PDFs go to ``<book prefix of the page's phase>/pdf/pNNNNN.pdf`` (next to its
    ``ocr/`` outputs), the book PDF to ``<book prefix of the book's phase>/pdf/book.pdf``.
    With ``pdfa`` every PDF is converted to PDF/A-2b (:func:`pipeline.archive.pdfout.to_pdfa`).
    """
    from sqlalchemy import select

    from pipeline.archive.pdfout import MIN_DPI, master_pdf, merge, to_pdfa
    from pipeline.db.models import Batch, Page
    from pipeline.work.batch import book_prefix
    from schemas.enums import PageStatus

    with ctx.sessions() as s:
        batch = s.get(Batch, batch_id)
        if batch is None:
            raise BadInputError(f"Không có lô {batch_id}", reason="no_batch")
        pages = s.scalars(
            select(Page)
            .where(Page.batch_id == batch_id, Page.status == PageStatus.processed.value)
            .where(Page.master_key.is_not(None), Page.hocr_key.is_not(None))
            .order_by(Page.seq)
        ).all()
        s.expunge_all()
    if not pages:
        raise BadInputError(
            f"Lô {batch_id} chưa có trang nào đã xử lý xong để tạo PDF", reason="no_pages"
        )
    outcome = PdfOutcome(f"{book_prefix(ctx.plan.prefix_for_year(batch.year_from), batch)}")
    datas = []
    for page in pages:
        data, dpi = master_pdf(
            ctx.store.get_bytes(page.master_key or ""),
            ctx.store.get_bytes(page.hocr_key or "").decode("utf-8"),
            orientation=page.orientation_deg or 0,
            skew=page.skew_deg or 0.0,
            index=page.page_index,
            name=page.source_name,
            title=f"{batch.book} - trang {page.seq}",
            memory_mb=ctx.options.page_memory_mb,
        )
        if dpi < MIN_DPI:
            outcome.low_dpi.append(page.seq)
        key = f"{book_prefix(page.phase, batch)}/pdf/p{page.number:05d}.pdf"
        outcome.page_keys.append(_put(ctx, key, to_pdfa(data) if pdfa else data, batch_id))
        datas.append(data)
    outcome.book = to_pdfa(merge(datas)) if pdfa else merge(datas)
    outcome.book_key = _put(ctx, f"{outcome.book_key}/pdf/book.pdf", outcome.book, batch_id)
    return outcome


def pdf(
    batch_id: Annotated[int, typer.Argument(help="Mã lô (quyển sổ)")],
    out: Annotated[
        Path | None, typer.Option("--out", help="Ghi thêm PDF của cả quyển ra tệp này")
    ] = None,
    pdfa: Annotated[
        bool, typer.Option("--pdfa", help="PDF/A-2b để lưu trữ lâu dài (cần sohoa[pdfa])")
    ] = False,
) -> None:
    """Tạo PDF tìm kiếm được (lớp chữ OCR ẩn) cho từng trang và cả quyển (NĐ 30/2020, PL I).

    PDF ≥ 1.4, ảnh màu gốc ở độ phân giải gốc (≥ 200 dpi), tỷ lệ 100 %. Lưu vào kho tại
    <quyển>/pdf/pNNNNN.pdf (PDF của một hồ sơ là PDF của trang chứa nó) và
    <quyển>/pdf/book.pdf. --pdfa: PDF/A-2b (qua OCRmyPDF, giữ nguyên lớp chữ).
    """
    from flows.wiring import context
    from pipeline.archive.pdfout import MIN_DPI

    setup()
    outcome = guarded(lambda: make_pdfs(context(), batch_id, pdfa=pdfa))
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(outcome.book)
        console.print(f"Đã ghi {out}")
    console.print(f"Đã lưu {len(outcome.page_keys)} PDF trang và PDF cả quyển: {outcome.book_key}")
    if outcome.low_dpi:
        pages = ", ".join(str(s) for s in outcome.low_dpi)
        console.print(
            f"[yellow]Cảnh báo:[/] trang {pages} có độ phân giải dưới {MIN_DPI:.0f} dpi "
            "(Phụ lục I yêu cầu ≥ 200 dpi): cần quét lại."
        )


def register(app: typer.Typer) -> None:
    """Add these commands to the main CLI."""
    app.command("pdf")(pdf)
