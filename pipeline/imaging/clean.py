"""A page's OCR copy on disk: cleanup of the page image, its decisions recorded as steps.

The orientation is decided by :mod:`pipeline.imaging.orientation` (the OCR engine's
orientation detector asked through a scratch frame file); the master is never touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from pipeline.imaging.cleanup import Analysis
from pipeline.imaging.ocr_copy import OcrCopy, align_map, make_ocr_copy
from pipeline.imaging.orientation import (
    AskOsd,
    Prepared,
    confirm_orientation,
    prepare,
    vote_unsure,
)
from pipeline.imaging.page import count_ruled_lines
from pipeline.imaging.quality import page_quality
from pipeline.ports import OcrEngine
from schemas.models import PageQuality, ProcessingStep


@dataclass(frozen=True)
class CleanPage:
    """A page after cleanup: the OCR copy on disk and what was decided on the way."""

    gray: np.ndarray
    path: Path
    dpi: float | None
    orientation: int
    osd_confidence: float
    skew: float
    quality: PageQuality
    seconds: float
    steps: list[ProcessingStep] = field(default_factory=list)
    #: our own up/down vote was unsure and no second opinion was asked yet
    unverified: bool = False
    #: long ruled lines on the cleaned page (a register table has many)
    ruled_lines: int = 0
    #: coloured ink (blue pen, red seal) in the OCR copy's pixels, None on a page without
    colours: np.ndarray | None = None


def write_png(path: Path, gray: np.ndarray, dpi: float | None) -> Path:
    """Write a gray image losslessly, keeping its resolution."""
    im = Image.fromarray(gray)
    im.save(path, dpi=(dpi, dpi) if dpi else (300, 300), compress_level=1)
    return path


def write_bilevel(path: Path, binary: np.ndarray) -> Path:
    """Write a 0/255 image as a 1-bit PNG (fast, small); fail loudly if it cannot be."""
    # run-length deflate suits 1-bit pages: ~1/3 faster than level 1, about the same size
    params = [
        cv2.IMWRITE_PNG_COMPRESSION,
        1,
        cv2.IMWRITE_PNG_BILEVEL,
        1,
        cv2.IMWRITE_PNG_STRATEGY,
        cv2.IMWRITE_PNG_STRATEGY_RLE,
    ]
    if not cv2.imwrite(str(path), binary, params):
        raise OSError(f"cannot write the cleaned page {path}")
    return path


def osd_asker(engine: OcrEngine, workdir: Path, stem: str) -> AskOsd:
    """The engine's orientation detector on a page frame (written to a scratch file)."""

    def ask(frame: np.ndarray) -> tuple[int, float] | None:
        path = write_png(workdir / f"{stem}_osd.png", frame, None)
        found = engine.orientation(path)
        path.unlink(missing_ok=True)
        return found

    return ask


