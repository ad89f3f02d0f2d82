"""The ``sohoa`` command line (messages in Vietnamese, logs in English)."""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipeline.config import ProcessOptions, Settings
from pipeline.errors import ConfigError, MissingToolError, SohoaError
from schemas.models import BookMeta, BookType

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="sohoa — số hóa sổ hộ tịch và kết quả TTHC."
)
console = Console()
err = Console(stderr=True)

EXIT_PAGES_FAILED = 1
EXIT_USAGE = 2
EXIT_MISSING_TOOL = 3
#: storage or the database stayed unreachable through every retry; nothing is lost, the
#: pages not finished stay queued: run the same command again later
EXIT_STORAGE = 5

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def _setup(verbose: bool = False) -> Settings:
    """Read settings once, prepare the environment and the log file."""
    from flows.wiring import prepare_environment, settings

    try:
        s = settings()
    except ConfigError as exc:
        err.print(f"[red]Lỗi cấu hình:[/] {exc.message_vi}")
        raise typer.Exit(EXIT_USAGE) from exc
    prepare_environment(s)
    logs = s.home_abs / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        filename=logs / "sohoa.log",
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "urllib3", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return s


def _probe_tools(lang: str) -> None:
    from ocr.tesseract import probe

    try:
        probe(lang)
    except MissingToolError as exc:
        err.print(f"[red]{exc.message_vi}[/]")
        raise typer.Exit(EXIT_MISSING_TOOL) from exc


def parse_years(text: str) -> tuple[int, int]:
    """``"1994"`` or ``"1994-1996"`` → (from, to)."""
    m = re.fullmatch(r"\s*(\d{4})\s*(?:[-–/]\s*(\d{4}))?\s*", text)
    if not m:
        raise typer.BadParameter("năm phải có dạng YYYY hoặc YYYY-YYYY")
    a, b = int(m[1]), int(m[2] or m[1])
    if b < a:
        raise typer.BadParameter("năm kết thúc nhỏ hơn năm bắt đầu")
    return a, b


def _run_with_progress(batch_id: int, label: str) -> dict[str, int]:
    """Run the batch flow in a worker thread while showing progress read from the DB."""
    from flows.batch_flow import run_batch
    from flows.wiring import sessions
    from pipeline.db.models import Page

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = run_batch(batch_id)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        tid = bar.add_task(label, total=None)
        while thread.is_alive():
            thread.join(0.5)
            with sessions()() as s:
                rows = s.query(Page.status).filter(Page.batch_id == batch_id).all()
            done = sum(1 for (st,) in rows if st in ("processed", "failed"))
            bar.update(tid, total=len(rows) or None, completed=done)
    if "error" in box:
        raise box["error"]
    return box["result"]


def _batch_summary(batch_id: int) -> int:
    """Print what happened to a batch; return the number of failed pages."""
    from flows.wiring import sessions
    from pipeline.db.models import Batch

    with sessions()() as s:
        batch = s.get_one(Batch, batch_id)
        pages = sorted(batch.pages, key=lambda p: p.seq)
        table = Table(
            title=f"Lô {batch_id}: {batch.book_type} · {batch.agency} · quyển {batch.book}"
        )
        for col in ("Trang", "Tệp", "Trạng thái", "Loại", "Giai đoạn", "Cần duyệt", "Ghi chú"):
            table.add_column(col)
        failed = 0
        for p in pages:
            review = sum(1 for r in p.records for f in r.fields if f.needs_review)
            note = p.error_message or ", ".join((p.quality or {}).get("flags", []))
            failed += p.status == "failed"
            status = {"processed": "[green]xong[/]", "failed": "[red]lỗi[/]"}.get(
                p.status, p.status
            )
            table.add_row(
                str(p.seq), p.source_name, status, p.kind or "", p.phase, str(review), note or ""
            )
    console.print(table)
    return failed


def _ingest(folder: Path, meta: BookMeta) -> int:
    from flows.wiring import context, sessions
    from pipeline.work.batch import open_batch

    context()  # database migrated, object store up, before any page is touched
    batch_id = open_batch(sessions(), meta, folder)
    _warn_book_path(batch_id)
    _print_skipped(folder)
    _run_with_progress(batch_id, f"Xử lý {folder.name}")
    return _batch_summary(batch_id)


def _print_skipped(folder: Path) -> None:
    """Name every entry of the folder that is not read as a page, with the reason."""
    from pipeline.imaging.io import scan_folder

    for entry in scan_folder(folder).skipped:
        if not entry.refused:  # a refused link becomes a failed page row, shown in the table
            err.print(f"[yellow]Bỏ qua {entry.name}: {entry.message_vi}[/]")


