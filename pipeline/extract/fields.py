"""Field-level checks: parse and validate a raw value, score it, flag it for review.

The bottom of the extract room: forms, tables and the TTHC reader build their fields here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from pipeline.extract import parsers
from pipeline.extract.calibration import Calibration
from pipeline.extract.ethnic import normalize_ethnic, normalize_nationality
from pipeline.extract.gazetteer import PlaceMatch, match_place
from pipeline.extract.labels import fold, union_bbox
from pipeline.extract.placefix import PlaceFix, cut_short, fix_place, split_type
from pipeline.extract.signals import PLACE_FIELDS, repair_surname, signals
from schemas.models import FieldValue, OcrWord, Record


@dataclass(frozen=True)
class Checked:
    """A parsed value and whether its validator accepted it."""

    value: str | None
    ok: bool
    note: str = ""
    #: the value was repaired from reference data: shown to a clerk, never auto-accepted
    repaired: bool = False
    #: small OCR slips corrected from reference data (the calibration weighs how sure that is)
    fixed: bool = False


#: Civil-status books older than this are not in scope; a date before it is a misreading.
EARLIEST_YEAR = 1850


def check_date(raw: str) -> Checked:
    """A date, not in the future nor before the books in scope."""
    d = parsers.parse_date(raw)
    if d is None:
        return Checked(None, False, "ngày không đọc được")
    if d > date.today() or d.year < EARLIEST_YEAR:
        # "2903" for "2003": a digit misread; shown to the clerk, never accepted
        return Checked(d.isoformat(), False, "ngày không thể có (ở tương lai hoặc quá xa)")
    return Checked(d.isoformat(), True)


def _year(raw: str) -> Checked:
    y = parsers.parse_year(raw)
    return Checked(str(y), True) if y else Checked(None, False, "năm không đọc được")


def check_name(raw: str) -> Checked:
    """A person's name in title case, its surname repaired from the name lists when misread."""
    name = parsers.title_case_name(parsers.normalize_name(raw))
    ok = 2 <= len(name.split()) <= 7 and all(ch.isalpha() or ch in " -'" for ch in name)
    name, repair = repair_surname(name)
    note = "" if ok else "họ tên bất thường"
    if repair:
        note = "; ".join(n for n in (note, repair) if n)
    return Checked(name or None, ok, note, repaired=repair is not None)


def _sex(raw: str) -> Checked:
    s = parsers.parse_sex(raw)
    return Checked(s, s is not None, "" if s else "giới tính không rõ")


def _pid(raw: str) -> Checked:
    p = parsers.parse_personal_id(raw)
    if p is None:
        return Checked(None, False, "số định danh phải đủ 12 chữ số")
    if p[:3] not in parsers.PROVINCE_CODES:
        # the first three digits name the province of birth registration: a misread digit
        return Checked(p, False, f"mã tỉnh {p[:3]} của số định danh không có")
    return Checked(p, True)


def _entry(raw: str) -> Checked:
    v = parsers.parse_entry_number("Số: " + raw)
    return Checked(v, v is not None, "" if v else "số không đọc được")


def _book(raw: str) -> Checked:
    v = parsers.parse_book_number("Quyển số: " + raw)
    if v is None:
        return Checked(None, False, "quyển số không đọc được")
    year = re.search(r"(?<!\d)(\d{4})(?!\d)", v)
    if year and not EARLIEST_YEAR <= int(year[1]) <= date.today().year:
        return Checked(v, False, "năm của quyển số không thể có")
    return Checked(v, True)


#: A place read up to a separator goes on on a line that was not joined to it.
PLACE_CUT_NOTE = "địa danh bị cắt: dòng viết tiếp không được ghép"
#: Gazetteer notes that say the units named do not fit together as the page has them, or that
#: a unit named is in no table (a misreading, or a commune the tables lack: nobody can tell).
_UNFIT_NOTES = ("không thuộc", "không tìm thấy")