def clean_page(
    im: Image.Image,
    *,
    stem: str,
    workdir: Path,
    engine: OcrEngine,
    keep: bool = False,
    ask_osd: bool = True,
    orientation: int | None = None,
    prepared: Prepared | None = None,
) -> CleanPage:
    """Estimate orientation and skew, record them, then build the OCR copy (master untouched).

    When our own up/down vote is unsure, Tesseract's OSD is asked (``ask_osd``), or the
    page is returned ``unverified`` so the caller can check the orientation by how well the
    page reads (see :func:`pipeline.process.process_image`), which costs nothing when the
    vote was right.
    ``orientation`` forces the turn (a candidate the caller wants read). ``prepared`` is
    the gray page and its analysis from an earlier call on the same image (not redone).
    """
    start = time.perf_counter()
    prep = prepared or prepare(im)
    dpi, gray, a = prep.dpi, prep.gray, prep.analysis
    own = {
        "engine": "sohoa-profile",
        "degrees": a.orientation,
        "confidence": a.orientation_confidence,
        "lines": a.lines,
    }
    osd: dict[str, Any] | None = None
    unsure = vote_unsure(a) and orientation is None
    if orientation is not None:
        if (orientation % 180 == 0) != (a.orientation % 180 == 0):
            # the lines run the other way: skew and up/down must be measured that way
            a = prep.across()
        a = replace(a, orientation=orientation % 360)
        own["forced"] = orientation % 360
    elif unsure and ask_osd:
        a, osd = confirm_orientation(prep, a, osd_asker(engine, workdir, stem))
    copy = make_ocr_copy(gray, a, dpi=dpi)
    path = _write_copy(workdir / f"{stem}_3_clean.png", copy)
    if keep:
        write_png(workdir / f"{stem}_1_gray.png", gray, dpi)
        write_png(workdir / f"{stem}_2_flat_deskew.png", copy.gray, dpi)
    quality = page_quality(gray, copy, a, dpi=dpi)
    if "orientation_unsure" in a.notes:
        quality = quality.flagged("orientation_unsure")
    steps = _cleanup_steps(a, own, osd, copy)
    ruled = count_ruled_lines(copy.gray, flat=True)
    seconds = time.perf_counter() - start
    ocr_dpi = copy.params["dpi"]  # the OCR copy's own, after any enlarging
    factor = float(copy.params.get("upscale", 1.0))
    colours = None if prep.colours is None else align_map(prep.colours, a, factor)
    return CleanPage(
        *(copy.gray, path, ocr_dpi, a.orientation, a.orientation_confidence, a.skew, quality),
        *(seconds, steps),
        unverified=unsure and not ask_osd,
        ruled_lines=ruled,
        colours=colours,
    )


def _write_copy(path: Path, copy: OcrCopy) -> Path:
    """The OCR copy on disk: 1-bit, or its gray when enlarged small text would lose marks."""
    if copy.params.get("copy") == "gray":
        return write_png(path, copy.gray, copy.params["dpi"])
    return write_bilevel(path, copy.binary)


def _cleanup_steps(
    a: Analysis, own: dict[str, Any], osd: dict[str, Any] | None, copy: OcrCopy
) -> list[ProcessingStep]:
    """What cleanup decided, step by step: orientation, deskew, borders, the OCR copy."""
    return [
        ProcessingStep.of(
            "orientation",
            result=a.orientation,
            own=own,
            **({"osd": osd} if osd else {}),
        ),
        ProcessingStep.of("deskew", method="projection-profile", angle_deg=a.skew),
        ProcessingStep.of(
            "borders",
            content_box=list(a.content_box),
            border_fraction=round(a.border_fraction, 4),
        ),
        ProcessingStep.of("ocr_copy", **copy.params),
    ]


def half_turn(page: CleanPage) -> CleanPage:
    """The cleaned page turned upside down, without cleaning it again.

    Turning and deskewing about the centre commute, and the cleanup is the same either way
    up, so the OCR copy of the page at ``orientation + 180`` is this copy turned by 180°.
    """
    start = time.perf_counter()
    copy = cv2.imread(str(page.path), cv2.IMREAD_GRAYSCALE)
    if copy is None:
        raise OSError(f"cannot read back the cleaned page {page.path}")
    if reads_gray_copy(page):
        write_png(page.path, cv2.rotate(copy, cv2.ROTATE_180), page.dpi)
    else:
        write_bilevel(page.path, cv2.rotate(copy, cv2.ROTATE_180))
    turned = (page.orientation + 180) % 360
    page = note_orientation(page, result=turned, turned_half_by="reading")
    return replace(
        page,
        gray=cv2.rotate(page.gray, cv2.ROTATE_180),
        colours=None if page.colours is None else cv2.rotate(page.colours, cv2.ROTATE_180),
        orientation=turned,
        seconds=time.perf_counter() - start,
    )


def reads_gray_copy(page: CleanPage) -> bool:
    """Is the page's OCR copy its gray (enlarged small text), not a binarised one?"""
    copies = [s.model_extra or {} for s in page.steps if s.step == "ocr_copy"]
    return any(c.get("copy") == "gray" for c in copies)


def note_orientation(page: CleanPage, **notes: Any) -> CleanPage:
    """The page with ``notes`` written into its orientation step."""
    steps = [s.noted(**notes) if s.step == "orientation" else s for s in page.steps]
    return replace(page, steps=steps)
