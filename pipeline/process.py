"""One page image → cleaned image, OCR, records: the stages of a page, no DB, no S3."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ocr.tesseract import OcrResult, detect_orientation, ocr_image
from pipeline.config import ProcessOptions
from pipeline.extract import detect_kind, extract_records
from pipeline.imaging import (
    count_ruled_lines,
    estimate_skew,
    quality_flags,
    rotate,
    rotate_quarter,
    to_gray,
)
from pipeline.pageio import image_dpi, to_array
from schemas.models import PageResult

log = logging.getLogger(__name__)

#: OSD must be at least this sure before a page is turned.
MIN_OSD_CONFIDENCE = 2.0


@dataclass(frozen=True)
class PageOutcome:
    """What processing one page produced (files live in the work directory)."""

    result: PageResult
    ocr: OcrResult
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


def quality_list(quality: dict[str, object], key: str) -> list[str]:
    """A list entry of a quality dict (empty when absent)."""
    value = quality.get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def write_png(path: Path, gray: np.ndarray, dpi: float | None) -> Path:
    """Write a gray image losslessly, keeping its resolution."""
    im = Image.fromarray(gray)
    im.save(path, dpi=(dpi, dpi) if dpi else (300, 300), compress_level=1)
    return path


def detect_page_orientation(gray: np.ndarray, workdir: Path, stem: str) -> tuple[int, float]:
    """Orientation (degrees turned counter-clockwise) and OSD confidence, 0 when unsure."""
    small = gray
    if max(gray.shape) > 3000:
        f = 3000 / max(gray.shape)
        small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    path = write_png(workdir / f"{stem}_osd.png", small, None)
    found = detect_orientation(path)
    path.unlink(missing_ok=True)
    if found is None or found[1] < MIN_OSD_CONFIDENCE:
        return 0, 0.0 if found is None else found[1]
    return found


def clean_page(im: Image.Image, *, stem: str, workdir: Path) -> CleanPage:
    """Orientation, then skew: estimate, record, apply; write the OCR copy; quality flags."""
    start = time.perf_counter()
    dpi = image_dpi(im)
    gray = to_gray(to_array(im))
    orientation, osd_conf = detect_page_orientation(gray, workdir, stem)
    gray = rotate_quarter(gray, orientation)
    skew = estimate_skew(gray)
    clean = rotate(gray, -skew)
    path = write_png(workdir / f"{stem}_deskew.png", clean, dpi)
    quality = quality_flags(clean, dpi=dpi)
    return CleanPage(
        clean, path, dpi, orientation, osd_conf, skew, quality, time.perf_counter() - start
    )


def _provenance(page: CleanPage, ocr: OcrResult, kind: str, threshold: float) -> list[dict]:
    return [
        {
            "step": "orientation",
            "engine": "tesseract-osd",
            "degrees": page.orientation,
            "confidence": round(page.osd_confidence, 2),
        },
        {"step": "deskew", "method": "projection-profile", "angle_deg": page.skew},
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
    im: Image.Image, *, stem: str, workdir: Path, options: ProcessOptions, hint: str | None = None
) -> PageOutcome:
    """Run cleanup, OCR and extraction on one page image."""
    workdir.mkdir(parents=True, exist_ok=True)
    page = clean_page(im, stem=stem, workdir=workdir)
    t0 = time.perf_counter()
    ocr = ocr_image(
        page.path, workdir=workdir, lang=options.lang, psm=3, timeout=options.ocr_timeout
    )
    t1 = time.perf_counter()
    kind = detect_kind(ocr.page, hint=hint, ruled_lines=count_ruled_lines(page.gray))
    records = extract_records(kind, ocr.page, threshold=options.review_threshold)
    quality = dict(page.quality)
    if kind not in ("khai_sinh", "tthc"):
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
    result = PageResult(
        source=stem,
        text=ocr.page.text,
        skew_deg=page.skew,
        orientation_deg=page.orientation,
        quality=quality,
        records=records,
        kind=kind,
        provenance=_provenance(page, ocr, kind, options.review_threshold),
    )
    timings = {"cleanup": page.seconds, "ocr": t1 - t0, "extract": time.perf_counter() - t1}
    return PageOutcome(result=result, ocr=ocr, clean_path=page.path, timings=timings)
