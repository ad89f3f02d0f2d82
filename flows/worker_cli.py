"""Scale-out commands: ``sohoa enqueue`` (register a book for the workers) and ``sohoa worker``.

``sohoa worker`` runs the database claim loop (pipeline/work/workloop.py) in one process per core
by default, each with one Tesseract at a time (``OMP_THREAD_LIMIT=1``). Any number of
stations can run it against one PostgreSQL and one S3/MinIO; each page is processed once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import EXIT_USAGE, console, err, guarded, parse_years, probe_tools, setup
from schemas.enums import BookType

if TYPE_CHECKING:
    from schemas.models import BookMeta

log = logging.getLogger(__name__)


def enqueue(
    folder: Annotated[Path, typer.Argument(help="Thư mục ảnh trang của một quyển sổ")],
    book_type: Annotated[BookType, typer.Option("--book-type", help="Loại sổ")],
    agency: Annotated[str, typer.Option(help="Mã cơ quan đăng ký")],
    book: Annotated[str, typer.Option(help="Số quyển, ví dụ 02/1994")],
    years: Annotated[str, typer.Option(help="Năm của sổ: YYYY hoặc YYYY-YYYY")],
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Đăng ký một lô và lưu bản gốc; các máy chạy `sohoa worker` sẽ xử lý các trang."""
    setup(verbose)
    y0, y1 = parse_years(years)
    if not folder.is_dir():
        err.print(f"[red]Không tìm thấy thư mục {folder}[/]")
        raise typer.Exit(EXIT_USAGE)
    from schemas.models import BookMeta

    meta = BookMeta(book_type=book_type, agency=agency, book=book, year_from=y0, year_to=y1)
    batch_id, counts = guarded(lambda: _enqueue(folder, meta))
    console.print(
        f"Lô {batch_id}: {counts['new']} trang mới, {counts['known']} trang đã có, "
        f"{counts['stored']} bản gốc đã lưu — chờ máy xử lý."
    )


def _enqueue(folder: Path, meta: BookMeta) -> tuple[int, dict[str, int]]:
    from flows.wiring import context
    from pipeline.work.batch import open_batch
    from pipeline.work.progress import enqueue_batch

    ctx = context()
    batch_id = open_batch(ctx.sessions, meta, folder)
    return batch_id, enqueue_batch(ctx, batch_id)


def worker(
    processes: Annotated[
        int, typer.Option("--processes", "-p", min=0, help="Số tiến trình; 0 = số lõi của máy")
    ] = 0,
    drain: Annotated[
        bool, typer.Option("--drain", help="Dừng khi hết trang chờ, thay vì chờ trang mới")
    ] = False,
    lease: Annotated[
        float, typer.Option("--lease", min=1.0, help="Thời hạn giữ một trang (giây)")
    ] = 120.0,
    max_attempts: Annotated[int, typer.Option("--max-attempts", min=1)] = 3,
    batch: Annotated[int | None, typer.Option("--batch", help="Chỉ xử lý lô này")] = None,
    verbose: Annotated[bool, typer.Option("-v", "--verbose")] = False,
) -> None:
    """Máy xử lý: nhận trang từ cơ sở dữ liệu, OCR, trích xuất, lưu; mỗi lõi một tiến trình."""
    from pipeline.work.workloop import WorkerOptions

    s = setup(verbose)
    probe_tools(s.ocr_lang)
    # one core per process: Tesseract, OpenMP/BLAS and OpenCV each limited to one thread
    os.environ.update(OMP_THREAD_LIMIT="1", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    opts = WorkerOptions(
        lease_seconds=lease, max_attempts=max_attempts, drain=drain, batch_id=batch
    )
    n = processes or s.workers
    console.print(f"Máy xử lý: {n} tiến trình, giữ trang {lease:.0f} giây; Ctrl+C để dừng.")
    if n == 1:
        _run_one(asdict(opts), verbose, in_child=False)
        return
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_run_one, args=(asdict(opts), verbose)) for _ in range(n)]
    for p in procs:
        p.start()
    _forward_signals(procs)
    for p in procs:
        p.join()
    if any(p.exitcode for p in procs):
        raise typer.Exit(1)


def _forward_signals(procs: list[multiprocessing.process.BaseProcess]) -> None:
    def forward(signum: int, _frame: object) -> None:
        for p in procs:
            if p.pid is not None and p.is_alive():
                os.kill(p.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)


def _run_one(opts: dict[str, object], verbose: bool, in_child: bool = True) -> None:
    """One claim loop; SIGTERM or Ctrl+C finishes the current page, then stops."""
    from flows.wiring import context
    from pipeline.work.workloop import WorkerOptions, run_worker

    if in_child:
        setup(verbose)
    import cv2

    cv2.setNumThreads(1)  # the process is the unit of parallelism, not OpenCV's thread pool
    from pipeline.extract.kinds import warm_up

    warm_up()  # reference data loaded before the first claim, not inside its lease
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stats = run_worker(context(), WorkerOptions(**opts), stop=stop)  # type: ignore[arg-type]
    mean = sum(stats.seconds) / len(stats.seconds) if stats.seconds else 0.0
    console.print(
        f"[{stats.worker}] xong {stats.done}, lỗi {stats.failed}, thử lại {stats.retried}, "
        f"mất quyền {stats.lost}; trung bình {mean:.1f} giây/trang"
    )
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    """Add the scale-out commands to the main CLI."""
    app.command()(enqueue)
    app.command()(worker)