def _warn_book_path(batch_id: int) -> None:
    """Say so when the book is stored under a disambiguated prefix (a look-alike book exists)."""
    from flows.wiring import sessions
    from pipeline.db.models import Batch

    with sessions()() as s:
        batch = s.get_one(Batch, batch_id)
        path = batch.book_row.key_path if batch.book_row else ""
    if "~" in path.rsplit("/", 1)[-1]:
        err.print(
            f"[yellow]Quyển {batch.book!r} khác một quyển đã có có tên gần giống; "
            f"lưu riêng dưới {path}.[/]"
        )


def _check_schema(schema: str) -> None:
    from pipeline.extract.kinds import KINDS

    if schema not in KINDS:
        err.print(f"[red]--schema phải là một trong: {', '.join(KINDS)}[/]")
        raise typer.Exit(EXIT_USAGE)


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
        _check_schema(schema)
        os.environ["SOHOA_FORCE_KIND"] = schema  # read by the settings the batch flow uses
    s = _setup(verbose)
    y0, y1 = parse_years(years)
    if not folder.is_dir():
        err.print(f"[red]Không tìm thấy thư mục {folder}[/]")
        raise typer.Exit(EXIT_USAGE)
    _probe_tools(s.ocr_lang)
    meta = BookMeta(book_type=book_type, agency=agency, book=book, year_from=y0, year_to=y1)
    failed = _guarded(lambda: _ingest(folder, meta))
    if failed:
        err.print(f"[yellow]{failed} trang lỗi — xem cột Ghi chú; các trang khác đã xử lý xong.[/]")
        raise typer.Exit(EXIT_PAGES_FAILED)


def _guarded(fn: Any) -> Any:
    from sqlalchemy.exc import InterfaceError, OperationalError

    try:
        return fn()
    except SohoaError as exc:
        err.print(f"[red]{exc.message_vi}[/]")
        raise typer.Exit(exit_code_for(exc)) from exc
    except (OperationalError, InterfaceError) as exc:  # the database went away mid-command
        logging.getLogger(__name__).error("database unavailable: %s", type(exc).__name__)
        err.print(
            "[red]Cơ sở dữ liệu không truy cập được; các trang chưa xong vẫn trong hàng đợi — "
            "chạy lại lệnh sau.[/]"
        )
        raise typer.Exit(EXIT_STORAGE) from exc


def exit_code_for(exc: SohoaError) -> int:
    """The exit code of an error that stopped a command (README, "Exit codes")."""
    if isinstance(exc, MissingToolError):
        return EXIT_MISSING_TOOL
    if exc.retryable:
        return EXIT_STORAGE
    return EXIT_USAGE


def _print_status(data: dict[str, Any]) -> None:
    table = Table(title="Tiến độ theo giai đoạn")
    headers = (
        "Giai đoạn",
        "Năm hình thành",
        "Trang",
        "Hồ sơ",
        "Trường cần duyệt",
        "Hồ sơ đã lưu",
        "Trang lỗi",
    )
    for h in headers:
        table.add_column(h, justify="right" if h not in headers[:2] else "left")
    keys = ("pages", "records", "needs_review", "stored", "failed")
    for row in data["phases"]:
        table.add_row(row["phase"], row["years"], *(str(row[k]) for k in keys))
    table.add_row("[b]Tổng[/]", "", *(f"[b]{data['totals'][k]}[/]" for k in keys))
    console.print(table)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="In JSON cho máy đọc")] = False,
) -> None:
    """Tiến độ theo giai đoạn: trang, hồ sơ, trường cần duyệt, đã lưu, lỗi."""
    _setup()
    from flows.wiring import make_plan, sessions, settings
    from pipeline.review.report import phase_status

    data = phase_status(sessions(), make_plan(settings()))
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
    s = _setup(verbose)
    _probe_tools(s.ocr_lang)
    from flows.offline import expand_inputs, process_one

    jobs = expand_inputs(paths)
    if not jobs:
        err.print("[red]Không có tệp nào để xử lý.[/]")
        raise typer.Exit(EXIT_USAGE)
    out.mkdir(parents=True, exist_ok=True)
    options = ProcessOptions.from_settings(s)
    if keep_intermediates:
        options = replace(options, keep_intermediates=True)
    if schema:
        _check_schema(schema)
        options = replace(options, schema=schema)
    failed = 0
    with (
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as bar,
        ThreadPoolExecutor(max_workers=s.workers) as pool,
    ):
        tid = bar.add_task("Xử lý trang", total=len(jobs))
        for name, error in pool.map(lambda j: process_one(j, out, options, s.work_dir), jobs):
            if error:
                failed += 1
                bar.console.print(f"[red]{name}: {error}[/]")
            bar.advance(tid)
    console.print(
        f"Đã ghi {len(jobs) - failed} tệp JSON vào {out}"
        + (f"; {failed} trang lỗi" if failed else "")
    )
    if failed:
        raise typer.Exit(EXIT_PAGES_FAILED)


