"""``sohoa bench``: quality and speed on a generated corpus with answers (registered by the CLI).

The reported corpus has its own seed (2020 by default); the calibration is fitted on another
(:data:`bench.calibrate.CALIBRATION_SEED`), and the bench refuses to report on that one unless
``--dev`` says the figures are for development only.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from flows.cli_common import (
    EXIT_PAGES_FAILED,
    EXIT_USAGE,
    console,
    err,
    probe_tools,
    progress_bar,
    setup,
)

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
    dev: Annotated[
        bool,
        typer.Option("--dev", help="Cho phép đo trên hạt giống hiệu chỉnh (chỉ để phát triển)"),
    ] = False,
    real: Annotated[
        bool, typer.Option(help="Đo cả các trang thật (../shared/real, bộ phát triển)")
    ] = True,
    real_only: Annotated[
        bool, typer.Option("--real-only", help="Chỉ đo các trang thật, nhanh")
    ] = False,
) -> None:
    """Đo chất lượng và tốc độ trên bộ trang sinh có đáp án, so với công cụ hiện có."""
    s = setup()
    probe_tools(s.ocr_lang)
    if calibrate:
        _calibrate(s, pages or CALIBRATION_PAGES, out, workers or s.workers)
        return
    if real_only:
        _real_only(s, out)
        return
    _refuse_calibration_seed(seed, dev)
    n = pages or (10 if quick else 60)
    results, opts, wall = _measure(
        s, n=n, seed=seed, baselines=baselines, ocrmypdf=ocrmypdf and baselines, workers=workers
    )
    raw = (out or s.home_abs / "bench" / "report.md").with_suffix(".json")
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    command = (
        "sohoa bench"
        + (" --quick" if quick else "")
        + (f" --pages {pages}" if pages else "")
        + (f" --seed {seed} --dev" if dev else "")
    )
    real_lines = _real_lines(s) if real else None
    report = _report(s, results, opts, command=command, seed=seed, wall=wall, real=real_lines)
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


def _refuse_calibration_seed(seed: int, dev: bool) -> None:
    """Stop a report on the calibration's own corpus unless ``--dev`` was given."""
    from bench.calibrate import CALIBRATION_SEED

    if seed == CALIBRATION_SEED and not dev:
        err.print(
            f"[red]Hạt giống {seed} là bộ hiệu chỉnh: độ tin cậy được khớp trên chính các trang "
            "này, số đo sẽ đẹp giả. Dùng hạt giống khác (mặc định 2020), hoặc thêm --dev nếu "
            f"chỉ để phát triển.[/] (seed {seed} is the calibration seed; refusing to report "
            "on it without --dev)"
        )
        raise typer.Exit(EXIT_USAGE)


def _measure(
    s: Settings, *, n: int, seed: int, baselines: bool, ocrmypdf: bool, workers: int | None
) -> tuple[list[dict], BenchOptions, float]:
    """Build (or reuse) the corpus and measure every page; (results, options, wall seconds)."""
    from bench.corpus import names
    from bench.corpus.build import build_corpus
    from bench.run import BenchOptions, run_bench

    names.activate()  # names and places the product lists lack (bench.corpus.names)
    root = s.home_abs / "bench" / f"corpus-{seed}-{n}"
    with console.status(f"Sinh bộ thử {n} trang (lưu đệm tại {root})…"):
        corpus = build_corpus(root, n_pages=n, seed=seed)
    opts = BenchOptions(
        baselines=baselines, ocrmypdf=ocrmypdf, workers=workers or s.workers, lang=s.ocr_lang
    )
    start = time.perf_counter()
    with progress_bar() as bar:
        tid = bar.add_task("Đo từng trang", total=len(corpus))
        results = run_bench(corpus, opts, progress=lambda _r: bar.advance(tid))
    return results, opts, time.perf_counter() - start


def _real_lines(s: Settings) -> list[str]:
    """Run the real pages row and return its report section."""
    from bench.real import real_dir, render_real, run_real

    folder = real_dir(os.environ)
    with console.status(f"Đo các trang thật ({folder})…"):
        return render_real(run_real(folder, lang=s.ocr_lang))


def _real_only(s: Settings, out: Path | None) -> None:
    lines = _real_lines(s)
    text = "\n".join(lines) + "\n"
    console.print(text)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        console.print(f"Báo cáo: {out}")


def _calibration_samples(s: Settings) -> Path | None:
    """The newest-format samples of a cached calibration corpus, the biggest first."""
    from bench.calibrate import CALIBRATION_SEED, SAMPLES_FILE, load_samples

    found = (s.home_abs / "bench").glob(f"calib-{CALIBRATION_SEED}-*/{SAMPLES_FILE}")
    for path in sorted(found, key=lambda p: -int(p.parent.name.rsplit("-", 1)[-1])):
        if load_samples(path) is not None:
            return path
    return None


def _report(
    s: Settings,
    results: list[dict],
    opts: BenchOptions,
    *,
    command: str,
    seed: int,
    wall: float,
    real: list[str] | None = None,
) -> str:
    """Measure the memory of an A3 page, compute the held-out figures, render the report."""
    from bench.calibrate import held_out_report
    from bench.memory import measure_a3
    from bench.report import render
    from bench.run import options_dict
    from pipeline.extract.calibration import packaged

    with console.status("Đo bộ nhớ trên trang A3 màu 300 dpi…"):
        memory = measure_a3(s.home_abs / "bench")
    cal = packaged()
    held = held_out_report(
        results,
        calib_samples=_calibration_samples(s),
        judged_on=f"the bench's pages, seed {seed}",
        threshold=cal.threshold,
        target=cal.target_precision,
    )
    return render(
        results,
        command=command,
        corpus=f"seed {seed}",
        wall_seconds=wall,
        options=options_dict(opts),
        memory=memory,
        held_out=held,
        real=real,
    )


def _calibrate(s: Settings, pages: int, out: Path | None, workers: int) -> None:
    from bench.calibrate import CALIBRATION_SEED, calibrate
    from bench.corpus import names
    from pipeline.extract.calibration import DEFAULT_PATH

    names.activate()  # the calibration must see right names it does not know, too

    root = s.home_abs / "bench" / f"calib-{CALIBRATION_SEED}-{pages}"
    with console.status(f"Hiệu chỉnh trên {pages} trang (hạt giống {CALIBRATION_SEED})…"):
        cal, summary = calibrate(root, n_pages=pages, workers=workers)
    target = out or DEFAULT_PATH
    cal.save(target)
    by_group = summary.pop("held_out_by_group", {})
    console.print(f"Ngưỡng tự chấp nhận {cal.threshold:.3f}; {summary}; đã ghi {target}")
    console.print("Giữ ngoài theo nhóm (khớp trên trang không có nhóm, đo trên trang có nhóm):")
    for group, c in sorted(by_group.items()):
        console.print(f"  {group}: {_held_line(c)}")


def _held_line(c: dict[str, Any]) -> str:
    if "skipped" in c:
        return f"{c['fields']} fields, skipped ({c['skipped']})"
    acc = c["accepted"]
    prec = f"{c['accepted_right'] / acc * 100:.1f} %" if acc else "–"
    return (
        f"{c['fields']} fields, {acc} auto-accepted, precision {prec}, "
        f"{acc - c['accepted_right']} wrong"
    )


def register(app: typer.Typer) -> None:
    """Add ``sohoa bench`` to the main CLI."""
    app.command()(bench)
