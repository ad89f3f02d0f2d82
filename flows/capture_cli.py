"""Capture commands of the CLI: ``scan`` (SANE, TWAIN or ``--watch FOLDER``) and ``separator``.

Registered on the main Typer app by :func:`register`; the batch processing reuses the
helpers of :mod:`flows.cli_common`.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli_common import (
    console,
    err,
    guarded,
    ingest_and_check,
    parse_years,
    probe_tools,
    setup,
)
from schemas.enums import BookType

if TYPE_CHECKING:
    from schemas.models import BookMeta

if TYPE_CHECKING:
    from pipeline.intake.capture import BatchFolder, CaptureError, PageEntry
    from pipeline.ports import PageSource

log = logging.getLogger(__name__)

#: the scanner stopped (jam, cover, unplugged): pages so far are kept, resume with --resume
EXIT_SCANNER = 4

FLAG_VI = {
    "blank": "trang trắng",
    "low_dpi": "dpi thấp",
    "text_too_small": "chữ quá nhỏ",
    "blurry": "mờ",
    "overexposed": "quá sáng",
    "underexposed": "quá tối",
    "text_cut_off": "mất chữ ở mép",
    "skewed": "lệch",
    "same_page": "trùng trang",
    "orientation_unsure": "không rõ chiều",
    "downscaled": "đã thu nhỏ (quá nhiều điểm ảnh)",
}


def _meta(book_type: BookType, agency: str, book: str, years: str) -> BookMeta:
    y0, y1 = parse_years(years)
    from schemas.models import BookMeta

    return BookMeta(book_type=book_type, agency=agency, book=book, year_from=y0, year_to=y1)


def separator(
    book_type: Annotated[BookType, typer.Option("--book-type", help="Loại sổ")],
    agency: Annotated[str, typer.Option(help="Mã cơ quan đăng ký")],
    book: Annotated[str, typer.Option(help="Số quyển, ví dụ 02/1994")],
    years: Annotated[str, typer.Option(help="Năm của sổ: YYYY hoặc YYYY-YYYY")],
    out: Annotated[Path, typer.Option("--out", help="Tệp PDF để in")] = Path("to-phan-cach.pdf"),
) -> None:
    """In tờ phân cách (mã QR + thông tin quyển sổ): quét tờ này trước trang đầu của quyển."""
    from pipeline.intake.separator import write_sheet_pdf

    path = write_sheet_pdf(_meta(book_type, agency, book, years), out)
    console.print(f"Đã ghi tờ phân cách: {path} (in khổ A4, tỉ lệ 100 %)")


# --------------------------------------------------------------------------- live view


def _page_line(n: int, entry: PageEntry) -> str:
    q = entry.quality
    flags = []
    for f in q.get("flags", []):
        label = FLAG_VI.get(f, f)
        if f == "skewed":
            label += f" {q.get('skew_deg', 0):+.1f}°"
        if f == "same_page" and entry.same_as:
            label += f" {entry.same_as}"
        flags.append(label)
    verdict = "[yellow]" + ", ".join(flags) + "[/]" if flags else "[green]tốt[/]"
    dpi = f"{entry.dpi:g} dpi" if entry.dpi else ""
    return f"  Trang {n:>4} · {entry.file} · {dpi} · {verdict}"


def _open_capture(home: Path, meta: BookMeta, *, resume: bool, new: bool, source: str) -> Any:
    from pipeline.intake.capture import MANIFEST, BatchFolder, book_slug

    _tell_held(meta)
    base = home / "capture" / book_slug(meta)
    existing = sorted(
        (p for p in base.parent.glob(base.name + "*") if (p / MANIFEST).exists()),
        key=lambda p: (len(p.name), p.name),
    )
    if existing and resume:
        folder = BatchFolder.open(existing[-1])
        folder.set_status("open", resumed_with=len(folder.pages))
        console.print(f"Quét tiếp lô {folder.path.name}: đã có {len(folder.pages)} trang.")
        return folder
    if existing and not new:
        last = BatchFolder.open(existing[-1])
        err.print(
            f"[red]Quyển này đã được quét ({last.path.name}: {len(last.pages)} trang, "
            f"trạng thái {last.status}).[/] Dùng --resume để quét tiếp, hoặc --new để quét "
            "lại thành một lô mới."
        )
        raise typer.Exit(2)
    path = base if not existing else base.with_name(f"{base.name}-{len(existing) + 1}")
    return BatchFolder.create(path, meta, source=source)


def _tell_held(meta: BookMeta) -> None:
    """At the station: the pages of this book clerks asked to scan again (or found unreadable)."""
    from rich.markup import escape

    from flows.wiring import sessions
    from pipeline.review.hold import held_pages

    try:
        held = held_pages(sessions(), book=(meta.agency, meta.book_type.value, meta.book))
    except Exception as exc:  # noqa: BLE001 - the list is a courtesy; scanning goes on
        log.warning("held pages not read: %s", exc)
        return
    for h in held:
        console.print(
            f"[yellow]{h.kind_label}: trang {h.page} ({escape(h.source_name)}) — "
            f"{escape(h.reason)}[/] (báo bởi {escape(h.by)}; xong thì: sohoa rescans "
            f"--release {h.page_id})"
        )


def _capture(
    source: PageSource, folder: BatchFolder, home: Path, *, separators: bool
) -> tuple[list[BatchFolder], CaptureError | None]:
    """Write each page into the batch as it arrives and show its quality at once."""
    from pipeline.intake.capture import CaptureError
    from pipeline.intake.separator import find_separator
    from pipeline.ports import ScannedPage

    folders = [folder]
    pages: Iterator[Any] = iter(source.acquire())
    try:
        with console.status("Đang quét…") as status:
            for page in pages:
                assert isinstance(page, ScannedPage)
                sheet = find_separator(page.image) if separators else None
                if sheet is not None:
                    folder.set_status("complete", pages=len(folder.pages))
                    folder = _open_capture(home, sheet, resume=False, new=True, source="")
                    folders.append(folder)
                    console.print(
                        f"[b]Tờ phân cách[/]: quyển {sheet.book} ({sheet.book_type.value}, "
                        f"{sheet.agency}) → lô {folder.path.name}"
                    )
                    continue
                entry = folder.add_scan(page)
                console.print(_page_line(len(folder.pages), entry))
                status.update(f"Đang quét… {len(folder.pages)} trang")
    except CaptureError as exc:
        folder.set_status("interrupted", reason=exc.reason, pages=len(folder.pages))
        return folders, exc
    folder.set_status("complete", pages=len(folder.pages))
    return folders, None


def _process(folders: list[BatchFolder]) -> int:
    """Run the batch flow on each captured folder, then the book-level checks."""
    failed = 0
    for folder in folders:
        if not folder.pages:
            continue
        failed += ingest_and_check(folder.path, folder.meta)[1]
    return failed


def _summary(folders: list[BatchFolder]) -> None:
    from pipeline.intake.capture import flag_counts

    for folder in folders:
        counts = flag_counts(folder.pages)
        flags = ", ".join(f"{FLAG_VI.get(k, k)}: {v}" for k, v in sorted(counts.items()))
        console.print(
            f"[b]Lô {folder.path.name}[/]: {len(folder.pages)} trang"
            + (f" — cần xem lại: {flags}" if flags else " — không trang nào bị gắn cờ")
        )


def _flatbed_prompt(count: int) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = console.input(
        f"Đã quét {count} trang. Đặt trang tiếp theo rồi nhấn Enter (q + Enter để kết thúc): "
    )
    return answer.strip().lower() not in {"q", "quit", "x"}


def _make_source(device: str, dpi: int, adf: bool, max_pages: int | None, gray: bool) -> Any:
    if device.startswith("twain:"):
        from scanners.twain_scanner import TwainOptions, TwainSource

        opts = TwainOptions(device.removeprefix("twain:"), dpi, not gray, adf, max_pages)
        return TwainSource(opts)
    from scanners.sane_scanner import SaneOptions, SaneSource

    options = SaneOptions(device, dpi=dpi, colour=not gray, adf=adf, max_pages=max_pages)
    return SaneSource(options, next_page=_flatbed_prompt)


def _list_devices(device: str | None) -> None:
    from scanners import sane_scanner

    if device and not device.startswith("twain:"):
        for opt in sane_scanner.device_options(device):
            console.print(f"  {opt['name']} = {opt['value']!r}  (cho phép: {opt['allowed']})")
        return
    for d in sane_scanner.list_devices():
        console.print(f"  {d['name']}  ({d['vendor']} {d['model']}, {d['type']})")
    if sys.platform == "win32":
        from scanners.twain_scanner import load_twain

        with load_twain().SourceManager(None) as sm:
            for name in sm.source_list:
                console.print(f"  twain:{name}")


def scan(
    device: Annotated[
        str | None, typer.Option(help="Máy quét SANE (vd. epson2:libusb:001:004) hoặc twain:TÊN")
    ] = None,
    book_type: Annotated[BookType | None, typer.Option("--book-type", help="Loại sổ")] = None,
    agency: Annotated[str | None, typer.Option(help="Mã cơ quan đăng ký")] = None,
    book: Annotated[str | None, typer.Option(help="Số quyển, ví dụ 02/1994")] = None,
    years: Annotated[str | None, typer.Option(help="Năm của sổ: YYYY hoặc YYYY-YYYY")] = None,
    max_pages: Annotated[int | None, typer.Option("--max-pages", help="Dừng sau N trang")] = None,
    source: Annotated[str, typer.Option(help="flatbed (mặt kính) hoặc adf (khay nạp)")] = "flatbed",
    dpi: Annotated[int, typer.Option(help="Độ phân giải (tối thiểu 200)")] = 300,
    gray: Annotated[bool, typer.Option("--gray", help="Quét xám thay vì màu")] = False,
    resume: Annotated[bool, typer.Option("--resume", help="Quét tiếp lô bị dừng")] = False,
    new: Annotated[bool, typer.Option("--new", help="Quét lại quyển đã quét thành lô mới")] = False,
    process: Annotated[bool, typer.Option(help="Xử lý (OCR, trích xuất) ngay sau khi quét")] = True,
    list_: Annotated[bool, typer.Option("--list", help="Liệt kê máy quét / tùy chọn")] = False,
    watch: Annotated[Path | None, typer.Option("--watch", help="Theo dõi thư mục nóng")] = None,
    poll: Annotated[bool, typer.Option("--poll", help="Dò định kỳ (ổ mạng SMB/NFS)")] = False,
    settle: Annotated[float, typer.Option(help="Giây tệp phải đứng yên trước khi đọc")] = 3.0,
    once: Annotated[bool, typer.Option("--once", help="Theo dõi: xử lý hết rồi thoát")] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Quét một quyển sổ (SANE/TWAIN) hoặc theo dõi thư mục nóng; kiểm tra chất lượng ngay."""
    s = setup(verbose)
    if list_:
        guarded(lambda: _list_devices(device))
        return
    book_args = (book_type, agency, book, years)
    meta = _meta(*book_args) if all(book_args) else None  # type: ignore[arg-type]
    if any(book_args) and meta is None:
        err.print("[red]Cần đủ --book-type, --agency, --book và --years.[/]")
        raise typer.Exit(2)
    if process:
        probe_tools(s.ocr_lang)
    if watch is not None:
        from flows.watch import watch_folder

        guarded(lambda: watch_folder(watch, meta, poll=poll, settle=settle, once=once))
        return
    if device is None or meta is None or source not in ("flatbed", "adf"):
        err.print("[red]Cần --device, --source flatbed|adf và thông tin quyển sổ.[/]")
        raise typer.Exit(2)
    guarded(lambda: _scan(s.home_abs, device, meta, source, dpi, gray, max_pages, resume, new,
                           process))  # fmt: skip


def _scan(
    home: Path,
    device: str,
    meta: BookMeta,
    source: str,
    dpi: int,
    gray: bool,
    max_pages: int | None,
    resume: bool,
    new: bool,
    process: bool,
) -> None:
    src = _make_source(device, dpi, source == "adf", max_pages, gray)
    folder = _open_capture(home, meta, resume=resume, new=new, source=src.describe())
    console.print(f"[b]{src.describe()}[/] → {folder.path}")
    folders, stopped = _capture(src, folder, home, separators=True)
    _summary(folders)
    if stopped is not None:
        err.print(f"[red]{stopped.message_vi}[/]")
        err.print(
            f"Đã giữ {len(folders[-1].pages)} trang đã quét trong {folders[-1].path}. "
            "Khắc phục rồi chạy lại cùng lệnh với --resume để quét tiếp."
        )
    failed = _process(folders) if process else 0
    if stopped is not None:
        raise typer.Exit(EXIT_SCANNER)
    if failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the capture commands to the main CLI."""
    app.command()(scan)
    app.command()(separator)
