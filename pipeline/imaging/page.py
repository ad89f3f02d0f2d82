"""Small pure image helpers shared by the stages (cleanup lives in ``pipeline.imaging.cleanup``)."""

from __future__ import annotations

import cv2
import numpy as np

from pipeline.imaging.cleanup import (
    analyse,
    downscale,
    estimate_background,
    flatten,
    ink_mask,
    label,
    turn_upright,
)


def to_gray(img: np.ndarray) -> np.ndarray:
    """RGB or gray uint8 → gray uint8."""
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def estimate_skew(gray: np.ndarray) -> float:
    """Residual skew of a page, counter-clockwise degrees (Pillow's sign)."""
    return analyse(gray).skew


def rotate_quarter(img: np.ndarray, orientation_deg: int) -> np.ndarray:
    """Undo a page turned ``orientation_deg`` (0/90/180/270) counter-clockwise."""
    return turn_upright(img, orientation_deg)


def count_ruled_lines(gray: np.ndarray, *, flat: bool = False) -> int:
    """Number of long ruled lines, horizontal and vertical (a register table has many).

    ``flat``: the page's background is already divided out (the cleaned copy), so it is
    not estimated again.
    """
    # rules stay long lines at this size; text is not needed
    small, _ = downscale(gray, 1000, fast=True)
    mask = ink_mask(small if flat else flatten(small, estimate_background(small, stroke=9)))
    h, w = small.shape
    total = 0
    for size, axis, need in (
        ((max(30, w // 4), 1), cv2.CC_STAT_WIDTH, w // 3),
        ((1, max(30, h // 5)), cv2.CC_STAT_HEIGHT, h // 4),
    ):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        rules = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        if not cv2.countNonZero(rules):
            continue  # no long line at all (most forms): labelling would still cost ~4 ms
        n, _labels, stats = label(rules, 8)
        total += int(sum(1 for i in range(1, n) if stats[i, axis] >= need))
    return total
