"""Signer titles read through a seal or a signature, matched to the titles offices print.

A seal's ring and a signature's strokes cross the title lines of a signer block ("KT. TRƯỞNG
PHÒNG / PHÓ TRƯỞNG PHÒNG"), most of all on bilevel scans where the red seal turns black: the
reading comes out as "É† fRƯỞNGŸNÒNG / hHÓ TI XỜNG ĐhÒNG". Those titles come from a short list
(Decree 30/2020, Annex I: the prefixes "TM." for a collective body, "KT." for a deputy signing
for the head, "TL." and "TUQ." by order or authorisation, "Q." acting; then the position of
the head of a public body, or of a deputy "PHÓ …"), and a block of them follows a grammar:

- ``H`` (the head signs), ``Q. H``;
- ``KT. H`` / ``PHÓ H`` (a deputy signs for the head; a minister's is "THỨ TRƯỞNG"), ``TM. B``
  above either;
- ``TM. B`` / ``H``; ``TL. H`` or ``TUQ. H`` / any position (the official's own).

The lines above the signer's name are matched as a whole block: each block of the grammar
scores its lines' letter similarity to what the page's reading and a second reader read there;
the best is taken when it leads clearly, so a prefix a seal hid is put back where the other
lines decide it ("KT." above "PHÓ H"). The result is a suggestion for the clerk, never
auto-accepted: the letters were not read, they were matched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import numpy as np
from rapidfuzz import fuzz

from pipeline.extract.decree30 import Part
from pipeline.extract.fields import flag_field
from pipeline.extract.labels import fold, union_bbox
from pipeline.extract.second import ReadBox
from pipeline.extract.signer_block import is_clean_title, title_frame, title_parts
from schemas.models import BBox, OcrPage, Record

#: Positions of the heads of public bodies, as printed in signer blocks.
HEADS = (
    "CHỦ TỊCH",
    "GIÁM ĐỐC",
    "TỔNG GIÁM ĐỐC",
    "TRƯỞNG PHÒNG",
    "TRƯỞNG BAN",
    "CHÁNH VĂN PHÒNG",
    "CHÁNH THANH TRA",
    "CỤC TRƯỞNG",
    "CHI CỤC TRƯỞNG",
    "TỔNG CỤC TRƯỞNG",
    "VỤ TRƯỞNG",
    "BỘ TRƯỞNG",
    "HIỆU TRƯỞNG",
    "VIỆN TRƯỞNG",
    "TRƯỞNG CÔNG AN",
    "CHỈ HUY TRƯỞNG",
    "BÍ THƯ",
    "CHÁNH ÁN",
    "TRƯỞNG ĐOÀN",
    "TỔ TRƯỞNG",
    "CHỦ NHIỆM",
    "THỦ TƯỚNG",
    "TRƯỞNG TRẠM",
    "TRƯỞNG KHOA",
    "TRƯỞNG CHI NHÁNH",
    "TỔNG BIÊN TẬP",
    "TƯ LỆNH",
    "CHÍNH ỦY",
    "TRƯỞNG THÔN",
)
#: Collective bodies a "TM." line names.
COLLECTIVES = (
    "ỦY BAN NHÂN DÂN",
    "HỘI ĐỒNG NHÂN DÂN",
    "THƯỜNG TRỰC HỘI ĐỒNG NHÂN DÂN",
    "BAN THƯỜNG VỤ",
    "BAN CHẤP HÀNH",
    "BAN THƯỜNG TRỰC",
    "ĐẢNG ỦY",
    "CHI ỦY",
    "HỘI ĐỒNG",
    "BAN CHỈ ĐẠO",
    "BAN GIÁM HIỆU",
    "BAN GIÁM ĐỐC",
    "ĐOÀN CHỦ TỊCH",
    "BAN THANH TRA NHÂN DÂN",
)
#: The least mean letter similarity (0–100) of a block's lines and the titles matched to them.
MIN_SCORE = 70.0
#: The least similarity of any one line of the block.
MIN_LINE = 60.0
#: The least lead of the block matched over any other (points, summed over its lines): about
#: one letter of a line's reading that only one of them explains; less, and it is unsure.
MIN_MARGIN = 3.0
#: The most a block may put a line below the line's own best match (points).
MAX_FORCED = 10.0
#: Lines with fewer letters that match nothing are specks of a seal or signature.
MAX_SPECK = 4
_NOT_LETTER = re.compile(r"[^a-z]")


def letters(text: str) -> str:
    """The letters of a reading, folded (no marks, đ → d), nothing else: "KT. CHỦ" → "ktchu"."""
    return _NOT_LETTER.sub("", fold(text))


#: Deputies whose title is not "PHÓ" and the head's: a minister's deputy is a "THỨ TRƯỞNG".
DEPUTY_TITLES = {"BỘ TRƯỞNG": "THỨ TRƯỞNG"}


def deputy(head: str) -> str:
    """The title of a head's deputy: "PHÓ GIÁM ĐỐC", "THỨ TRƯỞNG"."""
    return DEPUTY_TITLES.get(head, f"PHÓ {head}")


