"""One page image → cleaned image, OCR, records: the stages of a page, no DB, no S3."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from pipeline.cleanup import Analysis, analyse, make_ocr_copy, osd_frame, page_quality
from pipeline.config import ProcessOptions
from pipeline.extract import calibration, detect_kind, extract_page
from pipeline.imaging import (
    count_ruled_lines,
    to_gray,
)
from pipeline.pageio import image_dpi, to_array
from pipeline.ports import OcrEngine, OcrReading
from schemas.models import PageResult, nfc

log = logging.getLogger(__name__)

#: OSD must be at least this sure before a page is turned.
MIN_OSD_CONFIDENCE = 2.0


@dataclass(frozen=True)
class PageOutcome:
    """What processing one page produced (files live in the work directory)."""

    result: PageResult
    ocr: OcrReading
    clean_path: Path
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class CleanPage:
    """A page after cleanup: the OCR copy on disk and what was decided on the way."""

    gray: np.ndarray
    path: Path
    dpi: float | None
    orientation: int
    osd_confidence: float
    skew: float
    quality: dict[str, Any]
    seconds: float
    steps: list[dict[str, Any]] = field(default_factory=list)


def quality_list(quality: dict[str, object], key: str) -> list[str]:
    """A list entry of a quality dict (empty when absent)."""
    value = quality.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def write_png(path: Path, gray: np.ndarray, dpi: float | None) -> Path:
    """Write a gray image losslessly, keeping its resolution."""
    im = Image.fromarray(gray)
    im.save(path, dpi=(dpi, dpi) if dpi else (300, 300), compress_level=1)
    return path


#: Below this confidence in our own up/down vote, Tesseract's OSD settles the orientation.
MIN_OWN_CONFIDENCE = 0.8


def confirm_orientation(
    gray: np.ndarray, a: Analysis, workdir: Path, stem: str, engine: OcrEngine
) -> tuple[Analysis, dict[str, Any]]:
    """Ask the OCR engine's orientation detector (OSD) when our own vote is unsure.

    OSD reads the page in our frame (lines horizontal by our vote); if it cannot tell,
    it is asked again with the other line direction. If it still cannot tell, the page is
    taken as upright (by far the most common case) and flagged ``orientation_unsure``.
    """
    info: dict[str, Any] = {"engine": "tesseract-osd", "tries": []}
    for candidate in (a, analyse(gray, lines_horizontal=a.orientation not in (0, 180))):
        frame, base = osd_frame(gray, candidate)
        path = write_png(workdir / f"{stem}_osd.png", frame, None)
        found = engine.orientation(path)
        path.unlink(missing_ok=True)
        info["tries"].append({"frame_turn": base, "result": found})
        if found is not None and found[1] >= MIN_OSD_CONFIDENCE:
            return replace(candidate, orientation=(base + found[0]) % 360), info
    upright = a if a.orientation in (0, 180) else analyse(gray, lines_horizontal=True)
    return replace(upright, orientation=0, notes=[*a.notes, "orientation_unsure"]), info


def clean_page(
    im: Image.Image, *, stem: str, workdir: Path, engine: OcrEngine, keep: bool = False
) -> CleanPage:
    """Estimate orientation and skew, record them, then build the OCR copy (master untouched)."""
    start = time.perf_counter()
    dpi = image_dpi(im)
    gray = to_gray(to_array(im))
    a = analyse(gray)
    own = {
        "engine": "sohoa-profile",
        "degrees": a.orientation,
        "confidence": a.orientation_confidence,
        "lines": a.lines,
    }
    osd: dict[str, Any] | None = None
    if a.orientation_confidence < MIN_OWN_CONFIDENCE:
        a, osd = confirm_orientation(gray, a, workdir, stem, engine)
    copy = make_ocr_copy(gray, a, dpi=dpi)
    path = workdir / f"{stem}_3_clean.png"
    cv2.imwrite(
        str(path), copy.binary, [cv2.IMWRITE_PNG_COMPRESSION, 1, cv2.IMWRITE_PNG_BILEVEL, 1]
    )
    if keep:
        write_png(workdir / f"{stem}_1_gray.png", gray, dpi)
        write_png(workdir / f"{stem}_2_flat_deskew.png", copy.gray, dpi)
    quality = page_quality(gray, copy, a, dpi=dpi)
    if "orientation_unsure" in a.notes:
        quality["flags"].append("orientation_unsure")
    steps: list[dict[str, Any]] = [
        {
            "step": "orientation",
            "result": a.orientation,
            "own": own,
            **({"osd": osd} if osd else {}),
        },
        {"step": "deskew", "method": "projection-profile", "angle_deg": a.skew},
        {
            "step": "borders",
            "content_box": list(a.content_box),
            "border_fraction": round(a.border_fraction, 4),
        },
        {"step": "ocr_copy", **copy.params},
    ]
    return CleanPage(
        copy.gray,
        path,
        dpi,
        a.orientation,
        a.orientation_confidence,
        a.skew,
        quality,
        time.perf_counter() - start,
        steps,
    )


def _provenance(page: CleanPage, ocr: OcrReading, kind: str, threshold: float) -> list[dict]:
    return [
        *page.steps,
        {
            "step": "ocr",
            "engine": ocr.page.engine,
            "version": ocr.page.engine_version,
            "lang": ocr.page.lang,
            "psm": ocr.page.psm,
        },
        {"step": "extract", "kind": kind, "threshold": threshold},
    ]


def process_image(
    im: Image.Image,
    *,
    stem: str,
    workdir: Path,
    options: ProcessOptions,
    engine: OcrEngine,
    hint: str | None = None,
) -> PageOutcome:
    """Run cleanup, OCR and extraction on one page image."""
    workdir.mkdir(parents=True, exist_ok=True)
    page = clean_page(
        im, stem=stem, workdir=workdir, engine=engine, keep=options.keep_intermediates
    )
    t0 = time.perf_counter()
    ocr = engine.read(
        page.path,
        workdir=workdir,
        lang=options.lang,
        timeout=options.ocr_timeout,
        dpi=round(page.dpi or 300),
    )
    t1 = time.perf_counter()
    kind = options.schema or detect_kind(
        ocr.page, hint=hint, ruled_lines=count_ruled_lines(page.gray)
    )
    threshold = (
        options.review_threshold
        if options.review_threshold is not None
        else calibration().threshold
    )
    # page.path is the binarised page.gray: the word boxes are in page.gray's pixels
    extract = extract_page(kind, ocr.page, threshold=threshold, gray=page.gray)
    records = extract.records
    quality = dict(page.quality)
    if not extract.layout_found:
        quality["flags"] = [*quality_list(quality, "flags"), "layout_not_extracted"]
    if ocr.page.warnings:
        quality["ocr_warnings"] = ocr.page.warnings
    log.info(
        "page %s: orientation=%s skew=%.2f kind=%s records=%d",
        stem,
        page.orientation,
        page.skew,
        kind,
        len(records),
    )
    text = ocr.page.text if extract.lines is None else "\n".join(ln.text for ln in extract.lines)
    result = PageResult(
        source=stem,
        text=nfc(text),
        skew_deg=page.skew,
        orientation_deg=page.orientation,
        quality=quality,
        records=records,
        kind=kind,
        provenance=[
            *_provenance(page, ocr, kind, threshold),
            *extract.steps,
        ],
    )
    timings = {"cleanup": page.seconds, "ocr": t1 - t0, "extract": time.perf_counter() - t1}
    return PageOutcome(result=result, ocr=ocr, clean_path=page.path, timings=timings)
