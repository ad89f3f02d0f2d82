"""How large a page's text is, and how much to enlarge it before cleanup (pure)."""

from __future__ import annotations

import math

#: Text lines lower than this (full-resolution pixels) are enlarged before cleanup: binarising
#: 12-px lines erases the tone marks (a real 70-dpi photo read 25 % CER cleaned at its size,
#: 11 % bare, 10.8 % cleaned after enlarging 2x, 11.0 % after 2.5x).
SMALL_LINE_PX = 22.0
#: Enlarged so the text lines are about this high ...
TARGET_LINE_PX = 24.0
#: ... by at most this factor, and never past this many pixels on the long side.
MAX_UPSCALE = 3.0
MAX_UPSCALED_SIDE = 7000
#: A page enlarged at least this much (lines under ~16 px: phone photos, faxes) is read from
#: its flattened gray copy, not a binarised one: on the bench's ~70-dpi photos the gray reading
#: had more valid syllables on 5 of 6 pages (the sixth a tie: 158.5 vs 160.4) and on the real
#: 70-dpi photo it is the one under bare Tesseract's error rate. Reading it once, not both
#: ways, halves the OCR time of such pages (a 3x-enlarged page costs ~4x bare Tesseract).
GRAY_FROM_UPSCALE = 1.5


def reads_gray(factor: float) -> bool:
    """Is a page enlarged by ``factor`` read from its gray copy (not binarised)?"""
    return factor >= GRAY_FROM_UPSCALE


def upscale_factor(line_height: float | None, shape: tuple[int, ...]) -> float:
    """How much to enlarge a page whose text lines are ``line_height`` pixels high (1.0: not)."""
    if not line_height or line_height >= SMALL_LINE_PX:
        return 1.0
    limit = MAX_UPSCALED_SIDE / max(shape[:2])
    return max(1.0, math.floor(min(MAX_UPSCALE, TARGET_LINE_PX / line_height, limit) * 100) / 100)
