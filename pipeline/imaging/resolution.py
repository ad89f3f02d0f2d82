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


def upscale_factor(line_height: float | None, shape: tuple[int, ...]) -> float:
    """How much to enlarge a page whose text lines are ``line_height`` pixels high (1.0: not)."""
    if not line_height or line_height >= SMALL_LINE_PX:
        return 1.0
    limit = MAX_UPSCALED_SIDE / max(shape[:2])
    return max(1.0, math.floor(min(MAX_UPSCALE, TARGET_LINE_PX / line_height, limit) * 100) / 100)
