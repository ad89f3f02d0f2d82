"""A second opinion on the fields that matter: auto-accepted only when two readers agree.

Numbers, dates, names, identity numbers and places are read again, from the same pixels, by
an independent line reader (:class:`pipeline.ports.LineReader`); a value the first reading
would auto-accept stays auto-accepted only when the second reading agrees with it. When they
differ, the field goes to the clerk with both readings shown. The second reader is a second
opinion, never a reading to trust: it can only send a field to review, never accept one.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np

from pipeline.extract import parsers
from pipeline.extract.fields import check_date, flag_field
from pipeline.extract.forms import split_death_time
from pipeline.extract.gazetteer import match_place
from pipeline.extract.labels import fold
from pipeline.ports import LineReader, LineReading
from schemas.models import BBox, FieldValue, Record

#: Fields read twice: numbers, dates, years, names, identity numbers, places.
KEY_PREFIXES = (
    "so",
    "quyen_so",
    "ngay_",
    "gio_",  # the time of death: digits, like a date
    "nam_sinh",
    "ho_ten",
    "nguoi_",
    "noi_",
    "que_quan",
    "dan_toc",  # a misread ethnic group can land on another listed one ("Kinh" read "Xin")
)
log = logging.getLogger(__name__)
_NOT_LETTER = re.compile(r"[^\w]|_", re.UNICODE)
_DIGITS = re.compile(r"\d")

#: The note on a key field no second reading could confirm.
NOT_CONFIRMED = "chưa có lần đọc thứ hai để đối chiếu: kiểm tra với ảnh"
#: Reads the line in a box of the page (the caller crops its own pixels).
ReadBox = Callable[[BBox], LineReading]


def is_key_field(name: str) -> bool:
    """Is ``name`` a field whose value must be confirmed by a second reader?"""
    return name.startswith(KEY_PREFIXES)


def _letters(text: str) -> str:
    """The letters of a reading, for comparison: tone placement, case and punctuation aside."""
    key = parsers.name_key(unicodedata.normalize("NFC", text).replace("Ð", "Đ"))
    return _NOT_LETTER.sub("", _DIGITS.sub("", key))


def agrees(first: str, second: str, *, name: str = "", value: str | None = None) -> bool:
    """Do two readings of the same pixels say the same thing?

    A date field agrees when the second reading parses to the same date as the field's
    value. A reading with digits (a number, a symbol, a year) agrees when the digits are the
    same, in order — in the value too — and the letters the same but for diacritics
    ("Số"/"So" in a label); one
    without (a name, a place) when the letters are the same, tone marks included (their old
    or new placement aside), and capitalised alike when both readings mix capitals and small
    letters; spaces and punctuation never count.
    """
    if name.startswith("ngay_") and value:
        return check_date(second).value == value
    if name.startswith("gio_") and value:  # "01 giờ 45 phút, ngày …" holds the time and more
        return split_death_time(second)["gio_chet"] == value
    if ":" not in first and ":" in second:  # a value over two lines: its box holds the label
        second = second.split(":", 1)[1]
    digits, again = _DIGITS.findall(first), _DIGITS.findall(second)
    if digits:
        same_letters = _letters(fold(first)) == _letters(fold(second))
        # the value must hold the digits read too: "02/201 3" parsed as "02/201" does not
        kept = not value or not _DIGITS.findall(value) or _DIGITS.findall(value) == again
        return digits == again and same_letters and kept
    if bool(_letters(first)) and _letters(first) == _letters(second):
        return _same_capitals(first, second)
    return name.startswith(PLACE_PREFIXES) and _same_unit(first, second)


def _same_capitals(first: str, second: str) -> bool:
    """Do two readings with the same letters capitalise them alike?

    Asked only when both readings mix capitals and small letters: "Trạm Y tế" read once and
    "Trạm y tế" once is a capital nobody is sure of. A reading all in small letters or all in
    capitals ("phan quế chi", a name printed "NGUYỄN VĂN AN") says nothing of case.
    """
    again = [c for c in second if c.isalpha()]
    read = [c for c in first if c.isalpha()]
    if len(read) != len(again) or _one_case(read) or _one_case(again):
        return True  # a page in capitals ("NGUYỄN VĂN AN") or a reader that lost case
    return [c.isupper() for c in read] == [c.isupper() for c in again]


def _one_case(letters: list[str]) -> bool:
    return not any(c.isupper() for c in letters) or not any(c.islower() for c in letters)


#: Fields naming a place: two readings agree when they name the same administrative unit.
PLACE_PREFIXES = ("noi_", "que_quan")
_UNIT_START = re.compile(r"\b(xã|phường|thị trấn|thị xã|huyện|quận|thành phố|tỉnh)\b", re.I)


def _same_unit(first: str, second: str) -> bool:
    """Do two readings of a place name the same unit of the gazetteer?

    The words before the unit ("Ủy ban nhân dân", "Bệnh viện đa khoa") must be read the
    same; the unit part of each reading must resolve to the same commune, district and
    province — the first reading almost exactly (score ≥ 0.95), the second well (≥ 0.9).
    A long place line is where the second reader slips a letter most ("huyện chn Mới"),
    while two readings landing on the same listed unit is strong agreement.
    """
    a, b = _UNIT_START.search(first), _UNIT_START.search(second)
    if a is None or b is None or _letters(first[: a.start()]) != _letters(second[: b.start()]):
        return False
    if not _same_capitals(first[: a.start()], second[: b.start()]):
        return False
    one, two = match_place(first[a.start() :]), match_place(second[b.start() :])
    return bool(
        one and two and one.score >= 0.95 and two.score >= 0.9 and one.normalized == two.normalized
    )


def second_opinion(
    records: Sequence[Record], read: ReadBox | None, *, lines: Sequence[BBox] = ()
) -> list[Record]:
    """Records whose key fields are confirmed by a second reading, or sent to review.

    Only fields the first reading would auto-accept are read again (the others go to a
    clerk anyway), so the cost is one short line per confident key field. ``read`` None (no
    second reader) confirms nothing: every confident key field goes to review. ``lines``:
    the page's text lines; a value wrapped over several is read line by line (the second
    reader reads one line at a time).
    """
    out = []
    for rec in records:
        fields = dict(rec.fields)
        for name, field in rec.fields.items():
            if field.needs_review or not is_key_field(name) or _confirmed_place(name, field):
                continue
            if read is None or field.bbox is None:
                fields[name] = flag_field(field, NOT_CONFIRMED)
                continue
            fields[name] = _checked(name, field, read_wrapped(read, field.bbox, lines))
        out.append(rec.model_copy(update={"fields": fields}))
    return out


def line_boxes(box: BBox, lines: Sequence[BBox]) -> list[BBox]:
    """The parts of ``box`` on each text line it spans (one box when it spans one line).

    A line counts when more than half its height lies inside the box; each part keeps the
    box's left and right edges and takes the line's top and bottom.
    """
    x, y, w, h = box
    parts: list[BBox] = []
    for lx, ly, lw, lh in sorted(lines, key=lambda b: b[1]):
        inside = min(y + h, ly + lh) - max(y, ly)
        if lh > 0 and inside > lh / 2 and lx < x + w and x < lx + lw:
            last = parts[-1] if parts else None
            if last is not None and ly < last[1] + last[3] / 2:  # the same row (label, value)
                top = min(last[1], ly)
                parts[-1] = (x, top, w, max(last[1] + last[3], ly + lh) - top)
                continue
            parts.append((x, ly, w, lh))
    return parts if len(parts) > 1 else [box]


def read_wrapped(read: ReadBox, box: BBox, lines: Sequence[BBox]) -> LineReading:
    """Read a value's box line by line and join the readings."""
    parts = [read(b) for b in line_boxes(box, lines)]
    if len(parts) == 1:
        return parts[0]
    text = " ".join(p.text for p in parts if p.text)
    return LineReading(
        text=text, confidence=min(p.confidence for p in parts), engine=parts[0].engine
    )


