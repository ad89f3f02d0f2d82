"""Ink colours of a colour page: red seal ink, blue (or violet) pen, black print (pure).

Colour is information: a red seal over "KT. GIÁM ĐỐC" is not text to read, and blue ink on a
typed document is a pen, so handwriting. The colour master is never changed; these functions
make the gray copy OCR reads and a map of coloured ink in the same pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Classes of the ink map: paper or black/gray print (0), blue or violet pen (1), red ink (2).
OTHER, BLUE, RED = 0, 1, 2
#: A pixel is pen ink when its saturation (after the paper is balanced to white) is at least
#: this (0–255) ...
MIN_SATURATION = 60
#: ... seal ink, often faded to pink, at least this (a real seal's median was 74) ...
MIN_SEAL_SATURATION = 40
#: ... and it is at least this bright (darker pixels are black print, whatever their tint).
MIN_VALUE = 50
#: Fewer coloured pixels than this share of the page: no colour map (a gray page in RGB).
MIN_COLOURED_SHARE = 0.0003


def paper_colour(rgb: np.ndarray) -> np.ndarray:
    """The paper's colour: each channel's 90th percentile over a subsample of the page."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 250_000)))
    sample = rgb[::step, ::step].reshape(-1, 3)
    return np.maximum(np.percentile(sample, 90, axis=0), 64.0)


def balance(rgb: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """The page with the paper made white (bluish or yellowed paper is not ink colour)."""
    out = np.empty_like(rgb)
    for c in range(3):
        lut = np.clip(np.arange(256) * (255.0 / paper[c]), 0, 255).astype(np.uint8)
        out[..., c] = cv2.LUT(rgb[..., c], lut)
    return out


def ink_classes(balanced: np.ndarray) -> np.ndarray:
    """Per pixel: :data:`BLUE` for blue/violet pen, :data:`RED` for red/pink ink, else OTHER.

    Seal ink is red or pink: green and blue about equal, both well under red. Brown and
    sepia ink (old books' handwriting: green well above blue) is not seal ink and is kept.
    """
    hsv = cv2.cvtColor(balanced, cv2.COLOR_RGB2HSV)
    hue, sat, val = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    bright = val >= MIN_VALUE
    out = np.zeros(hue.shape, np.uint8)
    pen = bright & (sat >= MIN_SATURATION) & (hue >= 95) & (hue <= 155)  # OpenCV hue: blue ~120
    out[pen] = BLUE
    r, g, b = (balanced[..., c].astype(np.int16) for c in range(3))
    seal_hue = (hue <= 12) | (hue >= 160)
    not_brown = 2 * np.abs(g - b) < (r - np.maximum(g, b))
    out[bright & (sat >= MIN_SEAL_SATURATION) & seal_hue & not_brown] = RED
    return out


#: Rows per strip when a page's inks are separated (bounds the temporary arrays).
STRIP_ROWS = 512
#: Ink colours are classified on a copy this many times smaller on each side (a pen stroke
#: or a seal ring is several pixels wide at any scan resolution worth reading).
CLASS_STEP = 2


def separate_inks(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The gray copy for OCR with red seal ink lifted to paper, and the ink map (or None).

    Red ink is bright in the red channel while black print stays dark there, so red pixels
    take their (balanced) red channel: a seal over a title line leaves the letters under it.
    Blue pen stays as dark as it is: it is read, and marked as handwriting by the map. The
    colours are classified on a half-size copy in strips of :data:`STRIP_ROWS` rows and the
    map is enlarged back (a quarter of the work, about 1 byte a pixel on top of the page).
    """
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    paper = paper_colour(rgb)
    h, w = gray.shape
    size = (max(1, w // CLASS_STEP), max(1, h // CLASS_STEP))
    small = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    classes_small = np.zeros(small.shape[:2], np.uint8)
    for top in range(0, small.shape[0], STRIP_ROWS):
        rows = slice(top, top + STRIP_ROWS)
        classes_small[rows] = ink_classes(balance(small[rows], paper))
    if np.count_nonzero(classes_small) < MIN_COLOURED_SHARE * classes_small.size:
        return gray, None
    classes = cv2.resize(classes_small, (w, h), interpolation=cv2.INTER_NEAREST)
    red = classes == RED
    if red.any():
        lut = np.clip(np.arange(256) * (255.0 / paper[0]), 0, 255).astype(np.uint8)
        gray[red] = cv2.LUT(rgb[..., 0], lut)[red]
    return gray, classes


def colour_shares(classes: np.ndarray | None, ink: np.ndarray) -> tuple[float, float]:
    """Shares of the ink pixels (``ink`` a boolean mask of the same crop) that are blue, red."""
    if classes is None:
        return 0.0, 0.0
    n = int(np.count_nonzero(ink))
    if n == 0:
        return 0.0, 0.0
    return (
        float(np.count_nonzero(ink & (classes == BLUE))) / n,
        float(np.count_nonzero(ink & (classes == RED))) / n,
    )