def check_place(raw: str) -> Checked:
    """A place, its unit names spelled as in the unit tables when OCR misread them a little.

    Never sure (sent to a clerk, the tables' spelling in the note): a place that ends on a
    separator ("…, huyện Chợ Mới,": its next line was lost), one whose unit names differ from
    the tables' ("Yên Ihải" for Yên Thái: a misreading or a unit renamed; kept as read), one
    naming a unit no table holds ("xã Rông Rắn"), or whose ward does not belong to the
    district written.
    """
    text = check_text(raw)
    if not text.value:
        return text
    m = match_place(text.value)
    fixed = fix_place(text.value, m) if m is not None else None
    value = fixed.value if fixed else text.value
    if m is not None and cut_short(value, m):
        return Checked(value, False, "địa danh bị cắt: thiếu tên tỉnh/thành phố")
    if raw.rstrip().endswith((",", ";", "-", "–", "—")) and not _ends_in_province(value, m):
        return Checked(value, False, PLACE_CUT_NOTE)
    checked = _checked_place(text.value, fixed)
    unfit = [n for n in (m.notes if m is not None else ()) if any(u in n for u in _UNFIT_NOTES)]
    if (
        m is not None
        and not unfit
        and m.score < 0.999
        and not _units_on_page(checked.value or "", m)
    ):
        unfit = [f"danh mục: {m.normalized} — tên trên trang khác"]
    if unfit:
        note = "; ".join(n for n in (checked.note, *unfit) if n)
        return Checked(checked.value, False, note, fixed=checked.fixed)
    return checked


def _ends_in_province(value: str, m: PlaceMatch | None) -> bool:
    """Does the place end with its province's name (a comma after it cuts nothing)?"""
    province = m and (m.province_historical or m.province_old)
    return bool(province) and fold(value).endswith(fold(split_type(province or "")[1]))


def _units_on_page(value: str, m: PlaceMatch) -> bool:
    """Are the district and commune the tables matched written as the tables write them?

    Asked of approximate matches: "Yên Thái" taken for Tiên Hải says nothing sure.
    """
    low = value.lower()
    units = m.normalized.split(", ")[:-1]  # as the page names them (a former name too), no province
    return all(split_type(u)[1].lower() in low for u in units)


def _checked_place(text: str, fixed: PlaceFix | None) -> Checked:
    if fixed is None:
        return Checked(text, True)
    notes = [
        f"danh mục ghi “{b}”, trên trang đọc được “{a}” (giữ nguyên)" for a, b in fixed.suggestions
    ]
    if fixed.value == text:
        return Checked(text, not notes, "; ".join(notes))
    changes = ", ".join(f"{a} → {b}" for a, b in fixed.changes) or "dấu câu"
    notes.insert(0, f"sửa theo danh mục đơn vị hành chính: {changes}")
    return Checked(fixed.value, not fixed.suggestions, "; ".join(notes), fixed=True)


def check_text(raw: str) -> Checked:
    """Plain text, spaces and trailing punctuation tidied; empty is not valid."""
    text = " ".join(raw.split()).strip(" ,;.")
    return Checked(text or None, bool(text), "" if text else "trống")


def _ethnic(raw: str) -> Checked:
    """Official name of the ethnic group (old names such as Mèo → H'Mông); raw keeps the page."""
    m = normalize_ethnic(raw)
    if m is None or m.score < 0.8:
        return Checked(check_text(raw).value, False, "dân tộc không có trong danh mục")
    note = "" if m.name == raw.strip() else f"ghi trên trang: {raw.strip()}"
    return Checked(m.name, not m.ambiguous, note or ("tên cũ nhiều nghĩa" if m.ambiguous else ""))


def _nationality(raw: str) -> Checked:
    m = normalize_nationality(raw)
    if m is None or m.score < 0.8:
        return Checked(check_text(raw).value, False, "quốc tịch không có trong danh mục")
    return Checked(m.name, True)


_ETHNIC_CHECKS: dict[str, Callable[[str], Checked]] = {
    **{f: _ethnic for f in ("dan_toc", "dan_toc_me", "dan_toc_cha", "dan_toc_chong", "dan_toc_vo")},
    **{
        f: _nationality
        for f in ("quoc_tich", "quoc_tich_me", "quoc_tich_cha", "quoc_tich_chong", "quoc_tich_vo")
    },
}

BIRTH_CHECKS: dict[str, Callable[[str], Checked]] = {
    **{f: check_place for f in PLACE_FIELDS},
    **_ETHNIC_CHECKS,
    "so": _entry,
    "quyen_so": _book,
    "ho_ten": check_name,
    "ngay_sinh": check_date,
    "gioi_tinh": _sex,
    "so_dinh_danh": _pid,
    "ho_ten_me": check_name,
    "ho_ten_cha": check_name,
    "nguoi_di_khai": check_name,
    "nam_sinh_me": _year,
    "nam_sinh_cha": _year,
    "ngay_dang_ky": check_date,
}


