"""What every ``sohoa`` command shares: settings and logs, error guard, exit codes, ingest.

The command modules (flows/cli.py, flows/*_cli.py, flows/cli_web.py, flows/watch.py) import
this one and never each other's helpers. It imports nothing heavy at module level (no
OpenCV, models, Prefect or database), so ``sohoa --help`` starts fast: each helper
imports what it needs when it runs.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

from pipeline.errors import ConfigError, MissingToolError, SohoaError

if TYPE_CHECKING:
    from pipeline.config import Settings
    from schemas.models import BookMeta

console = Console(emoji=False)  # ":mali:" in a report line is a font name, not a flag
err = Console(stderr=True, emoji=False)

EXIT_PAGES_FAILED = 1
EXIT_USAGE = 2
EXIT_MISSING_TOOL = 3
#: storage or the database stayed unreachable through every retry; nothing is lost, the
#: pages not finished stay queued: run the same command again later
EXIT_STORAGE = 5

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def setup(verbose: bool = False) -> Settings:
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


def probe_tools(lang: str) -> None:
    """Stop with exit code 3 when Tesseract or the language data is missing."""
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


def check_schema(schema: str) -> None:
    """Stop with exit code 2 unless ``schema`` names a known document kind."""
    from pipeline.extract.kinds import KINDS

    if schema not in KINDS:
        err.print(f"[red]--schema phải là một trong: {', '.join(KINDS)}[/]")
        raise typer.Exit(EXIT_USAGE)


def guarded(fn: Any) -> Any:
    """Run ``fn``; an error that stops the command becomes its message and exit code."""
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


def progress_bar() -> Any:
    """The progress bar of the commands that work page by page."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, TimeElapsedColumn(), console=console)


# --------------------------------------------------------------------------- ingest


def ingest_book(folder: Path, meta: BookMeta, *, schema: str | None = None) -> tuple[int, int]:
    """Open the batch of ``folder``, run the batch flow, print the table.

    ``schema`` forces one document kind on every page (``--schema``). Returns the batch id
    and the number of failed pages.
    """
    from flows.wiring import context, sessions
    from pipeline.work.batch import open_batch

    context()  # database migrated, object store up, before any page is touched
    batch_id = open_batch(sessions(), meta, folder)
    _warn_book_path(batch_id)
    _print_skipped(folder)
    _run_with_progress(batch_id, f"Xử lý {folder.name}", schema)
    return batch_id, _batch_summary(batch_id)


def ingest_and_check(folder: Path, meta: BookMeta) -> tuple[int, int]:
    """:func:`ingest_book`, then the book-level checks (missing or repeated pages) printed."""
    from flows.wiring import sessions, settings
    from pipeline.intake.bookcheck import check_book

    batch_id, failed = ingest_book(folder, meta)
    memory_mb = settings().page_memory_mb
    print_issues(check_book(sessions(), batch_id, folder, memory_mb=memory_mb))
    return batch_id, failed


def print_issues(issues: list[Any]) -> None:
    """The book-level findings (missing or repeated page numbers), or that there are none."""
    if not issues:
        console.print("[green]Kiểm tra quyển: không thấy thiếu hay lặp trang.[/]")
        return
    console.print(f"[yellow]Kiểm tra quyển: {len(issues)} điểm cần xem lại[/]")
    for issue in issues:
        console.print(f"  [yellow]•[/] {issue.message_vi}")


def _run_with_progress(batch_id: int, label: str, schema: str | None) -> dict[str, int]:
    """Run the batch flow in a worker thread while showing progress read from the DB."""
    from flows.batch_flow import run_batch
    from flows.wiring import sessions
    from pipeline.db.models import Page

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = run_batch(batch_id, schema=schema)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            box["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    with progress_bar() as bar:
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
    from rich.table import Table

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
        seqs = {p.id: p.seq for p in pages}
        for p in pages:
            live = [r for r in p.records if r.status != "superseded"]
            review = sum(1 for r in live for f in r.fields if f.needs_review)
            note = p.error_message or ", ".join((p.quality or {}).get("flags", []))
            if p.document_page_id not in (None, p.id) and p.document_page_id in seqs:
                # the page → document grouping: a letter's later page, a register's right page
                joined = f"thuộc văn bản bắt đầu ở trang {seqs[p.document_page_id]}"
                note = f"{note}; {joined}" if note else joined
            failed += p.status == "failed"
            status = {"processed": "[green]xong[/]", "failed": "[red]lỗi[/]"}.get(
                p.status, p.status
            )
            table.add_row(
                str(p.seq), p.source_name, status, p.kind or "", p.phase, str(review), note or ""
            )
    console.print(table)
    return failed


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
