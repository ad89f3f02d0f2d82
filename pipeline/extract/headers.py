"""Register headers: name a table's columns from their printed headers (or their usual order)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.extract.grid import Cells, Grid, cell_text
from pipeline.extract.labels import fold
from schemas.models import OcrWord

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
        # later books (Circular 15/2015, 04/2020) print the declarant's relation and paper
        "quan_he_nguoi_di_khai": ("Quan hệ với người được khai sinh", "Quan hệ"),
        "giay_to_nguoi_di_khai": (
            "Giấy tờ tùy thân",
            "Giấy tờ tùy thân của người đi khai sinh",
            "Giấy tờ tùy thân của người đi đăng ký khai sinh",
        ),
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
        "quan_he_nguoi_di_khai": ("Quan hệ với người chết", "Quan hệ"),
        "giay_to_nguoi_di_khai": ("Giấy tờ tùy thân", "Giấy tờ tùy thân của người đi khai tử"),
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
#: What an entry number cell holds ("12", "12.").
ENTRY_NUMBER = re.compile(r"^\d{1,6}[.,]?$")


_DIGIT_SLIPS = str.maketrans("10", "io")  # "G1ớ1 tính": headers hold no digits


def _score(text: str, wording: str) -> float:
    """How well a header text matches a wording, 0–100.

    Both are folded; digits inside words are read as the letters they look like, column
    numbers are dropped; short wordings ("Số", "STT") must match exactly. Stray marks around
    the header cost a little (a subset match scores 90, below an exact one); a header that
    is only part of a wording scores at most 80.
    """
    toks = [tok.translate(_DIGIT_SLIPS) for tok in fold(text).split() if not tok.isdigit()]
    t, v = " ".join(toks), fold(wording)
    if not t:
        return 0.0
    if len(v) <= 3:
        return 100.0 if v in toks else 0.0
    exact = max(fuzz.ratio(t, v), fuzz.token_sort_ratio(t, v))
    # stray marks around a header cost a little; a wording longer than the header ("Họ và
    # tên người đi khai" for "Họ và tên") costs more, so the shorter wording wins the tie
    subset = 0.9 if set(v.split()) <= set(toks) else 0.8
    return float(max(exact, subset * fuzz.token_set_ratio(t, v)))


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
        elif n == 0 and texts and not ENTRY_NUMBER.match(cell_text(row[0])):
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
    return bool(texts) and sum(bool(ENTRY_NUMBER.match(t)) for t in texts) >= 0.6 * len(texts)


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