def _deputies() -> tuple[str, ...]:
    return tuple(deputy(h) for h in HEADS)


@cache
def blocks() -> tuple[tuple[str, ...], ...]:
    """Every signer block of the grammar in the module docstring, as printed lines."""
    heads, deputies = HEADS, _deputies()
    own = (*heads, *deputies, *(f"Q. {h}" for h in heads))
    out: list[tuple[str, ...]] = []
    out += [(h,) for h in heads] + [(f"Q. {h}",) for h in heads]
    out += [(f"KT. {h}", deputy(h)) for h in heads]
    out += [(f"TM. {b}", h) for b in COLLECTIVES for h in heads]
    # by order: the official's own position, not the head's nor the head's deputy's
    out += [
        (f"{p} {h}", o)
        for p in ("TL.", "TUQ.")
        for h in heads
        for o in own
        if o not in (h, deputy(h), f"Q. {h}")
    ]
    out += [(f"TM. {b}", f"KT. {h}", deputy(h)) for b in COLLECTIVES for h in heads]
    return tuple(out)


@cache
def _keys() -> dict[str, str]:
    """The letters of every line a block may hold."""
    return {line: letters(line) for block in blocks() for line in block}


def match_block(readings: Sequence[Sequence[str]]) -> list[str] | None:
    """The title block's lines as printed, when the readings match one block clearly."""
    ranked = rank_blocks(readings)
    return list(ranked[0]) if ranked else None


def rank_blocks(readings: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
    """The block the readings match and the blocks nearly as good; empty when unsure.

    ``readings``: for each line between the signer block's top and the name, in order, its
    readings (the page's, a second reader's). A reading of few letters ("VN S") is a speck,
    and a line no reading of which resembles a title line (a seal's ring, a signature's
    strokes) is stepped over. A line of a block scores its best letter similarity
    to the line's readings; a block scores the mean of its lines. The best block is taken
    when it scores :data:`MIN_SCORE` (no line under :data:`MIN_LINE`) and leads every other
    block of as many lines by :data:`MIN_MARGIN` (summed over the lines); the blocks within
    twice that lead follow it (a prefix the seal left one letter of: "TL." or "TUQ.").
    """
    read = [[letters(t) for t in line] for line in readings]
    read = [[r for r in line if len(r) > MAX_SPECK] for line in read]
    read = [line for line in read if line and _resembles_a_title(line)]
    if not 1 <= len(read) <= 3:
        return []
    scores = {
        line: [max(fuzz.ratio(key, r) for r in alts) for alts in read]
        for line, key in _keys().items()
    }
    ranked = sorted(
        (
            (sum(scores[line][i] for i, line in enumerate(block)), block)
            for block in blocks()
            if len(block) == len(read)
        ),
        reverse=True,
    )
    best, block = ranked[0]
    runner = ranked[1][0] if len(ranked) > 1 else 0.0
    worst = min(scores[line][i] for i, line in enumerate(block))
    if best / len(block) < MIN_SCORE or worst < MIN_LINE or best - runner < MIN_MARGIN:
        return []
    # a line the block forces far from its own best match: a line of the block was not read
    # ("TM. ỦY BAN NHÂN DÂN / PHÓ CHỦ TỊCH" lost its "KT. CHỦ TỊCH"), the block is not this
    own = [max(col[i] for col in scores.values()) for i in range(len(read))]
    if any(scores[line][i] < own[i] - MAX_FORCED for i, line in enumerate(block)):
        return []
    return [b for score, b in ranked[:4] if best - score < 2 * MIN_MARGIN]


def _resembles_a_title(readings: Sequence[str]) -> bool:
    """Does some reading of a line come :data:`MIN_LINE` near some title line?

    A seal's ring ("VÀ VN", "KẾ HO") or a signature's strokes read as letters do not; they
    are no line of the block.
    """
    return any(fuzz.ratio(key, r) >= MIN_LINE for r in readings for key in _keys().values())


def _kept(text: str) -> bool:
    """Is a title reading kept as read: one of the blocks as printed?"""
    return tuple(text.split()) in _printed()


def _holds(block: str, text: str) -> bool:
    """Does a matched block hold every word of a clean reading, in order?

    A block may only add the lines a whole reading lost, never drop or change what it read
    ("TRƯỞNG PHÒNG TƯ PHÁP" is never matched to "TRƯỞNG PHÒNG").
    """
    words = iter(fold(block).split())
    return all(w in words for w in fold(text).split())


@cache
def _printed() -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(" ".join(block).split()) for block in blocks())


