"""Ruled register-book pages: find the table grid, put OCR words in cells, one record per row.

``find_grid`` reads the rules of a cleaned, deskewed page (long thin runs of ink kept by a
morphological opening, pieces of one rule gathered by position); ``assign_words`` puts each OCR
word in the cell it mostly covers; ``header_columns`` names the columns from their printed
headers; ``extract_register`` turns every non-empty data row into a record, checked with the
same validators as the extracts (:mod:`pipeline.extract.kinds`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from rapidfuzz import fuzz

from pipeline.extract.kinds import (
    Checked,
    check_field,
    check_registration_delay,
    flag_field,
    make_field,
)
from pipeline.extract.labels import LabelSpec, fold, split_line, union_bbox
from schemas.models import BBox, FieldValue, OcrLine, OcrPage, OcrWord, Record

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


# ---------------------------------------------------------------- headers

_COMMON: dict[str, tuple[str, ...]] = {
    "so": ("Số", "Số TT", "STT", "Số thứ tự", "Số đăng ký"),
    "ngay_dang_ky": ("Ngày đăng ký", "Ngày, tháng, năm đăng ký", "Ngày ĐK"),
    "gioi_tinh": ("Giới tính", "Nam/Nữ", "Nam hay nữ"),
    "dan_toc": ("Dân tộc",),
    "quoc_tich": ("Quốc tịch",),
    "so_dinh_danh": ("Số định danh cá nhân", "Số định danh", "Số ĐDCN"),
    "nguoi_di_khai": ("Người đi khai", "Họ tên người đi khai", "Họ và tên người đi khai"),
    "ghi_chu": ("Ghi chú",),
}
_NAME = ("Họ và tên", "Họ, chữ đệm, tên", "Họ tên", "Họ, chữ đệm và tên")


def _of(who: str, *heads: str) -> tuple[str, ...]:
    """Wordings of a column about someone: "Họ tên cha", "Ngày sinh của chồng"..."""
    return tuple(f"{head} {who}" for head in heads) + tuple(f"{h} của {who}" for h in heads)


HEADER_WORDINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "khai_sinh": _COMMON
    | {
        "ho_ten": _NAME,
        "ngay_sinh": ("Ngày sinh", "Ngày, tháng, năm sinh", "Sinh ngày"),
        "noi_sinh": ("Nơi sinh",),
        "que_quan": ("Quê quán", "Nguyên quán"),
        "ho_ten_cha": _of("cha", *_NAME, "Họ, chữ đệm, tên người")[:-1],
        "ho_ten_me": _of("mẹ", *_NAME, "Họ, chữ đệm, tên người")[:-1],
        "nam_sinh_cha": _of("cha", "Năm sinh"),
        "nam_sinh_me": _of("mẹ", "Năm sinh"),
        "nguoi_di_khai": (*_COMMON["nguoi_di_khai"], "Người đi khai sinh"),
    },
    "ket_hon": _COMMON
    | {
        f"{field}_{key}": _of(who, *heads)
        for key, who in (("chong", "chồng"), ("vo", "vợ"))
        for field, heads in (
            ("ho_ten", _NAME),
            ("ngay_sinh", ("Ngày sinh", "Ngày, tháng, năm sinh")),
            ("dan_toc", ("Dân tộc",)),
            ("quoc_tich", ("Quốc tịch",)),
            ("noi_cu_tru", ("Nơi cư trú", "Nơi thường trú")),
        )
    },
    "khai_tu": _COMMON
    | {
        "ho_ten": (*_of("người chết", *_NAME), *_NAME),
        "ngay_sinh": ("Ngày sinh", "Ngày, tháng, năm sinh", "Năm sinh"),
        "noi_cu_tru": ("Nơi cư trú", "Nơi thường trú", "Nơi cư trú cuối cùng"),
        "ngay_chet": ("Ngày chết", "Ngày, tháng, năm chết", "Ngày mất"),
        "gio_chet": ("Giờ chết", "Giờ, phút chết"),
        "noi_chet": ("Nơi chết",),
        "nguyen_nhan_chet": ("Nguyên nhân chết", "Nguyên nhân"),
        "nguoi_di_khai": (*_COMMON["nguoi_di_khai"], "Người đi khai tử"),
    },
}
"""Printed column headers of register books, by book type and field."""

_STD = "so ngay_dang_ky {} ghi_chu"
STANDARD_COLUMNS: dict[str, tuple[str, ...]] = {
    "khai_sinh": tuple(
        _STD.format(
            "ho_ten ngay_sinh gioi_tinh dan_toc noi_sinh ho_ten_cha ho_ten_me nguoi_di_khai"
        ).split()
    ),
    "ket_hon": tuple(
        _STD.format(
            "ho_ten_chong ngay_sinh_chong dan_toc_chong noi_cu_tru_chong"
            " ho_ten_vo ngay_sinh_vo dan_toc_vo noi_cu_tru_vo"
        ).split()
    ),
    "khai_tu": tuple(
        _STD.format(
            "ho_ten gioi_tinh ngay_sinh dan_toc noi_cu_tru ngay_chet noi_chet"
            " nguyen_nhan_chet nguoi_di_khai"
        ).split()
    ),
}
"""Column order of the usual register of each book type, used when the header is unreadable."""

#: A header matches a wording at this rapidfuzz score (0–100) or more.
MIN_HEADER_SCORE = 78.0
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?[.,]?$")
_ENTRY_NUMBER = re.compile(r"^\d{1,6}[.,]?$")


_DIGIT_SLIPS = str.maketrans("10", "io")  # "G1ớ1 tính": headers hold no digits


def _score(text: str, wording: str) -> float:
    """How well a header text matches a wording, 0–100.

    Both are folded; digits inside words are read as the letters they look like, column
    numbers are dropped; short wordings ("Số", "STT") must match exactly. Stray marks around
    the header cost a little (a subset match scores 90, below an exact one).
    """
    toks = [tok.translate(_DIGIT_SLIPS) for tok in fold(text).split() if not tok.isdigit()]
    t, v = " ".join(toks), fold(wording)
    if not t:
        return 0.0
    if len(v) <= 3:
        return 100.0 if v in toks else 0.0
    exact = max(fuzz.ratio(t, v), fuzz.token_sort_ratio(t, v))
    return float(max(exact, 0.9 * fuzz.token_set_ratio(t, v)))


def _best_score(text: str, book_type: str) -> float:
    return max(_score(text, w) for ws in HEADER_WORDINGS[book_type].values() for w in ws)


def _is_number_row(row: Sequence[Sequence[OcrWord]]) -> bool:
    """A row that only numbers the columns: "(1) (2) (3) ..."."""
    texts = [cell_text(c) for c in row if c]
    return len(texts) >= max(2, len(row) // 2) and all(
        _COLUMN_NUMBER.match(t.replace(" ", "")) for t in texts
    )


def _header_rows(cells: Cells, book_type: str) -> int:
    """How many rows at the top are header rows (wordings or column numbers)."""
    n = 0
    for row in cells[:3]:
        texts = [cell_text(c) for c in row if c]
        good = sum(_best_score(t, book_type) >= MIN_HEADER_SCORE for t in texts)
        if texts and (_is_number_row(row) or good >= max(1.0, 0.4 * len(texts))):
            n += 1
        elif n == 0 and texts and not _ENTRY_NUMBER.match(cell_text(row[0])):
            n = 1  # an unreadable header: not a header, not an entry either
        else:
            break
    return n


@dataclass(frozen=True)
class HeaderMatch:
    """Which field each column holds, and how that was decided.

    Attributes:
        columns: column index → field name (unmatched columns are absent).
        scores: column index → header match score (0–100; 0 when by position).
        rows: header rows at the top of the table (wordings and column numbers).
        fallback: the header was unreadable: columns follow :data:`STANDARD_COLUMNS`.
    """

    columns: dict[int, str]
    scores: dict[int, float]
    rows: int
    fallback: bool = False


def match_header(cells: Cells, book_type: str) -> HeaderMatch:
    """Name the table's columns from its header rows (see :func:`header_columns`)."""
    n_rows = _header_rows(cells, book_type)
    texts = {
        c: " ".join(cell_text(row[c]) for row in cells[:n_rows] if not _is_number_row(row))
        for c in range(len(cells[0]) if cells else 0)
    }
    cands = sorted(
        (
            (_score(t, wording), c, name)
            for c, t in texts.items()
            if t
            for name, wordings in HEADER_WORDINGS[book_type].items()
            for wording in wordings
        ),
        reverse=True,
    )
    columns: dict[int, str] = {}
    scores: dict[int, float] = {}
    for score, c, name in cands:
        if score >= MIN_HEADER_SCORE and c not in columns and name not in columns.values():
            columns[c], scores[c] = name, score
    if "so" not in columns.values() and 0 not in columns and _numbers_below(cells, 0, n_rows):
        columns[0], scores[0] = "so", 0.0
    std = STANDARD_COLUMNS[book_type]
    if len(columns) < max(2, sum(1 for t in texts.values() if t) // 2):
        n = min(len(std), len(texts))
        return HeaderMatch(
            {c: std[c] for c in range(n)}, dict.fromkeys(range(n), 0.0), n_rows, True
        )
    if len(texts) == len(std) and sum(std[c] == f for c, f in columns.items()) >= 0.8 * len(std):
        for c, name in enumerate(std):  # the usual layout: a garbled header keeps its place
            if c not in columns and name not in columns.values():
                columns[c], scores[c] = name, 0.0
    return HeaderMatch(dict(sorted(columns.items())), scores, n_rows)


def _numbers_below(cells: Cells, c: int, start: int) -> bool:
    texts = [cell_text(row[c]) for row in cells[start:] if row[c]]
    return bool(texts) and sum(bool(_ENTRY_NUMBER.match(t)) for t in texts) >= 0.6 * len(texts)


def header_columns(grid: Grid, cells: Cells, book_type: str) -> dict[int, str]:
    """Map each column of a register table to a field name from its printed header.

    Header rows (up to three at the top: wordings, possibly on two lines in a cell, and a row
    numbering the columns) are matched with rapidfuzz against :data:`HEADER_WORDINGS`; each
    field goes to the column that matches it best. Columns without a match are left out. When
    the header is unreadable the columns follow :data:`STANDARD_COLUMNS` (see
    :func:`match_header`, whose ``fallback`` tells this apart).

    Args:
        grid: the table (its columns are ``cells``' columns).
        cells: words by cell, from :func:`assign_words`.
        book_type: "khai_sinh", "ket_hon" or "khai_tu".

    Returns:
        Column index → field name.
    """
    if len(grid.cols) != (len(cells[0]) if cells else 0):
        raise ValueError("cells do not belong to this grid")
    return match_header(cells, book_type).columns


# ---------------------------------------------------------------- records

#: Columns that may be left blank in a register.
OPTIONAL_COLUMNS = frozenset({"ghi_chu"})
_RULE_CHARS = "|¦[]_—–"
_LETTERS = {"Lu", "Ll", "Lt", "Lo", "Nd"}  # not "ˆ" (Lm), not marks or symbols
_PAGE_LABELS = (
    LabelSpec("quyen_so", ("Quyển số",)),
    LabelSpec("noi_dang_ky", ("Nơi đăng ký", "Nơi đăng ký khai sinh")),
)
_DATE_ORDER = (
    ("ngay_sinh", "ngay_dang_ky"),
    ("ngay_chet", "ngay_dang_ky"),
    ("ngay_sinh", "ngay_chet"),
)


@dataclass(frozen=True)
class RegisterResult:
    """What a register page gives.

    Attributes:
        records: one per non-empty entry row.
        lines: the page text in reading order: lines above the table, the table row by row
            (cells left to right), lines below it.
        rows_found: data rows of the table (below the header), empty ones included.
        grid: the table found (None: no table, no records).
        header: how the columns were named.
    """

    records: list[Record]
    lines: list[OcrLine]
    rows_found: int = 0
    grid: Grid | None = None
    header: HeaderMatch | None = None


def _clean_word(word: OcrWord) -> OcrWord | None:
    """Drop the bits of rules OCR reads as characters ("|04/04/1996", "|")."""
    text = word.text.strip(_RULE_CHARS + " ")
    if not any(unicodedata.category(ch) in _LETTERS for ch in text):
        return None  # a bit of rule, a speck read as "ˆ", "~" or "."
    return word if text == word.text else word.model_copy(update={"text": text})


#: What OCR makes of a column rule inside a word ("27/11/2007JBùi"): no Vietnamese word
#: has a J, and the others stand out next to the rule's position.
_RULE_READS = "|¦[]!JIl"


def _rule_read(text: str, j: int) -> bool:
    """Is ``text[j]`` a column rule read as a character?

    A "1" counts only between a digit and a letter ("20071Vũ": no number runs straight into
    a word).
    """
    if text[j] in _RULE_READS:
        return True
    return text[j] == "1" and text[j - 1].isdigit() and text[j + 1].isalpha()


def split_at_rules(grid: Grid, word: OcrWord) -> list[OcrWord]:
    """A word glued across a column rule, cut where the rule was read.

    Tesseract sometimes reads the text of two cells and the rule between them as one word
    ("|27/11/2007JBùi": a date, the rule read as "J", the surname of the next column). When
    a column boundary runs through the word, leaving a fair share on each side, and a rule-
    like character sits within two characters of where the boundary falls, the word is cut
    there (the character dropped) and each part keeps its share of the box. Anything else
    is left alone: a word that merely overhangs a rule is not cut.
    """
    x, _y, w, _h = grid.level(word.bbox)
    text = word.text
    if len(text) < 3 or w <= 0:
        return [word]
    for left, _right in grid.cols[1:]:
        share = (left - x) / w
        if not 0.2 <= share <= 0.8:
            continue
        at = round(share * len(text))
        near = [j for j in range(max(1, at - 2), min(len(text) - 1, at + 3)) if _rule_read(text, j)]
        if not near:
            continue
        j = min(near, key=lambda k: abs(k - at))
        head, tail = text[:j].strip(), text[j + 1 :].strip()
        if not head or not tail:
            continue
        bx, by, bw, bh = word.bbox
        cut = round(bw * j / len(text))
        return [
            word.model_copy(update={"text": head, "bbox": (bx, by, max(1, cut), bh)}),
            *split_at_rules(
                grid,
                word.model_copy(
                    update={
                        "text": tail,
                        "bbox": (
                            bx + cut + round(bw / len(text)),
                            by,
                            max(1, bw - cut - round(bw / len(text))),
                            bh,
                        ),
                    }
                ),
            ),
        ]
    return [word]


def _xywh(box: Box) -> BBox:
    return (box[0], box[1], box[2] - box[0], box[3] - box[1])


def _has_ink(gray: np.ndarray, box: Box) -> bool:
    """Ink inside a cell, away from its rules (missed handwriting, a faint stamp)."""
    x0, y0, x1, y1 = box
    mx, my = max(6, (x1 - x0) // 12), max(6, (y1 - y0) // 12)
    inner = gray[y0 + my : y1 - my, x0 + mx : x1 - mx]
    return inner.size > 0 and int((inner < 110).sum()) >= max(40, 0.002 * inner.size)


def _cell_check(name: str, raw: str) -> Checked:
    check = check_field(name, raw)
    if name == "so" and check.ok and re.sub(r"[\s.,:;]", "", raw) != check.value:
        return Checked(check.value, False, "số lẫn ký tự khác")
    return check


def _cell_field(
    name: str, words: Sequence[OcrWord], box: Box, *, gray: np.ndarray, threshold: float, why: str
) -> FieldValue:
    if not words:
        blank = not _has_ink(gray, box)
        optional = blank and name in OPTIONAL_COLUMNS
        return FieldValue(
            value=None,
            raw="",
            confidence=1.0 if optional else 0.0,
            bbox=_xywh(box),
            needs_review=not optional,
            provenance=[why, "ô trống" if blank else "ô có nét nhưng không đọc được"],
        )
    raw = cell_text(words)
    made = make_field(raw, words, _cell_check(name, raw), threshold=threshold, why=why, name=name)
    return made.model_copy(update={"bbox": _xywh(box)})


def _row_fields(
    r: int, grid: Grid, cells: Cells, header: HeaderMatch, *, gray: np.ndarray, threshold: float
) -> dict[str, FieldValue]:
    fields = {}
    for c, name in sorted(header.columns.items()):
        score = header.scores[c]
        how = f"tiêu đề khớp {score:.0f}%" if score else "theo vị trí cột chuẩn"
        why = f"bảng: hàng {r + 1}, cột {c + 1} ({how})"
        fields[name] = _cell_field(
            name, cells[r][c], grid.cell(r, c), gray=gray, threshold=threshold, why=why
        )
        if header.fallback:
            fields[name] = flag_field(fields[name], "tiêu đề cột không đọc được")
    for early, late in _DATE_ORDER:
        a, b = fields.get(early), fields.get(late)
        if a and b and a.value and b.value and b.value < a.value:
            fields[late] = flag_field(b, f"{late} trước {early}")
    check_registration_delay(fields)
    return fields


def _has_text(row: Sequence[Sequence[OcrWord]]) -> bool:
    return sum(ch.isalnum() for cell in row for w in cell for ch in w.text) >= 2


def _page_fields(words: Sequence[OcrWord], *, threshold: float) -> dict[str, FieldValue]:
    """Book-level fields printed above the table ("Quyển số", "Nơi đăng ký")."""
    out: dict[str, FieldValue] = {}
    for line in visual_lines(words):
        ocr_line = OcrLine(words=line, bbox=union_bbox([w.bbox for w in line]) or (0, 0, 0, 0))
        for seg in split_line(ocr_line, _PAGE_LABELS):
            name = seg.hit.spec.key
            if name not in out and seg.words:
                out[name] = make_field(
                    seg.raw,
                    seg.words,
                    check_field(name, seg.raw),
                    threshold=threshold,
                    why="đầu trang sổ",
                    name=name,
                )
    return out


def check_numbers(records: list[Record], *, threshold: float) -> list[Record]:
    """Check entry numbers (``so``) down the page: they count up by one.

    A break in the sequence (a number not above the last, or a skipped one) sends a number to
    review: the one that also disagrees with its other neighbour, else the later one. A clean
    number that fits all its neighbours is confirmed by them: at least ``threshold`` sure.
    """
    if not all("so" in rec.fields for rec in records):
        return records
    sos = [rec.fields["so"] for rec in records]
    nums = [int(f.value) if f.value and f.value.isdigit() else None for f in sos]

    def fits(i: int) -> bool:  # entry i + 1 follows entry i
        a, b = (nums[i], nums[i + 1]) if 0 <= i < len(nums) - 1 else (None, None)
        return a is not None and b == a + 1

    for i, so in enumerate(sos):
        clean = re.sub(r"[\s.,:;]", "", so.raw) == so.value
        if clean and len(nums) > 1 and (i == 0 or fits(i - 1)) and (fits(i) or i == len(nums) - 1):
            why = [*so.provenance, "khớp thứ tự số trên trang"]
            conf = max(so.confidence, threshold)
            sos[i] = so.model_copy(
                update={"confidence": conf, "needs_review": False, "provenance": why}
            )
    for i, (prev, cur) in enumerate(zip(nums, nums[1:], strict=False), start=1):
        if prev is not None and cur is not None and cur != prev + 1:
            note = "số không tăng dần" if cur <= prev else f"số nhảy từ {prev} lên {cur}"
            suspect = i - 1 if fits(i) and not fits(i - 2) else i
            sos[suspect] = flag_field(sos[suspect], note)
    return [
        rec.model_copy(update={"fields": {**rec.fields, "so": so}})
        for rec, so in zip(records, sos, strict=True)
    ]


def _split_by_numbers(grid: Grid, cells: Cells, so_col: int, first: int) -> Grid:
    """Split data rows whose number column holds several entry numbers (a rule faded away)."""
    rows = list(grid.rows[:first])
    for r in range(first, len(grid.rows)):
        y0, y1 = grid.rows[r]
        starts = [
            min(grid.level(w.bbox)[1] for w in line) - max(w.bbox[3] for w in line) // 3
            for line in visual_lines(cells[r][so_col])
            if _ENTRY_NUMBER.match(cell_text(line))
        ]
        cuts = [y for y in starts[1:] if y0 < y < y1]
        bounds = [y0, *cuts, y1]
        rows += list(zip(bounds, bounds[1:], strict=False))
    return Grid(rows, grid.cols, grid.slope, grid.vslope)


def _reading_lines(page: OcrPage, grid: Grid, cells: Cells) -> list[OcrLine]:
    """Lines above the table, the table's rows (cells left to right), lines below it."""
    above: list[OcrLine] = []
    below: list[OcrLine] = []
    mid_y = (grid.bbox[1] + grid.bbox[3]) / 2
    for line in page.lines:
        words = [w for w in line.words if not in_table(grid, w.bbox)]
        if words:
            box = union_bbox([w.bbox for w in words]) or line.bbox
            (above if box[1] + box[3] / 2 < mid_y else below).append(OcrLine(words=words, bbox=box))
    table = []
    for row in cells:
        words = [w for cell in row for w in cell]
        if words:
            table.append(
                OcrLine(words=words, bbox=union_bbox([w.bbox for w in words]) or (0, 0, 0, 0))
            )
    return above + table + below


def extract_register(
    page: OcrPage, gray: np.ndarray, *, book_type: str, threshold: float
) -> RegisterResult:
    """Turn a ruled register page into one record per entry row.

    Args:
        page: the OCR of the page; its word boxes are in ``gray``'s pixels.
        gray: the cleaned, deskewed page the OCR read (uint8, dark ink).
        book_type: "khai_sinh", "ket_hon" or "khai_tu".
        threshold: fields below this confidence go to review.

    Returns:
        Records (schema = book type), the page lines in reading order and what was found.
    """
    grid = find_grid(gray)
    if grid is None:
        return RegisterResult([], list(page.lines))
    words = [
        part
        for w in page.words
        if (cw := _clean_word(w)) is not None
        for part in split_at_rules(grid, cw)
    ]
    cells = assign_words(grid, words)
    header = match_header(cells, book_type)
    so_col = next((c for c, name in header.columns.items() if name == "so"), None)
    if so_col is not None:
        split = _split_by_numbers(grid, cells, so_col, header.rows)
        if len(split.rows) > len(grid.rows):
            grid, cells = split, assign_words(split, words)
    records = [
        Record(
            schema=book_type,
            fields=_row_fields(r, grid, cells, header, gray=gray, threshold=threshold),
        )
        for r in range(header.rows, len(grid.rows))
        if _has_text(cells[r])
    ]
    above = [w for w in page.words if w.bbox[1] + w.bbox[3] <= grid.bbox[1]]
    book = _page_fields(above, threshold=threshold)
    records = [
        rec.model_copy(
            # in the book fields' own order: a set difference would order them by string
            # hashes, so the same page would give different JSON bytes from run to run
            update={"fields": rec.fields | {k: v for k, v in book.items() if k not in rec.fields}}
        )
        for rec in check_numbers(records, threshold=threshold)
    ]
    return RegisterResult(
        records,
        _reading_lines(page, grid, cells),
        rows_found=len(grid.rows) - header.rows,
        grid=grid,
        header=header,
    )
