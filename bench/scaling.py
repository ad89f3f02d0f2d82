"""Scaling bench (#9): throughput of the claim loop with 1 and 2 worker processes.

``python -m bench.scaling [--pages 16]`` renders a backlog of corpus pages (seed 9), then for
each worker count runs the real thing in subprocesses — ``sohoa enqueue`` and
``sohoa worker --processes K --drain`` on a fresh SOHOA_HOME (SQLite, embedded S3) — and
reads the claim log (``page_runs``) for the span from the first claim to the last finish.
It also times bare ``tesseract IMAGE stdout -l vie`` on the same pages, one at a time, and
appends the results and a province simulation to BENCHMARKS.md under "## Scaling (#9)".
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from bench.baselines import bare_tesseract_text
from bench.corpus.build import CorpusPage, build_corpus
from bench.report import put_section
from flows.local_s3 import stop_local_s3

ROOT = Path(__file__).resolve().parents[1]
HEADER = "## Scaling (#9)"
SEED = 9


@dataclass(frozen=True)
class Run:
    """One backlog run with ``workers`` processes."""

    workers: int
    pages: int
    span_s: float
    wall_s: float
    per_page_s: dict[str, float]
    #: 1-minute load average when the run started (other jobs on the machine show here)
    load_before: float = 0.0

    @property
    def pages_per_min(self) -> float:
        """Throughput over the span from the first claim to the last finished page."""
        return 60.0 * self.pages / self.span_s


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_HOME=str(home), OMP_THREAD_LIMIT="1", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    return env


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sohoa {args[0]} failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    return done


def run_backlog(pages: list[CorpusPage], workers: int, scratch: Path, tag: str = "") -> Run:
    """Enqueue ``pages`` on a fresh home, drain them with ``workers`` processes, read the log."""
    home, folder = scratch / f"home-{workers}{tag}", scratch / f"book-{workers}{tag}"
    folder.mkdir(parents=True)
    for p in pages:
        shutil.copy2(p.image_path, folder / p.image_path.name)
    meta = ("--book-type", "khai_sinh", "--agency", "bench", "--book", "1", "--years", "2000")
    load = os.getloadavg()[0]
    try:
        _cli(home, "enqueue", str(folder), *meta)
        start = time.perf_counter()
        _cli(home, "worker", "--processes", str(workers), "--drain", "--lease", "600")
        wall = time.perf_counter() - start
    finally:
        stop_local_s3(home)
    return replace(_read_log(home / "sohoa.db", workers, wall), load_before=load)


def _read_log(db: Path, workers: int, wall: float) -> Run:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT p.source_name, r.started_at, r.finished_at, r.seconds FROM page_runs r "
            "JOIN pages p ON p.id = r.page_id WHERE r.outcome = 'done'"
        ).fetchall()
    starts = [datetime.fromisoformat(r[1]) for r in rows]
    ends = [datetime.fromisoformat(r[2]) for r in rows]
    span = (max(ends) - min(starts)).total_seconds()
    return Run(workers, len(rows), span, wall, {r[0]: float(r[3]) for r in rows})


def bare_tesseract_times(pages: list[CorpusPage]) -> dict[str, float]:
    """Seconds of bare ``tesseract IMAGE stdout -l vie`` per page, one page at a time."""
    out = {}
    for p in pages:
        start = time.perf_counter()
        bare_tesseract_text(p.image_path)
        out[p.image_path.name] = time.perf_counter() - start
    return out


def simulate(
    pages_per_min_machine: float,
    *,
    total_pages: int = 2_000_000,
    hours_per_day: float = 20.0,
    machines: tuple[int, ...] = (5, 10, 20, 40),
) -> list[tuple[int, float]]:
    """Days to process ``total_pages`` with N machines like this one (linear in machines)."""
    per_day = pages_per_min_machine * 60 * hours_per_day
    return [(n, total_pages / (per_day * n)) for n in machines]


def render(runs: list[Run], bare: dict[str, float], n_pages: int, repeat: int = 1) -> str:
    """The Markdown section for BENCHMARKS.md."""
    one, two = runs[0], runs[-1]
    ratios = [one.per_page_s[k] / bare[k] for k in one.per_page_s if k in bare]
    lines = [
        HEADER,
        "",
        f"`python -m bench.scaling --pages {n_pages} --repeat {repeat}` on "
        f"{datetime.now():%Y-%m-%d}: "
        f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, corpus seed "
        f"{SEED}, SQLite + embedded S3, `sohoa worker --drain` in subprocesses, "
        "`OMP_THREAD_LIMIT=1`. Span = first claim to last finished page (`page_runs`); "
        f"best of {repeat} runs per worker count; load = 1-min load average before the run "
        "(other jobs on this machine show there).",
        "",
        "| workers | pages | span s | wall s (with start-up) | pages/min | speed-up | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        speed = r.pages_per_min / one.pages_per_min
        lines.append(
            f"| {r.workers} | {r.pages} | {r.span_s:.1f} | {r.wall_s:.1f} | "
            f"{r.pages_per_min:.2f} | {speed:.2f}× | {r.load_before:.1f} |"
        )
    total_ratio = sum(one.per_page_s.values()) / sum(bare[k] for k in one.per_page_s)
    lines += [
        "",
        "| per page, 1 worker | median s | mean s |",
        "|---|---|---|",
        f"| sohoa pipeline (S3 get, cleanup, OCR, extract, S3 put, DB) | "
        f"{statistics.median(one.per_page_s.values()):.2f} | "
        f"{statistics.mean(one.per_page_s.values()):.2f} |",
        f"| bare `tesseract IMAGE stdout -l vie` | {statistics.median(bare.values()):.2f} | "
        f"{statistics.mean(bare.values()):.2f} |",
        "",
        f"Pipeline ÷ bare Tesseract, same pages: {total_ratio:.2f}× in total, "
        f"{statistics.median(ratios):.2f}× median per page "
        "(target ≤ 1.25× with the second reader, issue 17). "
        f"Speed-up 1 → 2 workers: {two.pages_per_min / one.pages_per_min:.2f}× (target ≥ 1.8×).",
        "",
        f"Simulation (docs/deploy.md): 2 000 000 pages, machines like this one at "
        f"{two.pages_per_min:.1f} pages/min each, 20 h/day:",
        "",
        "| machines | days |",
        "|---|---|",
        *[f"| {n} | {d:.1f} |" for n, d in simulate(two.pages_per_min)],
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the "## Scaling (#9)" section, which stays at the end of the file."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(put_section(text, HEADER, section), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Run the scaling bench and write its section of BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=16)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat", type=int, default=2, help="runs per worker count; best kept")
    ap.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    ap.add_argument("--corpus", type=Path, default=ROOT / "var" / "bench" / "corpus-scaling")
    args = ap.parse_args(argv)
    os.environ["OMP_THREAD_LIMIT"] = "1"
    pages = build_corpus(args.corpus / f"{SEED}-{args.pages}", n_pages=args.pages, seed=SEED)
    with tempfile.TemporaryDirectory(prefix="sohoa-scaling-") as tmp:
        runs = [
            min(
                (run_backlog(pages, k, Path(tmp), f"-{i}") for i in range(args.repeat)),
                key=lambda r: r.span_s,
            )
            for k in args.workers
        ]
    bare = bare_tesseract_times(pages)
    section = render(runs, bare, args.pages, args.repeat)
    print(section)
    write_section(args.out, section)


if __name__ == "__main__":
    main()
