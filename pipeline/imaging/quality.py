"""Quality of a cleaned page: measures and the flags an operator acts on."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.imaging.cleanup import Analysis, percentiles_u8
from pipeline.imaging.ocr_copy import OcrCopy, ink_level_of
from schemas.models import PageQuality


def _laplacian_sharpness(gray: np.ndarray, binary: np.ndarray | None = None) -> float:
    """Edge energy of the central part of the page (no resampling: blur stays blur).

    A page whose centre holds no ink (a short letter, a signature page) is measured on the
    rows that hold its ink instead (``binary``: the OCR copy, same size as ``gray``).
    """
    h, w = gray.shape
    crop = gray[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
    if binary is not None and binary.shape == gray.shape:
        centre = binary[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]
        if cv2.countNonZero(centre) > 0.999 * centre.size:
            rows = np.flatnonzero((binary < 128).sum(axis=1) > 0)
            if len(rows):
                crop = gray[rows.min() : rows.max() + 1]
    # 16-bit holds every 3x3 Laplacian of 8-bit pixels exactly (|value| <= 1020)
    _mean, std = cv2.meanStdDev(cv2.Laplacian(crop, cv2.CV_16S))
    return float(std[0, 0]) ** 2


def _shrunk(gray: np.ndarray, factor: float) -> np.ndarray:
    """An enlarged copy back at its scanned size (enlarging would read as blur)."""
    h, w = gray.shape
    size = (max(1, round(w / factor)), max(1, round(h / factor)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def _cut_off(binary: np.ndarray) -> bool:
    """Ink runs into the page edge (text cut off by the scan area or a tear)."""
    h, w = binary.shape
    m = max(3, min(h, w) // 200)
    strips = (binary[:m], binary[-m:], binary[:, :m], binary[:, -m:])
    return max(1.0 - cv2.countNonZero(s) / s.size for s in strips) > 0.02


#: A page with this many text lines is not blank, however little ink it has.
MIN_TEXT_LINES = 3


def page_quality(gray: np.ndarray, copy: OcrCopy, a: Analysis, *, dpi: float | None) -> PageQuality:
    """Quality measures and operator flags, available as soon as the page is cleaned.

    Flags: ``blank``, ``low_dpi`` (< 200 dpi, Decree 30/2020), ``text_too_small`` (too
    low a resolution for OCR), ``blurry``, ``overexposed``, ``underexposed``,
    ``text_cut_off``, ``orientation_unsure``.
    """
    ink_ratio = 1.0 - cv2.countNonZero(copy.binary) / max(1, copy.binary.size)
    factor = float(copy.params.get("upscale", 1.0))
    sharp = (
        _laplacian_sharpness(copy.gray, copy.binary)
        if factor == 1.0
        else _laplacian_sharpness(_shrunk(copy.gray, factor))
    )
    line_full = a.line_height
    paper = percentiles_u8(gray, (90,))[0]
    darkest = ink_level_of(gray)  # a sparse page's ink is in its darkest 0.05 %
    flags: list[str] = []
    # a few typed lines on an A4 page are ~0.3 % ink: blank also means no text lines found
    blank = (ink_ratio < 0.003 or a.ink_ratio < 0.002) and a.lines < MIN_TEXT_LINES
    if blank:
        flags.append("blank")
    if dpi is not None and dpi < 200:
        flags.append("low_dpi")
    if not blank and line_full is not None and line_full < 18:
        flags.append("text_too_small")
    if not blank and sharp < 350:
        flags.append("blurry")
    if paper > 252 and darkest > 150:
        flags.append("overexposed")
    if paper < 110:
        flags.append("underexposed")
    if not blank and _cut_off(copy.binary):
        flags.append("text_cut_off")
    return PageQuality(
        dpi=dpi,
        sharpness=round(sharp, 1),
        ink_ratio=round(ink_ratio, 4),
        paper_level=round(paper, 1),
        ink_level=round(darkest, 1),
        line_height_px=round(line_full, 1) if line_full else None,
        border_fraction=round(a.border_fraction, 4),
        flags=flags,
    )