def _confirmed_place(name: str, field: FieldValue) -> bool:
    """Is this a place read the same from other pixels of the page?

    The mother's and the father's residence, say, both found in the gazetteer: a second
    reading adds little to it, and places are the longest lines to read again.
    """
    place = name.startswith(("noi_", "que_quan"))
    return place and field.signals.get("agree") == 1.0


def _checked(name: str, field: FieldValue, second: LineReading) -> FieldValue:
    """The field confirmed (a signal noted) or flagged with the second reading shown."""
    if agrees(field.raw or field.value or "", second.text, name=name, value=field.value):
        signals = {**field.signals, "second_reader": 1.0}
        return field.model_copy(update={"signals": signals})
    shown = second.text.strip() or "(không đọc được)"
    note = f"bộ đọc thứ hai đọc “{shown}”, khác với “{field.raw}”: đối chiếu với ảnh"
    flagged = flag_field(field, note)
    offered = as_value(name, field, second.text)
    return flagged.model_copy(
        update={
            "signals": {**field.signals, "second_reader": 0.0},
            "alternatives": [*field.alternatives, *([offered] if offered else [])],
        }
    )


def as_value(name: str, field: FieldValue, text: str) -> str | None:
    """The second reading shaped like the field's value, to offer the clerk; None if it cannot be.

    A date is parsed as dates are; a number takes the second reading's digits in the value's
    places (when the value holds the digits read, in order, and as many were read again); a
    name or place is offered as read when the first reading held the value alone (no label).
    """
    value, raw = field.value or "", field.raw
    if not text.strip() or not value:
        return None
    if name.startswith("ngay_"):
        return check_date(text).value
    digits, again = _DIGITS.findall(value), _DIGITS.findall(text)
    if digits:
        if digits != _DIGITS.findall(raw) or len(again) != len(digits):
            return None
        it = iter(again)
        return _DIGITS.sub(lambda _m: next(it), value)
    return " ".join(text.split()) if _letters(raw) == _letters(value) else None


def box_reader(gray: np.ndarray, reader: LineReader) -> ReadBox:
    """Read the line in a box of the OCR copy with ``reader`` (a little margin around it).

    A box is read once per page (a register page's entries share its header's boxes), and
    the blank paper left and right of the ink is cut off first: the reader's time grows with
    the width it is given.
    """
    seen: dict[BBox, LineReading] = {}

    def read(box: BBox) -> LineReading:
        if box in seen:
            return seen[box]
        x, y, w, h = box
        pad = max(2, round(h * 0.15))
        crop = trim_blank_sides(
            gray[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad], max(pad, h // 2)
        )
        try:
            seen[box] = reader.read_line(np.ascontiguousarray(crop))
        except Exception as e:  # a second opinion that fails confirms nothing, fails no page
            log.warning("second reader failed on a %s crop: %s", crop.shape, e)
            return LineReading(text="", confidence=0.0, engine=reader.name)
        return seen[box]

    return read


def trim_blank_sides(crop: np.ndarray, pad: int) -> np.ndarray:
    """``crop`` without the blank columns left and right of its ink, ``pad`` columns kept.

    Ink is any pixel not near-white (a faint stroke at a value's end counts); a crop with
    none is returned as it is.
    """
    if crop.ndim != 2 or crop.size == 0:
        return crop
    cols = np.flatnonzero((crop < 200).any(axis=0))
    if cols.size == 0:
        return crop
    return crop[:, max(0, int(cols[0]) - pad) : int(cols[-1]) + 1 + pad]