#: Validators by field name, extracts and register columns alike (others: plain text).
FIELD_CHECKS: dict[str, Callable[[str], Checked]] = {
    **BIRTH_CHECKS,
    "ho_ten_chong": check_name,
    "ho_ten_vo": check_name,
    "ngay_sinh_chong": check_date,
    "ngay_sinh_vo": check_date,
    "so_dinh_danh_chong": _pid,
    "so_dinh_danh_vo": _pid,
    "ngay_chet": check_date,
}


def check_field(name: str, raw: str) -> Checked:
    """Parse and validate a raw value with the validator of field ``name``."""
    return FIELD_CHECKS.get(name, check_text)(raw)


def word_confidence(words: Sequence[OcrWord]) -> float:
    """Combine word confidences: a weak word pulls the field down more than an average."""
    if not words:
        return 0.0
    confs = [w.conf for w in words]
    return round(0.5 * (sum(confs) / len(confs)) + 0.5 * min(confs), 4)


def make_field(
    raw: str,
    words: Sequence[OcrWord],
    check: Checked,
    *,
    threshold: float,
    calibration: Calibration,
    why: str,
    name: str = "",
    label_score: float = 100.0,
) -> FieldValue:
    """Build a FieldValue with a calibrated confidence, flagged when unsure or invalid.

    The confidence is the calibrated probability that the value is right, from the OCR
    word confidences, the validator, the lexicon, the reference data and the label
    match, by ``calibration`` (pipeline.extract.calibration). An invalid or empty value is
    never auto-accepted.
    """
    sig, notes = signals(name, check.value, words, valid=check.ok, label_score=label_score)
    sig["fixed"] = 1.0 if check.fixed else 0.0
    conf = calibration.probability(sig)
    if check.repaired:
        sig["repaired"] = (
            1.0  # not a model input: keeps pipeline.extract.agreement from clearing it
        )
    if not check.ok or check.value is None:
        conf = min(conf, 0.5)
    prov = [why] + ([check.note] if check.note else []) + notes
    return FieldValue(
        value=check.value,
        raw=raw,
        confidence=round(max(0.0, min(1.0, conf)), 4),
        bbox=union_bbox([w.bbox for w in words]),
        needs_review=(not check.ok) or check.value is None or check.repaired or conf < threshold,
        provenance=prov,
        signals={k: round(v, 4) for k, v in sig.items()},
    )


def missing_field(why: str = "không tìm thấy nhãn trên trang") -> FieldValue:
    """A field the page did not yield: empty, zero confidence, for review."""
    return FieldValue(value=None, raw="", confidence=0.0, needs_review=True, provenance=[why])


def flag_field(field: FieldValue, note: str) -> FieldValue:
    """The field sent to review, with ``note`` added to its provenance."""
    return field.model_copy(update={"needs_review": True, "provenance": [*field.provenance, note]})


#: Births and deaths are registered within weeks (60 and 15 days under the 2014 Law on
#: Civil Status, similar terms before it). A registration more than a year after the event
#: is a late registration — rare, and worth a clerk's look — or, far more often, a misread
#: digit in one of the two dates; both dates then go to review.
LATE_REGISTRATION_DAYS = 366


def check_registration_delay(fields: dict[str, FieldValue]) -> None:
    """Flag the event date and the registration date when they lie more than a year apart."""
    event = "ngay_chet" if "ngay_chet" in fields else "ngay_sinh"
    a, b = fields.get(event), fields.get("ngay_dang_ky")
    if not (a and b and a.value and b.value):
        return
    try:
        gap = (date.fromisoformat(b.value) - date.fromisoformat(a.value)).days
    except ValueError:
        return
    if gap <= LATE_REGISTRATION_DAYS:
        return
    what = "ngày chết" if event == "ngay_chet" else "ngày sinh"
    note = f"đăng ký sau {what} hơn {gap // 365} năm: kiểm tra cả hai ngày"
    fields[event] = flag_field(a, note)
    fields["ngay_dang_ky"] = flag_field(b, note)