@app.command()
def demo(verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False) -> None:
    """Chạy toàn bộ quy trình trên data/samples với cấu hình nhúng, in bảng theo giai đoạn."""
    s = _setup(verbose)
    _probe_tools(s.ocr_lang)
    from flows.offline import stage_demo_batches

    failed = 0
    for folder, meta in stage_demo_batches(SAMPLES, s.home_abs / "demo"):
        console.print(
            f"[b]Lô mẫu[/] {folder.name}: {meta.book_type} {meta.agency} quyển {meta.book}"
        )
        failed += _guarded(lambda f=folder, m=meta: _ingest(f, m))
    status(as_json=False)
    console.print(f"Dữ liệu cục bộ: {s.home_abs}  (CSDL, S3, nhật ký)")
    if failed:
        raise typer.Exit(EXIT_PAGES_FAILED)


@app.command()
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="Khoảng 10 trang")] = False,
    pages: Annotated[int | None, typer.Option(help="Số trang của bộ thử")] = None,
    seed: Annotated[int, typer.Option(help="Hạt giống sinh bộ thử")] = 2020,
    out: Annotated[Path | None, typer.Option(help="Ghi báo cáo markdown vào tệp này")] = None,
    baselines: Annotated[bool, typer.Option(help="Chạy cả các công cụ so sánh")] = True,
    ocrmypdf: Annotated[bool, typer.Option(help="Chạy cả OCRmyPDF")] = True,
    workers: Annotated[int | None, typer.Option(help="Số tiến trình")] = None,
    calibrate: Annotated[
        bool, typer.Option("--calibrate", help="Hiệu chỉnh độ tin cậy trên bộ trang riêng")
    ] = False,
) -> None:
    """Đo chất lượng và tốc độ trên bộ trang sinh có đáp án, so với công cụ hiện có."""
    s = _setup()
    _probe_tools(s.ocr_lang)
    if calibrate:
        _calibrate(s, pages or CALIBRATION_PAGES, out, workers or s.workers)
        return
    from bench.corpus.build import build_corpus
    from bench.report import render
    from bench.run import BenchOptions, options_dict, run_bench

    n = pages or (10 if quick else 60)
    root = s.home_abs / "bench" / f"corpus-{seed}-{n}"
    with console.status(f"Sinh bộ thử {n} trang (lưu đệm tại {root})…"):
        corpus = build_corpus(root, n_pages=n, seed=seed)
    opts = BenchOptions(
        baselines=baselines,
        ocrmypdf=ocrmypdf and baselines,
        workers=workers or s.workers,
        lang=s.ocr_lang,
    )
    start = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tid = bar.add_task("Đo từng trang", total=len(corpus))
        results = run_bench(corpus, opts, progress=lambda _r: bar.advance(tid))
    wall = time.perf_counter() - start
    raw = (out or s.home_abs / "bench" / "report.md").with_suffix(".json")
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    from bench.memory import measure_a3

    with console.status("Đo bộ nhớ trên trang A3 màu 300 dpi…"):
        memory = measure_a3(s.home_abs / "bench")
    command = "sohoa bench" + (" --quick" if quick else "") + (f" --pages {pages}" if pages else "")
    report = render(
        results,
        command=command,
        corpus=f"seed {seed}",
        wall_seconds=wall,
        options=options_dict(opts),
        memory=memory,
    )
    target = out or s.home_abs / "bench" / f"report-{'quick' if quick else n}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(report, encoding="utf-8")
    target.with_suffix(".json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    console.print(report.split("## OCR text quality")[0])
    console.print(f"Báo cáo: {target}")
    failed = sum(1 for r in results if "error" in r)
    if failed:
        err.print(f"[yellow]{failed} trang không đo được — xem cuối báo cáo.[/]")
        raise typer.Exit(EXIT_PAGES_FAILED)


#: Pages of the calibration corpus by default (the packaged calibration was fitted on these).
CALIBRATION_PAGES = 240


def _calibrate(s: Settings, pages: int, out: Path | None, workers: int) -> None:
    from bench.calibrate import CALIBRATION_SEED, calibrate
    from pipeline.extract.calibration import DEFAULT_PATH

    root = s.home_abs / "bench" / f"calib-{CALIBRATION_SEED}-{pages}"
    with console.status(f"Hiệu chỉnh trên {pages} trang (hạt giống {CALIBRATION_SEED})…"):
        cal, summary = calibrate(root, n_pages=pages, workers=workers)
    target = out or DEFAULT_PATH
    cal.save(target)
    console.print(f"Ngưỡng tự chấp nhận {cal.threshold:.3f}; {summary}; đã ghi {target}")


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


def _register_web() -> None:
    from flows.cli_web import register

    register(app)


_register_web()


def _register_capture() -> None:
    from flows.capture_cli import register

    register(app)


_register_capture()


def _register_storage() -> None:
    from flows.storage_cli import register

    register(app)


_register_storage()


def _register_worker() -> None:
    from flows.worker_cli import register

    register(app)


_register_worker()


def _register_pdf() -> None:
    from flows.pdf_cli import register

    register(app)


_register_pdf()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
