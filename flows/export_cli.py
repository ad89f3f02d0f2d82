"""``sohoa export``: the packages the receiving systems take (issue 19)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from flows.cli_common import EXIT_USAGE, console, err, guarded, progress_bar, setup

FORMATS = ("hotich", "archive")
T = TypeVar("T")


def export(
    target: Annotated[str, typer.Argument(help="Mã lô, tên quyển (02/1994) hoặc đường dẫn quyển")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="hotich: Excel + PDF cho CSDL hộ tịch điện tử; archive: hồ sơ nộp lưu trữ "
            "(TT 02/2019 + gói METS/EAD/PREMIS theo TT 05/2025)",
        ),
    ] = "hotich",
    out: Annotated[Path, typer.Option("--out", help="Thư mục ghi gói xuất")] = Path("export"),
    include_pending: Annotated[
        bool,
        typer.Option("--include-pending", help="Xuất cả hồ sơ chưa duyệt (ghi rõ ở cột cuối)"),
    ] = False,
    fonds: Annotated[
        str, typer.Option("--fonds", help="archive: mã phông (mặc định: theo tệp kiểm kê)")
    ] = "",
    file_code: Annotated[
        str, typer.Option("--file-code", help="archive: số và ký hiệu hồ sơ (mặc định: số quyển)")
    ] = "",
    title: Annotated[str, typer.Option("--title", help="archive: tiêu đề hồ sơ")] = "",
    catalog: Annotated[str, typer.Option("--catalog", help="archive: mục lục")] = "",
    box: Annotated[str, typer.Option("--box", help="archive: hộp số")] = "",
    retention: Annotated[
        str, typer.Option("--retention", help="archive: thời hạn bảo quản (mặc định Vĩnh viễn)")
    ] = "",
    access: Annotated[
        str, typer.Option("--access", help="archive: chế độ sử dụng (mặc định Hạn chế)")
    ] = "",
    pdfa: Annotated[
        bool, typer.Option("--pdfa", help="archive: PDF/A-2b cho từng văn bản (cần sohoa[pdfa])")
    ] = False,
) -> None:
    """Xuất gói của một quyển cho hệ thống nhận.

    --format hotich: Excel theo mẫu của Bộ Tư pháp + .zip một PDF cho mỗi trường hợp đăng ký.
    --format archive: bảng kê TT 02/2019 + gói thông tin (METS, EAD, PREMIS, SHA-256) theo
    TT 05/2025; cần --fonds. Chỉ hồ sơ đã duyệt (trừ khi có --include-pending). Gói được ghi
    vào --out và lưu trong kho dưới <quyển>/export/, kèm mã SHA-256 (sohoa verify kiểm tra).
    """
    if fmt not in FORMATS:
        err.print(f"[red]Định dạng {fmt!r} chưa có; dùng: {', '.join(FORMATS)}[/]")
        raise typer.Exit(EXIT_USAGE)
    s = setup()
    if fmt == "archive":
        from flows.wiring import sessions
        from pipeline.archive.export_archive import file_meta_for

        given = {"fonds": fonds, "file_code": file_code, "title": title, "catalog": catalog}
        given |= {"box": box, "retention": retention, "access": access}
        meta = guarded(lambda: file_meta_for(sessions(), target, **given))
        _archive(target, out, meta, include_pending, pdfa, s.page_memory_mb)
    else:
        _hotich(target, out, include_pending, s.page_memory_mb)


def _archive(
    target: str, out: Path, meta: object, include_pending: bool, pdfa: bool, memory_mb: int
) -> None:
    from flows.wiring import context
    from pipeline.archive.archival import FileMeta
    from pipeline.archive.export_archive import export_archive

    assert isinstance(meta, FileMeta)
    ctx = context()
    done = _with_progress(
        "Tạo PDF từng văn bản",
        lambda progress: export_archive(
            *(ctx.sessions, ctx.store, ctx.plan, target, out, meta),
            include_pending=include_pending,
            pdfa=pdfa,
            memory_mb=memory_mb,
            progress=progress,
        ),
    )
    console.print(f"Đã ghi {done.workbook} và gói {done.package} ({done.documents} văn bản)")
    console.print(f"Mã gói (OBJID): {done.objid}")
    console.print(f"Đã lưu vào kho: {done.keys[-1].rsplit('/', 1)[0]}/")
    if done.left_out:
        console.print(f"[yellow]{done.left_out} hồ sơ chưa duyệt không được xuất.[/]")


def _with_progress(label: str, run: Callable[[Callable[[int, int], None]], T]) -> T:
    """``run(progress)`` under a progress bar; a SohoaError ends the command with its message."""
    with progress_bar() as bar:
        tid = bar.add_task(label, total=None)
        return guarded(lambda: run(lambda i, n: bar.update(tid, completed=i, total=n)))


def _hotich(target: str, out: Path, include_pending: bool, memory_mb: int) -> None:
    from flows.wiring import context
    from pipeline.archive.export import export_hotich
    from pipeline.archive.hotich import DEFAULT_TEMPLATE, load_template

    # a province's own template (the Ministry's template has versions), checked before any work
    path = Path(os.environ.get("SOHOA_HOTICH_TEMPLATE") or DEFAULT_TEMPLATE)
    template = guarded(lambda: load_template(path))
    ctx = context()
    done = _with_progress(
        "Tạo PDF từng hồ sơ",
        lambda progress: export_hotich(
            *(ctx.sessions, ctx.store, ctx.plan, target, out),
            include_pending=include_pending,
            template=template,
            memory_mb=memory_mb,
            progress=progress,
        ),
    )
    console.print(f"Đã ghi {done.excel} ({done.rows} dòng) và {done.package} ({done.pdfs} PDF)")
    if done.page_kb:
        mean = sum(done.page_kb) / len(done.page_kb)
        console.print(
            f"PDF: {len(done.page_kb)} trang, trung bình {mean:.0f} kB/trang,"
            f" lớn nhất {max(done.page_kb):.0f} kB"
        )
    console.print(f"Đã lưu vào kho: {done.keys[-1].rsplit('/', 1)[0]}/")
    if done.left_out:
        console.print(f"[yellow]{done.left_out} hồ sơ chưa duyệt không được xuất.[/]")
    for line in done.uncoded:
        console.print(f"[yellow]Không mã hóa được giá trị: {line} (ô để trống)[/]")
    if done.low_dpi:
        pages = ", ".join(str(p) for p in done.low_dpi)
        console.print(f"[yellow]Trang {pages} dưới độ phân giải của mẫu: cần quét lại.[/]")


def register(app: typer.Typer) -> None:
    """Add these commands to the main CLI."""
    app.command("export")(export)