def _inside(inner: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    x, y, w, h = inner
    ox, oy, ow, oh = outer
    cx, cy = x + w / 2, y + h / 2
    return ox <= cx <= ox + ow and oy <= cy <= oy + oh


def flag_suspect_zeros(
    records: Sequence[Record], suspects: Sequence[tuple[OcrWord, Sequence[int]]]
) -> list[Record]:
    """Records with every field that holds a zero-shaped 8/9/6 sent to review.

    Args:
        records: the page's records.
        suspects: words and the positions of their characters shaped like a slashed zero
            (:func:`pipeline.imaging.glyphs.find_suspect_zeros`).
    """
    if not suspects:
        return list(records)
    out = []
    for rec in records:
        fields = dict(rec.fields)
        for name, field in rec.fields.items():
            if field.needs_review or field.value is None or field.bbox is None:
                continue
            for word, positions in suspects:
                if _inside(word.bbox, field.bbox):
                    shown = ", ".join(f"“{word.text[i]}”" for i in positions)
                    note = f"chữ số {shown} trong “{word.text}” có dáng số 0 gạch chéo: kiểm tra"
                    fields[name] = flag_field(field, note)
                    break
        out.append(rec.model_copy(update={"fields": fields}))
    return out


#: The note a clerk reads beside a field with handwritten ink.
HANDWRITTEN_NOTE = "viết tay"


def flag_handwritten(
    records: Sequence[Record], hand_words: Sequence[tuple[OcrWord, str]]
) -> list[Record]:
    """Records with every field holding a handwritten word marked and sent to review.

    A handwritten value is never auto-accepted on one reading: Tesseract reads handwritten
    digits as confident typed ones ("1535" as "4635" at 0.998).

    Args:
        records: the page's records.
        hand_words: the page's words judged handwritten, each with the reason in plain words
            (:func:`pipeline.imaging.handwriting.judge_words`).
    """
    if not hand_words:
        return list(records)
    out = []
    for rec in records:
        fields = dict(rec.fields)
        for name, field in rec.fields.items():
            if field.bbox is None:
                continue
            inside = [(w, why) for w, why in hand_words if _inside(w.bbox, field.bbox)]
            if inside:
                word, why = inside[0]
                note = f"{HANDWRITTEN_NOTE}: “{word.text}” ({why})"
                fields[name] = flag_field(field, note).model_copy(update={"handwritten": True})
        if rec.schema_name != "tthc":  # typed documents with a handwritten number and day
            fields = _filled_by_hand(fields)
        out.append(rec.model_copy(update={"fields": fields}))
    return out


#: A record with at least this share of its values judged handwritten (and two of them) was
#: filled in by hand: the values the judge missed are most likely handwritten too.
HAND_RECORD_SHARE = 1 / 3


def _filled_by_hand(fields: dict[str, FieldValue]) -> dict[str, FieldValue]:
    """Every value of a record filled in by hand marked handwritten, not only those judged so.

    Values are counted by the place they are written: fields read from the same words (the
    time and the day of death, the parts of an identity paper line) count once.
    """
    valued = [n for n, f in fields.items() if f.value is not None]
    boxes = {fields[n].bbox or (i,) for i, n in enumerate(valued)}
    hand = {fields[n].bbox or (i,) for i, n in enumerate(valued) if fields[n].handwritten}
    if len(hand) < 2 or len(hand) < HAND_RECORD_SHARE * len(boxes):
        return fields
    note = f"{HANDWRITTEN_NOTE}: {len(hand)}/{len(boxes)} giá trị của hồ sơ được điền tay"
    return {
        n: f
        if f.handwritten or f.value is None
        else flag_field(f, note).model_copy(update={"handwritten": True})
        for n, f in fields.items()
    }


#: Text enlarged this much or more was under ~12 px a line (a phone photo, a fax): a tone mark is
#: one or two pixels there, and both readers can agree on the wrong one ("Chí" for "Chi").
TINY_TEXT_UPSCALE = 2.0
TINY_TEXT_NOTE = "chữ trên ảnh quá nhỏ, dấu thanh không chắc chắn: đối chiếu với ảnh"


def flag_tiny_text(records: Sequence[Record], upscale: float) -> list[Record]:
    """On a page whose text had to be enlarged 2× or more, no value with letters is sure."""
    if upscale < TINY_TEXT_UPSCALE:
        return list(records)
    out = []
    for rec in records:
        fields = {
            name: flag_field(f, TINY_TEXT_NOTE)
            if not f.needs_review and any(c.isalpha() for c in f.value or "")
            else f
            for name, f in rec.fields.items()
        }
        out.append(rec.model_copy(update={"fields": fields}))
    return out
