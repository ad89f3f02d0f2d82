"""A second look at digits: is a "9", "8" or "6" really a slashed zero?

Typewriters and computer fonts that cross their zeros ("0" with a slash, as in many
monospace faces) make Tesseract read the zero as "9", "8", "6" or "Ø" with high confidence:
the slash splits the zero's hole in two. "Ø" is mapped back to "0" right after OCR
(ocr.postprocess); the others are caught here from the page itself. A slashed zero has two
holes side by side; an "8" has two holes one above the other; "9" and "6" have one. When a
digit read as 8/9/6 has the zero's shape, the word is reported (:func:`find_suspect_zeros`);
extraction sends every field holding it to review with a note
(:func:`pipeline.extract.fields.flag_suspect_zeros`) — the value is not changed, a clerk looks
at the scan.

Words are checked glyph by glyph only when their ink splits into exactly one blob per
character (print, not touching); otherwise the check abstains.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from schemas.models import OcrPage, OcrWord

#: Digits a slashed zero is misread as.
SUSPECTS = frozenset("689")
#: Characters a digit word may hold besides digits, and the blobs each is printed as.
_SEPARATORS = {"/": 1, ".": 1, "-": 1, ",": 1, ";": 2, ":": 2}


def _holes(blob: np.ndarray) -> list[tuple[int, int]]:
    """Vertical extents (top, bottom) of the holes of one glyph (255 = ink)."""
    contours, hierarchy = cv2.findContours(blob, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return []
    h = blob.shape[0]
    out = []
    for contour, (_next, _prev, _child, parent) in zip(contours, hierarchy[0], strict=True):
        if parent < 0:
            continue  # an outer contour, not a hole
        x, y, w, hh = cv2.boundingRect(contour)
        if hh >= 0.15 * h and w >= 2:  # not a pinhole in the stroke
            out.append((y, y + hh))
    return out


def looks_like_slashed_zero(blob: np.ndarray) -> bool:
    """Two holes side by side (their heights overlap; an "8" stacks its two)."""
    holes = _holes(blob)
    if len(holes) != 2:
        return False
    (a0, a1), (b0, b1) = holes
    overlap = min(a1, b1) - max(a0, b0)
    return overlap >= 0.3 * min(a1 - a0, b1 - b0)


def _glyphs(gray: np.ndarray, word: OcrWord) -> list[np.ndarray] | None:
    """The word's ink blobs left to right, one per character, or None when they do not split so."""
    x, y, w, h = word.bbox
    pad = max(2, h // 10)
    y0, x0 = max(0, y - pad), max(0, x - pad)
    crop = gray[y0 : y + h + pad, x0 : x + w + pad]
    if crop.size == 0 or min(crop.shape) < 4:
        return None
    _t, ink = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    min_area = max(4, (h * h) // 200)
    blobs = [i for i in range(1, n) if stats[i, cv2.CC_STAT_AREA] >= min_area]
    sizes = [_SEPARATORS.get(ch, 1) for ch in word.text]
    if len(blobs) != sum(sizes):
        return None
    blobs.sort(key=lambda i: (stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_TOP]))
    out, k = [], 0
    for size in sizes:
        i = blobs[k]  # the character's first blob (the only one for a digit)
        k += size
        bx, by, bw, bh = (int(v) for v in stats[i, :4])
        out.append(((labels[by : by + bh, bx : bx + bw] == i) * 255).astype(np.uint8))
    return out


def suspect_zeros(gray: np.ndarray, word: OcrWord) -> list[int]:
    """Positions of the word's 8/9/6 that are shaped like a slashed zero (empty: none or unsure)."""
    text = word.text
    if not any(ch in SUSPECTS for ch in text):
        return []
    if not all(ch.isdigit() or ch in _SEPARATORS for ch in text):
        return []  # letters too: blobs cannot be matched to characters safely
    glyphs = _glyphs(gray, word)
    if glyphs is None:
        return []
    return [
        i
        for i, (ch, blob) in enumerate(zip(text, glyphs, strict=True))
        if ch in SUSPECTS and looks_like_slashed_zero(np.pad(blob, 1))
    ]


def find_suspect_zeros(page: OcrPage, gray: np.ndarray) -> list[tuple[OcrWord, list[int]]]:
    """The page's words holding a zero-shaped 8/9/6, each with those characters' positions."""
    suspects: list[tuple[OcrWord, list[int]]] = []
    for word in _words(page):
        found = suspect_zeros(gray, word)
        if found:
            suspects.append((word, found))
    return suspects


def _words(page: OcrPage) -> Iterable[OcrWord]:
    return (w for ln in page.lines for w in ln.words)
