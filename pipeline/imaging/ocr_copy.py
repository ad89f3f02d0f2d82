"""The OCR copy of a page: turned, enlarged, deskewed, flattened, stretched, binarised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from pipeline.imaging.cleanup import (
    ANALYSIS_SIDE,
    Analysis,
    border_mask,
    downscale,
    estimate_background,
    flatten,
    percentile_u8,
    rotate_fill,
    turn_upright,
)
from pipeline.imaging.resolution import reads_gray, upscale_factor


@dataclass(frozen=True)
class OcrCopy:
    """The cleaned page for OCR, and the numbers that made it."""

    gray: np.ndarray  # flattened, contrast-stretched gray (for quality and layout)
    binary: np.ndarray  # 0/255, what OCR reads
    threshold: float
    ink_level: float
    params: dict[str, Any]


#: Darkest 1 % of a page lighter than this: less than 1 % of it is ink (a few lines on an A4
#: page, a signature page). Its ink is then looked for in the darkest 0.05 %, and never taken
#: lighter than this: stretching "ink" at the paper's own level turned the paper black and the
#: page read as empty.
SPARSE_INK_LEVEL = 160.0


def ink_level_of(flat: np.ndarray) -> float:
    """The level of the page's ink (its darkest 1 %, or 0.05 % on a sparse page)."""
    level = percentile_u8(flat, 1.0)
    if level > SPARSE_INK_LEVEL:
        level = min(percentile_u8(flat, 0.05), SPARSE_INK_LEVEL)
    return level


def make_ocr_copy(gray: np.ndarray, a: Analysis, *, dpi: float | None) -> OcrCopy:
    """Turn, enlarge small text, deskew, flatten, clear borders, despeckle, stretch, binarise."""
    page = turn_upright(gray, a.orientation)
    factor = upscale_factor(a.line_height, page.shape)
    if factor > 1.0:
        page = cv2.resize(page, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    h, w = page.shape
    if a.background is None or a.borders is None:
        small, _ = downscale(gray, ANALYSIS_SIDE)
        bg_small = estimate_background(small, stroke=max(9, round(min(small.shape) / 60)))
        border_small = border_mask(small)
    else:
        bg_small, border_small = a.background, a.borders
    scale = max(bg_small.shape) / max(h, w)
    stroke = max(9, round(min(bg_small.shape) / 60))
    bg = cv2.resize(turn_upright(bg_small, a.orientation), (w, h), interpolation=cv2.INTER_LINEAR)
    flat = flatten(page, bg)
    if border_small.any():
        border = turn_upright(border_small, a.orientation)
        flat[cv2.resize(border, (w, h), interpolation=cv2.INTER_NEAREST) > 0] = 255
    flat = cv2.medianBlur(flat, 3)
    ink_level = ink_level_of(flat)
    span = max(30.0, 235.0 - ink_level)
    lut = np.clip((np.arange(256) - ink_level) * (255.0 / span), 0, 255).astype(np.uint8)
    stretched = cv2.LUT(flat, lut)
    stretched = rotate_fill(stretched, -a.skew)
    t, binary = cv2.threshold(stretched, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if t > 230:  # a nearly empty page: keep only clearly dark marks
        t, binary = cv2.threshold(stretched, 128, 255, cv2.THRESH_BINARY)
    params = {
        "background_kernel_px": round(stroke / scale),
        "ink_level": round(ink_level, 1),
        "stretch_span": round(span, 1),
        "threshold": round(float(t), 1),
        "despeckle": "median3",
        "dpi": dpi * factor if dpi else dpi,
        **({"upscale": factor} if factor > 1.0 else {}),
        **({"copy": "gray"} if reads_gray(factor) else {}),
    }
    return OcrCopy(stretched, binary, float(t), ink_level, params)


def align_map(labels: np.ndarray, a: Analysis, factor: float) -> np.ndarray:
    """A label map of the page moved into the OCR copy's pixels (turn, enlarge, deskew)."""
    out = turn_upright(labels, a.orientation)
    if factor > 1.0:
        out = cv2.resize(out, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    return rotate_fill(out, -a.skew, 0, nearest=True)
