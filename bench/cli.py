"""``sohoa bench``: quality and speed on a generated corpus with answers (registered by the CLI)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli_common import EXIT_PAGES_FAILED, console, err, probe_tools, progress_bar, setup

if TYPE_CHECKING:
    from bench.run import BenchOptions
    from pipeline.config import Settings

#: Pages of the calibration corpus by default (the packaged calibration was fitted on these).
CALIBRATION_PAGES = 240


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
    s = setup()
    probe_tools(s.ocr_lang)
    if calibrate:
        _calibrate(s, pages or CALIBRATION_PAGES, out, workers or s.workers)
        return
    from bench.corpus.build import build_corpus
    from bench.run import BenchOptions, run_bench

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
    with progress_bar() as bar:
        tid = bar.add_task("Đo từng trang", total=len(corpus))
        results = run_bench(corpus, opts, progress=lambda _r: bar.advance(tid))
    wall = time.perf_counter() - start
    raw = (out or s.home_abs / "bench" / "report.md").with_suffix(".json")
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    command = "sohoa bench" + (" --quick" if quick else "") + (f" --pages {pages}" if pages else "")
    report = _report(s, results, opts, command=command, seed=seed, wall=wall)
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


def _report(
    s: Settings, results: list[dict], opts: BenchOptions, *, command: str, seed: int, wall: float
) -> str:
    """Measure the memory of an A3 page, then render the markdown report."""
    from bench.memory import measure_a3
    from bench.report import render
    from bench.run import options_dict

    with console.status("Đo bộ nhớ trên trang A3 màu 300 dpi…"):
        memory = measure_a3(s.home_abs / "bench")
    return render(
        results,
        command=command,
        corpus=f"seed {seed}",
        wall_seconds=wall,
        options=options_dict(opts),
        memory=memory,
    )


def _calibrate(s: Settings, pages: int, out: Path | None, workers: int) -> None:
    from bench.calibrate import CALIBRATION_SEED, calibrate
    from pipeline.extract.calibration import DEFAULT_PATH

    root = s.home_abs / "bench" / f"calib-{CALIBRATION_SEED}-{pages}"
    with console.status(f"Hiệu chỉnh trên {pages} trang (hạt giống {CALIBRATION_SEED})…"):
        cal, summary = calibrate(root, n_pages=pages, workers=workers)
    target = out or DEFAULT_PATH
    cal.save(target)
    console.print(f"Ngưỡng tự chấp nhận {cal.threshold:.3f}; {summary}; đã ghi {target}")


def register(app: typer.Typer) -> None:
    """Add ``sohoa bench`` to the main CLI."""
    app.command()(bench)
