"""Ruled tables: find the grid of a register page and put OCR words in its cells.

``find_grid`` reads the rules of a cleaned, deskewed page (long thin runs of ink kept by a
morphological opening, pieces of one rule gathered by position); ``assign_words`` puts each OCR
word in the cell it mostly covers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from schemas.models import BBox, OcrWord

Box = tuple[int, int, int, int]  # x0, y0, x1, y1
Cells = list[list[list[OcrWord]]]  # [row][column] → words in reading order


# ---------------------------------------------------------------- grid


@dataclass(frozen=True)
class Grid:
    """Row and column boundaries of a ruled table, in page pixels.

    Boundaries are where the rules cross the middle of the table; with a residual skew the
    rules lean by ``slope`` (horizontal rules, dy/dx) and ``vslope`` (vertical ones, dx/dy).

    Attributes:
        rows: (top, bottom) of each row, top to bottom (the header rows included).
        cols: (left, right) of each column, left to right.
        slope: lean of the horizontal rules, dy/dx.
        vslope: lean of the vertical rules, dx/dy.
    """

    rows: list[tuple[int, int]]
    cols: list[tuple[int, int]]
    slope: float = 0.0
    vslope: float = 0.0

    @property
    def bbox(self) -> Box:
        """(x0, y0, x1, y1) of the whole table."""
        return (self.cols[0][0], self.rows[0][0], self.cols[-1][1], self.rows[-1][1])

    def cell(self, r: int, c: int) -> Box:
        """(x0, y0, x1, y1) of the cell in row ``r``, column ``c``."""
        return (self.cols[c][0], self.rows[r][0], self.cols[c][1], self.rows[r][1])

    def level(self, bbox: BBox) -> BBox:
        """A (left, top, width, height) box moved as if the rules did not lean."""
        x0, y0, x1, y1 = self.bbox
        cx, cy = bbox[0] + bbox[2] / 2, bbox[1] + bbox[3] / 2
        dx = self.vslope * (cy - (y0 + y1) / 2)
        dy = self.slope * (cx - (x0 + x1) / 2)
        return (round(bbox[0] - dx), round(bbox[1] - dy), bbox[2], bbox[3])


@dataclass(frozen=True)
class _Rule:
    pos: float  # y of a horizontal rule at the page centre (x of a vertical one)
    spans: tuple[tuple[int, int], ...]  # covered stretches along the rule, merged

    def covered(self, lo: float, hi: float) -> int:
        return int(sum(max(0.0, min(b, hi) - max(a, lo)) for a, b in self.spans))

    def extent(self, min_span: int) -> tuple[int, int]:
        """Where the rule starts and ends, ignoring short bits (a letter's stem in line)."""
        long = [s for s in self.spans if s[1] - s[0] >= min_span] or list(self.spans)
        return long[0][0], long[-1][1]


def _merge_spans(spans: Sequence[tuple[int, int]], gap: int = 0) -> tuple[tuple[int, int], ...]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + gap:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return tuple(out)


#: Residual skew (as a slope) the grid tolerates without a slope estimate: tan 0.3°.
MAX_SKEW = 0.0053
#: Rule masks are pooled by this factor along the rule before their pieces are measured.
_POOL = 4


def _rule_mask(ink: np.ndarray, min_len: int, *, vertical: bool) -> np.ndarray:
    """Runs of ink at least ``min_len`` long, pooled along the rule, rules along the rows."""
    size = (1, min_len) if vertical else (min_len, 1)
    opened = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, size))
    h, w = opened.shape
    small = (w, max(1, h // _POOL)) if vertical else (max(1, w // _POOL), h)
    pooled = cv2.resize(opened, small, interpolation=cv2.INTER_AREA)
    pooled[pooled > 0] = 255
    return np.ascontiguousarray(pooled.T) if vertical else pooled


def _pieces(pooled: np.ndarray, min_len: int, max_thick: float) -> tuple[np.ndarray, float]:
    """Rule pieces of a pooled mask: rows (pos, x0, x1) in page pixels, and their slope."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(pooled, connectivity=8)
    ys, xs = np.nonzero(pooled)
    if n < 2 or xs.size == 0:
        return np.zeros((0, 3)), 0.0
    lab = labels[ys, xs]
    px, py = (xs.astype(np.float64) + 0.5) * _POOL, ys.astype(np.float64)
    cnt = np.maximum(np.bincount(lab, minlength=n), 1)
    mx, my = np.bincount(lab, px, n) / cnt, np.bincount(lab, py, n) / cnt
    vxx = np.bincount(lab, px * px, n) / cnt - mx * mx
    vxy = np.bincount(lab, px * py, n) / cnt - mx * my
    width = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    keep = np.arange(n) > 0
    keep &= stats[:, cv2.CC_STAT_AREA] / np.maximum(width, 1) <= max_thick  # thin, not a blob
    if not keep.any():
        return np.zeros((0, 3)), 0.0
    slopes = vxy / np.maximum(vxx, 1e-6)
    long = keep & (width * _POOL >= 2 * min_len)
    slope = float(np.median(slopes[long])) if long.any() else 0.0
    pos = my + slope * (pooled.shape[1] * _POOL / 2 - mx)
    x0 = stats[:, cv2.CC_STAT_LEFT] * _POOL
    return np.stack([pos, x0, x0 + width * _POOL], axis=1)[keep], slope


def _rules(
    ink: np.ndarray, *, vertical: bool, min_len: int, max_thick: float, tol: float
) -> tuple[list[_Rule], float]:
    """Rules of the page in one direction: pieces at about the same position make one rule."""
    pieces, slope = _pieces(_rule_mask(ink, min_len, vertical=vertical), min_len, max_thick)
    groups: list[list[np.ndarray]] = []
    for piece in pieces[np.argsort(pieces[:, 0])]:
        if groups and piece[0] - groups[-1][-1][0] <= tol:
            groups[-1].append(piece)
        else:
            groups.append([piece])
    rules = []
    for group in groups:
        arr = np.array(group)
        pos = float(np.average(arr[:, 0], weights=arr[:, 2] - arr[:, 1]))
        spans = _merge_spans([(int(a), int(b)) for _, a, b in arr], gap=min_len // 2)
        rules.append(_Rule(pos, spans))
    return rules, slope


def _ink(gray: np.ndarray) -> np.ndarray:
    """Ink mask (255) of a cleaned page, by Otsu."""
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def _boundaries(
    rules: Sequence[_Rule], lo: float, hi: float, *, need: float, min_gap: float, shift: float
) -> list[int]:
    """Positions (+ ``shift``) of the rules covering ``need`` of [lo, hi]; double rules once."""
    found = sorted(r.pos + shift for r in rules if r.covered(lo, hi) >= need * (hi - lo))
    out: list[float] = []
    for pos in found:
        if out and pos - out[-1] < min_gap:
            out[-1] = (out[-1] + pos) / 2
        else:
            out.append(pos)
    return [round(p) for p in out]


def _long_rules(ink: np.ndarray, *, vertical: bool) -> tuple[list[_Rule], float, int]:
    """Rules of one direction long enough to be table rules, their slope and piece length."""
    h, w = ink.shape
    side, short = (h if vertical else w), min(h, w)
    min_len = max(20, side // 40)
    # pieces of one rule lie apart by its thickness, plus a 0.3° skew over half the page
    tol = max(4.0, 0.004 * short) + MAX_SKEW * side / 2
    rules, slope = _rules(
        ink, vertical=vertical, min_len=min_len, max_thick=max(6.0, 0.006 * short), tol=tol
    )
    need = (0.08 if vertical else 0.25) * side
    return [r for r in rules if r.covered(0, side) >= need], slope, min_len


def find_grid(gray: np.ndarray) -> Grid | None:
    """Find the ruled table of a cleaned, deskewed page.

    Rules are long thin runs of ink: a morphological opening with a long one-pixel kernel
    (1/40 of the page side) keeps their pieces, however broken; pieces at about the same
    position, after removing the residual slope they share, make one rule. Horizontal rules
    that run over half the table and vertical rules that run over 40 % of it are boundaries;
    an outer rule that is missing (the others run on past the last one) is added.

    Args:
        gray: the page, uint8, dark ink on light paper.

    Returns:
        The grid, or None when the page has no table of at least 2 rows and 2 columns.
    """
    h, w = gray.shape[:2]
    ink = _ink(gray)
    hr, slope, h_len = _long_rules(ink, vertical=False)
    vr, vslope, v_len = _long_rules(ink, vertical=True)
    if len(hr) < 2 or len(vr) < 2:
        return None
    x0, x1 = _table_extent(hr, 2 * h_len)
    vr = [r for r in vr if x0 - v_len <= r.pos <= x1 + v_len]
    if len(vr) < 2:
        return None
    y0, y1 = _table_extent(vr, 2 * v_len)
    min_gap = max(8.0, 0.008 * min(gray.shape[:2]))
    # rule positions are taken at the page's middle; move them to the table's
    dy, dx = slope * ((x0 + x1 - w) / 2), vslope * ((y0 + y1 - h) / 2)
    ys = _boundaries(hr, x0, x1, need=0.5, min_gap=min_gap, shift=dy)
    xs = _boundaries(vr, y0, y1, need=0.4, min_gap=min_gap, shift=dx)
    ys, xs = _close_edges(ys, y0, y1, 2 * min_gap), _close_edges(xs, x0, x1, 2 * min_gap)
    if len(ys) < 3 or len(xs) < 3:
        return None
    rows, cols = list(zip(ys, ys[1:], strict=False)), list(zip(xs, xs[1:], strict=False))
    return Grid(rows, cols, slope, vslope)


def _table_extent(rules: Sequence[_Rule], min_span: int) -> tuple[float, float]:
    """Where most rules of one direction start and end."""
    ends = np.array([r.extent(min_span) for r in rules], np.float64)
    return float(np.median(ends[:, 0])), float(np.median(ends[:, 1]))


def _close_edges(bounds: list[int], lo: float, hi: float, margin: float) -> list[int]:
    """Add the outer boundary when the crossing rules run on past the last rule found."""
    if not bounds:
        return bounds
    if bounds[0] - lo > margin:
        bounds = [round(lo), *bounds]
    if hi - bounds[-1] > margin:
        bounds = [*bounds, round(hi)]
    return bounds


# ---------------------------------------------------------------- words in cells


def _best_interval(spans: Sequence[tuple[int, int]], a: int, b: int) -> int | None:
    """Index of the interval ``[a, b]`` overlaps most (its centre's one on a tie)."""
    centre = (a + b) / 2
    best, best_key = None, (0.0, False)
    for i, (lo, hi) in enumerate(spans):
        key = (float(min(b, hi) - max(a, lo)), lo <= centre < hi)
        if key[0] > 0 and key > best_key:
            best, best_key = i, key
    return best


def in_table(grid: Grid, bbox: BBox) -> bool:
    """True when the centre of a (left, top, width, height) box lies inside the table."""
    x0, y0, x1, y1 = grid.bbox
    x, y, bw, bh = grid.level(bbox)
    cx, cy = x + bw / 2, y + bh / 2
    return x0 <= cx < x1 and y0 <= cy < y1


def visual_lines(words: Sequence[OcrWord]) -> list[list[OcrWord]]:
    """Words grouped into the lines they sit on, top to bottom, each left to right.

    Words of one OCR line stay together (a box with marks above and below can reach the next
    line); pieces of lines whose middles are within half the usual word height are joined.
    """
    if not words:
        return []
    pieces: dict[tuple[int, int, int], list[OcrWord]] = {}
    for w in words:
        pieces.setdefault((w.block, w.par, w.line), []).append(w)
    half = float(np.median([w.bbox[3] for w in words])) / 2
    lines: list[list[OcrWord]] = []
    for piece in sorted(pieces.values(), key=_middle):
        if lines and abs(_middle(piece) - _middle(lines[-1])) <= half:
            lines[-1] += piece
        else:
            lines.append(list(piece))
    return [sorted(line, key=lambda w: w.bbox[0]) for line in lines]


def _middle(words: Sequence[OcrWord]) -> float:
    return float(np.median([w.bbox[1] + w.bbox[3] / 2 for w in words]))


def assign_words(grid: Grid, words: Sequence[OcrWord]) -> Cells:
    """Put words in the cells they cover most; in a cell, order them by line then x.

    Words whose centre lies outside the table are left out.
    """
    cells: Cells = [[[] for _ in grid.cols] for _ in grid.rows]
    for word in words:
        if not in_table(grid, word.bbox):
            continue
        x, y, bw, bh = grid.level(word.bbox)
        r, c = _best_interval(grid.rows, y, y + bh), _best_interval(grid.cols, x, x + bw)
        if r is not None and c is not None:
            cells[r][c].append(word)
    return [[[w for line in visual_lines(cell) for w in line] for cell in row] for row in cells]


def cell_text(words: Sequence[OcrWord]) -> str:
    """Text of a cell's words, in the order given."""
    return " ".join(w.text for w in words)