#: The note on a title matched to the printed titles, for the clerk.
MATCHED_NOTE = (
    "chức vụ bị dấu hoặc chữ ký che, được khớp với các chức danh thường in: đối chiếu với ảnh"
)


def with_matched_titles(
    records: Sequence[Record],
    page: OcrPage,
    read: ReadBox | None,
    gray: np.ndarray | None = None,
) -> list[Record]:
    """TTHC records whose garbled signer title is replaced by the block it matches, for review.

    A title read as one of the printed blocks is kept; otherwise the block is matched
    (:func:`rank_blocks`) on the text lines found in the pixels above the signer's name, each
    read by the second reader (with the page's words there), or else on the page's own lines
    there. The reading stays the field's ``raw``; the matched block is its value, sent to a
    clerk (:data:`MATCHED_NOTE`), near rivals offered beside it.
    """
    out = []
    for rec in records:
        field = rec.fields.get("chuc_vu_nguoi_ky")
        if rec.schema_name != "tthc" or field is None:
            out.append(rec)
            continue
        parts = title_parts(page)
        if field.value and _kept(field.value):
            out.append(rec)
            continue
        ranked = _matched(page, parts, read, gray)
        if field.value and is_clean_title(field.value):  # words read: complete, never change
            ranked = [b for b in ranked if _holds(b, field.value)]
        if not ranked:
            out.append(rec)
            continue
        raw = " ".join(p.text for p in parts)
        others = [*ranked[1:], *([field.value] if field.value else []), *field.alternatives]
        matched = field.model_copy(
            update={
                "value": ranked[0],
                "raw": field.raw or raw,
                "bbox": field.bbox or union_bbox([p.bbox for p in parts]),
                "alternatives": list(dict.fromkeys(others)),
            }
        )
        fields = {**rec.fields, "chuc_vu_nguoi_ky": flag_field(matched, MATCHED_NOTE)}
        out.append(rec.model_copy(update={"fields": fields}))
    return out


def _matched(
    page: OcrPage, parts: Sequence[Part], read: ReadBox | None, gray: np.ndarray | None
) -> list[str]:
    """The blocks the title lines match: on the pixels' text lines first, then the page's."""
    frame = title_frame(page) if gray is not None and read is not None else None
    tries: list[list[list[str]]] = []
    if frame is not None and gray is not None and read is not None:
        lines = text_lines(gray, *frame)
        tries.append(
            [[read(b).text, *(p.text for p in parts if _inside(p.bbox, b))] for b in lines]
        )
    tries.append([[p.text, *([read(p.bbox).text] if read else [])] for p in parts])
    for readings in tries:
        ranked = rank_blocks(readings) if readings else []
        if ranked:
            return [" ".join(b) for b in ranked]
    return []


def _inside(box: BBox, band: BBox) -> bool:
    """Is a box's middle row within a band's rows?"""
    middle = box[1] + box[3] / 2
    return band[1] <= middle < band[1] + band[3]


#: A row is text when its ink (smoothed over a third of a line) reaches this share of the
#: zone's busiest rows (95th percentile): a seal's ring crosses a row in two thin strokes.
TEXT_ROW_SHARE = 0.35
#: The most lines looked for (a signer block has at most four): each costs a second reading.
MAX_LINES = 8
#: Line pitch ÷ the name's height: a band this many pitches tall holds as many lines.
LINE_PITCH = 1.3


def text_lines(gray: np.ndarray, zone: BBox, height: int) -> list[BBox]:
    """Text lines in ``zone`` of a page, from its rows of ink (dark under 128).

    Rows whose smoothed ink passes :data:`TEXT_ROW_SHARE` make bands; a band under half a
    line high is a speck, a taller one is cut into as many lines as :data:`LINE_PITCH` fits
    (two lines a seal's ink joined). Each line's box spans its inked columns.
    """
    x, y, w, h = zone
    ink = (gray[max(0, y) : y + h, max(0, x) : x + w] < 128).astype(np.float32)
    if not ink.size or height < 4:
        return []
    k = max(1, height // 3)
    rows = np.convolve(ink.sum(axis=1), np.ones(k) / k, mode="same")
    on = np.concatenate([[False], rows > TEXT_ROW_SHARE * np.percentile(rows, 95), [False]])
    edges = np.flatnonzero(on[1:] != on[:-1]).reshape(-1, 2)
    out: list[BBox] = []
    for start, stop in edges.tolist():
        if stop - start < height / 2:
            continue
        n = max(1, round((stop - start) / (LINE_PITCH * height)))
        for i in range(n):
            a = start + (stop - start) * i // n
            b = start + (stop - start) * (i + 1) // n
            cols = np.flatnonzero(ink[a:b].sum(axis=0))
            if cols.size:
                out.append((x + int(cols[0]), y + a, int(cols[-1] - cols[0] + 1), b - a))
    return out[:MAX_LINES]
