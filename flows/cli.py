"""The ``sohoa`` command line (messages in Vietnamese, logs in English).

This module only declares and registers commands; what they share (settings, error guard,
exit codes, ingest) is in :mod:`flows.cli_common`. Nothing heavy is imported at start-up:
each command imports what it needs, so ``sohoa --help`` and ``sohoa status`` start fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli_common import (
    EXIT_PAGES_FAILED,
    EXIT_USAGE,
    SAMPLES,
    check_schema,
    console,
    err,
    guarded,
    ingest_book,
    parse_years,
    probe_tools,
    progress_bar,
    setup,
)
from schemas.enums import BookType

if TYPE_CHECKING:
    from pipeline.config import Settings
    from pipeline.phases import PhasePlan

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="sohoa — số hóa sổ hộ tịch và kết quả TTHC."
)


@app.command()
def ingest(
    folder: Annotated[Path, typer.Argument(help="Thư mục ảnh trang của một quyển sổ")],
    book_type: Annotated[BookType, typer.Option("--book-type", help="Loại sổ")],
    agency: Annotated[str, typer.Option(help="Mã cơ quan đăng ký")],
    book: Annotated[str, typer.Option(help="Số quyển, ví dụ 02/1994")],
    years: Annotated[str, typer.Option(help="Năm của sổ: YYYY hoặc YYYY-YYYY")],
    schema: Annotated[
        str | None,
        typer.Option(
            "--schema",
            help="Ép loại giấy tờ cho mọi trang (mặc định: nhận dạng từng trang, "
            "lấy loại sổ làm gợi ý)",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Nhập một lô từ thư mục: lưu bản gốc, làm sạch, OCR, trích xuất, lưu theo giai đoạn."""
    if schema:
        check_schema(schema)
    s = setup(verbose)
    y0, y1 = parse_years(years)
    if not folder.is_dir():
        err.print(f"[red]Không tìm thấy thư mục {folder}[/]")
        raise typer.Exit(EXIT_USAGE)
    probe_tools(s.ocr_lang)
    from schemas.models import BookMeta

    meta = BookMeta(book_type=book_type, agency=agency, book=book, year_from=y0, year_to=y1)
    _, failed = guarded(lambda: ingest_book(folder, meta, schema=schema))
    if failed:
        err.print(f"[yellow]{failed} trang lỗi — xem cột Ghi chú; các trang khác đã xử lý xong.[/]")
        raise typer.Exit(EXIT_PAGES_FAILED)


def _print_status(data: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="Tiến độ theo giai đoạn")
    headers = (
        "Giai đoạn",
        "Năm hình thành",
        "Trang",
        "Hồ sơ",
        "Trường cần duyệt",
        "Hồ sơ giữ lại",
        "Hồ sơ đã lưu",
        "Trang lỗi",
    )
    for h in headers:
        table.add_column(h, justify="right" if h not in headers[:2] else "left")
    keys = ("pages", "records", "needs_review", "held", "stored", "failed")
    for row in data["phases"]:
        table.add_row(row["phase"], row["years"], *(str(row[k]) for k in keys))
    table.add_row("[b]Tổng[/]", "", *(f"[b]{data['totals'][k]}[/]" for k in keys))
    console.print(table)
    _print_held(data.get("held") or [])


def _print_held(held: list[dict[str, Any]]) -> None:
    """The pages clerks held: what the operator must scan again (or report unreadable)."""
    from rich.markup import escape

    from schemas.enums import BOOK_TYPE_VI, HOLD_KINDS

    if not held:
        return
    console.print(
        f"[yellow]Trang cán bộ duyệt báo cần quét lại hoặc không đọc được: {len(held)}[/]"
    )
    for h in held:
        book = f"{BOOK_TYPE_VI.get(h['book_type'], h['book_type'])} {h['book']} — {h['agency']}"
        console.print(
            f"  {escape(book)}, trang {h['page']} ({escape(str(h['file']))}): "
            f"{HOLD_KINDS.get(h['kind'], h['kind'])} — {escape(str(h['reason'] or ''))}"
        )


def _phase_status(s: Settings, plan: PhasePlan) -> dict[str, Any]:
    """Counts per phase: a migrated SQLite file read directly (fast), else via SQLAlchemy."""
    import sqlite3

    from flows.wiring import sessions, sqlite_at_head
    from pipeline.review.report import phase_status, phase_status_from

    path = sqlite_at_head(s)
    if path is None:
        return phase_status(sessions(), plan)
    with sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True) as con:
        return phase_status_from(lambda sql: con.execute(sql).fetchall(), plan)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="In JSON cho máy đọc")] = False,
) -> None:
    """Tiến độ theo giai đoạn: trang, hồ sơ, trường cần duyệt, đã lưu, lỗi."""
    setup()
    from flows.wiring import make_plan, settings

    data = _phase_status(settings(), make_plan(settings()))
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        _print_status(data)


