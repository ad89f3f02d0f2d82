"""Run the benchmark: sohoa's pipeline and the baselines on the same corpus pages.

Each page is measured in a fresh worker process so that its peak memory is its own.
"""

from __future__ import annotations

import json
import logging
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench import baselines, metrics
from bench.calibrate import MIN_THRESHOLD
from bench.corpus.build import CorpusPage
from flows.wiring import second_reader
from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import packaged
from pipeline.extract.kinds import warm_up
from pipeline.imaging.clean import clean_page
from pipeline.imaging.io import to_array
from pipeline.imaging.page import to_gray
from pipeline.process import process_image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BenchOptions:
    """What to run."""

    baselines: bool = True
    ocrmypdf: bool = True
    workers: int = 2
    lang: str = "vie"


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, kids) / 1024, 1)


def _timed(fn: Callable[[], Any]) -> tuple[Any, float, str]:
    start = time.perf_counter()
    try:
        return fn(), time.perf_counter() - start, ""
    except Exception as exc:  # noqa: BLE001 - a failing baseline is reported, not fatal
        log.warning("baseline failed: %s", exc)
        return None, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"[:200]


def _text_scores(text: str | None, ref: str, seconds: float, error: str) -> dict[str, Any]:
    if text is None:
        return {"error": error, "seconds": seconds}
    return {"cer": metrics.cer(text, ref), "wer": metrics.wer(text, ref), "seconds": seconds}


def _measure_sohoa(page: CorpusPage, truth: dict, ref: str, work: Path, lang: str) -> dict:
    with Image.open(page.image_path) as im:
        im.load()
        start = time.perf_counter()
        out = process_image(
            im,
            stem=page.id,
            workdir=work,
            # read like the calibration corpus (checks only), the threshold replayed below
            options=ProcessOptions(lang=lang, review_threshold=MIN_THRESHOLD),
            engine=TesseractEngine(),
            calibration=packaged(),
            second=second_reader(),
        )
        seconds = time.perf_counter() - start
    res = out.result
    records = [r.contract() for r in res.records]
    m: dict[str, Any] = {
        "cer": metrics.cer(res.text, ref),
        "wer": metrics.wer(res.text, ref),
        "seconds": seconds,
        "timings": out.timings,
        "skew": res.skew_deg,
        "skew_error": metrics.skew_error(res.skew_deg, truth.get("skew_deg", 0.0)),
        "orientation": res.orientation_deg,
        "orientation_ok": res.orientation_deg == truth.get("orientation_deg", 0),
        "kind": res.kind,
        "peak_rss_mb": _peak_rss_mb(),
    }
    # Outcomes from the Record objects (they carry the signals the held-out figures refit on).
    outcomes = metrics.page_outcomes(res.records, truth, threshold=packaged().threshold)
    if outcomes:
        m["outcomes"] = outcomes
        m["fields"] = metrics.outcome_counts(outcomes)
    if truth.get("entries"):
        m["rows"] = list(metrics.rows_split_correctly(records, truth["entries"]))
    return m


def _skew_mod90(est: float | None, truth: float) -> float | None:
    """Error of a skew-only estimator, which cannot tell quarter turns apart."""
    if est is None:
        return None
    return min(abs(est - truth - 90 * k) for k in (-2, -1, 0, 1, 2))


def _measure_baselines(
    page: CorpusPage, truth: dict, ref: str, work: Path, opts: BenchOptions
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    text, sec, err = _timed(lambda: baselines.bare_tesseract_text(page.image_path, lang=opts.lang))
    out["tesseract"] = _text_scores(text, ref, sec, err)
    text, sec, err = _timed(lambda: baselines.bare_tesseract_text(page.clean_path, lang=opts.lang))
    out["floor"] = _text_scores(text, ref, sec, err)
    if opts.ocrmypdf:
        text, sec, err = _timed(
            lambda: baselines.ocrmypdf_text(page.image_path, workdir=work, lang=opts.lang)
        )
        out["ocrmypdf"] = _text_scores(text, ref, sec, err)
    with Image.open(page.image_path) as im:
        gray = to_gray(to_array(im.convert("RGB")))
    skew_truth = float(truth.get("skew_deg", 0.0))
    for name, fn in (("deskew", baselines.deskew_angle), ("jdeskew", baselines.jdeskew_angle)):
        angle, sec, err = _timed(lambda fn=fn: fn(np.ascontiguousarray(gray)))
        out[name] = {
            "skew": angle,
            "skew_error": _skew_mod90(angle, skew_truth),
            "seconds": sec,
            **({"error": err} if err else {}),
        }
    return out


def measure_page(page: CorpusPage, opts: BenchOptions) -> dict[str, Any]:
    """All measurements of one corpus page (run in its own process)."""
    os.environ["OMP_THREAD_LIMIT"] = "1"
    truth = json.loads(page.truth_path.read_text(encoding="utf-8"))
    ref = "\n".join(truth["lines"])
    work = Path(tempfile.mkdtemp(prefix=f"bench-{page.id}-"))
    try:
        result: dict[str, Any] = {
            "id": page.id,
            "kind": page.kind,
            "font": page.font,
            "hand_face": truth.get("hand_face") or "",
            "marks": list(truth.get("marks") or []),
            "degradations": list(page.degradations),
            "truth_skew": truth.get("skew_deg", 0.0),
            "truth_orientation": truth.get("orientation_deg", 0),
            "sohoa": _measure_sohoa(page, truth, ref, work / "sohoa", opts.lang),
        }
        if opts.baselines:
            result.update(_measure_baselines(page, truth, ref, work, opts))
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _init_worker() -> None:
    """Set up a bench worker like a pipeline worker, then warm it up once.

    One process per core: OpenCV single-threaded too, like Tesseract (OMP_THREAD_LIMIT=1).
    A real worker cleans thousands of pages in one process, so the one-off start-up costs of a
    fresh process (first calls into OpenCV and NumPy, loading the gazetteer, names and
    calibration) are paid here, on a small synthetic page, not on the first measured page.
    """
    import cv2

    cv2.setNumThreads(1)
    page = np.full((1400, 1000), 235, np.uint8)
    for i in range(20):
        cv2.putText(page, "Ho, chu dem, ten: NGUYEN VAN AN", (60, 80 + 60 * i), 0, 1.0, 20, 2)
    with tempfile.TemporaryDirectory() as d:
        clean_page(
            Image.fromarray(page),
            stem="warm",
            workdir=Path(d),
            engine=TesseractEngine(),
            ask_osd=False,
        )
    warm_up()  # the reference data a long-lived worker has loaded long before


def run_bench(
    pages: list[CorpusPage],
    opts: BenchOptions,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Measure every page with ``opts.workers`` processes; results in corpus order."""
    ctx = get_context("spawn")
    results: dict[str, dict[str, Any]] = {}
    with ProcessPoolExecutor(
        max_workers=opts.workers,
        mp_context=ctx,
        max_tasks_per_child=1,
        initializer=_init_worker,
    ) as pool:
        futures = {pool.submit(measure_page, p, opts): p for p in pages}
        for fut in as_completed(futures):
            page = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # noqa: BLE001 - one broken page must not end the run
                res = {
                    "id": page.id,
                    "kind": page.kind,
                    "error": f"{type(exc).__name__}: {exc}",
                    "degradations": list(page.degradations),
                    "font": page.font,
                }
            results[page.id] = res
            if progress:
                progress(res)
    return [results[p.id] for p in pages]


def options_dict(opts: BenchOptions) -> dict[str, Any]:
    """Options as recorded in the report."""
    return asdict(opts)
