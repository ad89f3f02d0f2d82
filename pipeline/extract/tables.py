"""Ruled register-book pages: one record per table row, checked like the extracts.

The grid and the words in its cells come from :mod:`pipeline.extract.grid`, the column names
from :mod:`pipeline.extract.headers`; ``extract_register`` turns every non-empty data row into
a record, checked with the same validators as the extracts (:mod:`pipeline.extract.fields`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.extract.calibration import Calibration
from pipeline.extract.fields import (
    Checked,
    check_field,
    check_registration_delay,
    flag_field,
    make_field,
)
from pipeline.extract.grid import (
    Box,
    Cells,
    Grid,
    assign_words,
    cell_text,
    find_grid,
    in_table,
    visual_lines,
)
from pipeline.extract.headers import ENTRY_NUMBER, HeaderMatch, match_header
from pipeline.extract.labels import LabelSpec, split_line, union_bbox
from schemas.models import BBox, FieldValue, OcrLine, OcrPage, OcrWord, Record

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
        entry_rows: each record's data row (0 = the first row below the header): a book
            scanned one page at a time joins a left and a right page's entries by it.
    """

    records: list[Record]
    lines: list[OcrLine]
    rows_found: int = 0
    grid: Grid | None = None
    header: HeaderMatch | None = None
    entry_rows: tuple[int, ...] = ()


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
    name: str,
    words: Sequence[OcrWord],
    box: Box,
    *,
    gray: np.ndarray,
    threshold: float,
    calibration: Calibration,
    why: str,
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
    made = make_field(
        raw,
        words,
        _cell_check(name, raw),
        threshold=threshold,
        calibration=calibration,
        why=why,
        name=name,
    )
    return made.model_copy(update={"bbox": _xywh(box)})


def _row_fields(
    r: int,
    grid: Grid,
    cells: Cells,
    header: HeaderMatch,
    *,
    gray: np.ndarray,
    threshold: float,
    calibration: Calibration,
    line: int = 0,
) -> dict[str, FieldValue]:
    """The fields of table row ``r``, the ``line``-th entry of the page.

    Reasons say "dòng N" as the screens number entries (header rows not counted).
    """
    fields = {}
    for c, name in sorted(header.columns.items()):
        score = header.scores[c]
        how = f"tiêu đề khớp {score:.0f}%" if score else "theo vị trí cột chuẩn"
        why = f"bảng: dòng {line or r + 1 - header.rows}, cột {c + 1} ({how})"
        fields[name] = _cell_field(
            name,
            cells[r][c],
            grid.cell(r, c),
            gray=gray,
            threshold=threshold,
            calibration=calibration,
            why=why,
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


def _page_fields(
    words: Sequence[OcrWord], *, threshold: float, calibration: Calibration
) -> dict[str, FieldValue]:
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
                    calibration=calibration,
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
            # "sequence" is no model signal: it lets a replay at another threshold know this
            # number was confirmed by its neighbours (bench.metrics.field_outcomes)
            signals = {**so.signals, "sequence": 1.0}
            sos[i] = so.model_copy(
                update={
                    "confidence": conf,
                    "needs_review": False,
                    "provenance": why,
                    "signals": signals,
                }
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
            if ENTRY_NUMBER.match(cell_text(line))
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


def _split_entries(
    grid: Grid, cells: Cells, words: Sequence[OcrWord], header: HeaderMatch
) -> tuple[Grid, Cells]:
    """The grid and cells with rows holding several entry numbers split (a rule faded away)."""
    so_col = next((c for c, name in header.columns.items() if name == "so"), None)
    if so_col is not None:
        split = _split_by_numbers(grid, cells, so_col, header.rows)
        if len(split.rows) > len(grid.rows):
            return split, assign_words(split, words)
    return grid, cells


def _with_book_fields(records: list[Record], book: dict[str, FieldValue]) -> list[Record]:
    """Each record with the book-level fields it does not hold itself."""
    return [
        rec.model_copy(
            # in the book fields' own order: a set difference would order them by string
            # hashes, so the same page would give different JSON bytes from run to run
            update={"fields": rec.fields | {k: v for k, v in book.items() if k not in rec.fields}}
        )
        for rec in records
    ]


def extract_register(
    page: OcrPage,
    gray: np.ndarray,
    *,
    book_type: str,
    threshold: float,
    calibration: Calibration,
) -> RegisterResult:
    """Turn a ruled register page into one record per entry row.

    Args:
        page: the OCR of the page; its word boxes are in ``gray``'s pixels.
        gray: the cleaned, deskewed page the OCR read (uint8, dark ink).
        book_type: "khai_sinh", "ket_hon" or "khai_tu".
        threshold: fields below this confidence go to review.
        calibration: turns a field's signals into its confidence.

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
    grid, cells = _split_entries(grid, cells, words, header)
    rows = tuple(r for r in range(header.rows, len(grid.rows)) if _has_text(cells[r]))
    records = [
        Record(
            schema=book_type,
            fields=_row_fields(
                r,
                grid,
                cells,
                header,
                gray=gray,
                threshold=threshold,
                calibration=calibration,
                line=n,
            ),
        )
        for n, r in enumerate(rows, start=1)
    ]
    above = [w for w in page.words if w.bbox[1] + w.bbox[3] <= grid.bbox[1]]
    book = _page_fields(above, threshold=threshold, calibration=calibration)
    records = _with_book_fields(check_numbers(records, threshold=threshold), book)
    return RegisterResult(
        records,
        _reading_lines(page, grid, cells),
        rows_found=len(grid.rows) - header.rows,
        grid=grid,
        header=header,
        entry_rows=tuple(r - header.rows for r in rows),
    )