@app.command()
def process(
    paths: Annotated[list[Path], typer.Argument(help="Tệp ảnh/PDF hoặc thư mục")],
    out: Annotated[Path, typer.Option("--out", help="Thư mục ghi <tên>.json")],
    schema: Annotated[
        str | None,
        typer.Option("--schema", help="Ép loại giấy tờ: khai_sinh, ket_hon, khai_tu, tthc, so_…"),
    ] = None,
    keep_intermediates: Annotated[
        bool, typer.Option("--keep-intermediates", help="Giữ ảnh trung gian (OUT/intermediates)")
    ] = False,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Xử lý ngoại tuyến (không CSDL, không S3): ghi một tệp JSON cho mỗi trang."""
    s = setup(verbose)
    probe_tools(s.ocr_lang)
    from concurrent.futures import ThreadPoolExecutor
    from dataclasses import replace

    from flows.offline import expand_inputs, grouping_line, process_one
    from pipeline.config import ProcessOptions

    jobs = expand_inputs(paths)
    if not jobs:
        err.print("[red]Không có tệp nào để xử lý.[/]")
        raise typer.Exit(EXIT_USAGE)
    out.mkdir(parents=True, exist_ok=True)
    options = ProcessOptions.from_settings(s)
    if keep_intermediates:
        options = replace(options, keep_intermediates=True)
    if schema:
        check_schema(schema)
        options = replace(options, schema=schema)
    failed = 0
    with (
        progress_bar() as bar,
        ThreadPoolExecutor(max_workers=s.workers) as pool,
    ):
        tid = bar.add_task("Xử lý trang", total=len(jobs))
        for name, error in pool.map(lambda j: process_one(j, out, options, s.work_dir), jobs):
            if error:
                failed += 1
                bar.console.print(f"[red]{name}: {error}[/]")
            bar.advance(tid)
    for line in filter(None, (grouping_line(j, out) for j in jobs)):
        console.print(line)
    console.print(
        f"Đã ghi {len(jobs) - failed} tệp JSON vào {out}"
        + (f"; {failed} trang lỗi" if failed else "")
    )
    if failed:
        raise typer.Exit(EXIT_PAGES_FAILED)


@app.command()
def demo(verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False) -> None:
    """Chạy toàn bộ quy trình trên data/samples với cấu hình nhúng, in bảng theo giai đoạn."""
    s = setup(verbose)
    probe_tools(s.ocr_lang)
    from flows.offline import stage_demo_batches

    failed = 0
    for folder, meta in stage_demo_batches(SAMPLES, s.home_abs / "demo"):
        console.print(
            f"[b]Lô mẫu[/] {folder.name}: {meta.book_type} {meta.agency} quyển {meta.book}"
        )
        failed += guarded(lambda f=folder, m=meta: ingest_book(f, m))[1]
    _demo_inventory()
    status(as_json=False)
    console.print(f"Dữ liệu cục bộ: {s.home_abs}  (CSDL, S3, nhật ký)")
    if failed:
        raise typer.Exit(EXIT_PAGES_FAILED)


def _demo_inventory() -> None:
    """The samples' inventory (agency names, pages per book): upserted, so runs repeat."""
    from flows.wiring import make_plan, sessions, settings
    from pipeline.intake.inventory import import_inventory, parse_inventory

    rows = parse_inventory((SAMPLES / "kiem-ke.csv").read_text(encoding="utf-8"))
    done = import_inventory(sessions(), make_plan(settings()), rows)
    console.print(f"Kiểm kê mẫu: {done.added} quyển mới, {done.updated} quyển cập nhật")


def _register_bench() -> None:
    from bench.cli import register

    register(app)


_register_bench()

schemas_app = typer.Typer(help="Lược đồ hồ sơ (JSON Schema).", no_args_is_help=True)
app.add_typer(schemas_app, name="schemas")


@schemas_app.command("export")
def schemas_export(
    directory: Annotated[Path, typer.Argument(help="Thư mục ghi các tệp *.schema.json")],
) -> None:
    """Ghi JSON Schema của mọi loại hồ sơ (khai sinh, kết hôn, khai tử, TTHC)."""
    from schemas.dossiers import export_json_schemas

    for path in export_json_schemas(directory):
        console.print(f"Đã ghi {path}")


def _register() -> None:
    """Add the commands of the other command modules, in the order ``--help`` lists them."""
    from flows import capture_cli, cli_web, export_cli, pdf_cli, storage_cli, worker_cli

    for register in (
        cli_web.register,
        capture_cli.register,
        storage_cli.register,
        worker_cli.register,
        pdf_cli.register,
        export_cli.register,
    ):
        register(app)


_register()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
