"""From an OCR page to records: detect the document kind, map fields, validate, score."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from rapidfuzz import fuzz

from pipeline.extract import parsers
from pipeline.extract.agreement import agree, confirm
from pipeline.extract.calibration import Calibration
from pipeline.extract.calibration import load as load_calibration
from pipeline.extract.ethnic import normalize_ethnic, normalize_nationality
from pipeline.extract.gazetteer import match_place
from pipeline.extract.labels import LabelSpec, Segment, column_lines, fold, union_bbox
from pipeline.extract.placefix import cut_short, fix_place
from pipeline.extract.signals import PLACE_FIELDS, repair_surname, signals
from schemas.models import (
    BIRTH_FIELDS,
    TTHC_FIELDS,
    FieldValue,
    OcrLine,
    OcrPage,
    OcrWord,
    Record,
)

KIND_BIRTH = "khai_sinh"
KIND_TTHC = "tthc"
KIND_REGISTER = "so_khai_sinh"
KIND_UNKNOWN = "unknown"
KIND_MARRIAGE = "ket_hon"
KIND_DEATH = "khai_tu"
#: Kinds ``--schema`` can force.
KINDS = ("khai_sinh", "ket_hon", "khai_tu", "tthc", "so_khai_sinh", "so_ket_hon", "so_khai_tu")
#: Register-book page kinds and the book type of their entries.
REGISTER_KINDS = {KIND_REGISTER: "khai_sinh", "so_ket_hon": "ket_hon", "so_khai_tu": "khai_tu"}

BIRTH_LABELS: tuple[LabelSpec, ...] = (
    LabelSpec("so", ("Số",)),
    LabelSpec("quyen_so", ("Quyển số",)),
    LabelSpec(
        "ho_ten",
        ("Họ, chữ đệm, tên", "Họ, chữ đệm và tên", "Họ và tên", "Họ tên"),
        starts_section="con",
    ),
    LabelSpec("ngay_sinh", ("Ngày, tháng, năm sinh", "Sinh ngày", "Ngày sinh")),
    LabelSpec("ngay_sinh_chu", ("ghi bằng chữ", "Bằng chữ")),
    LabelSpec("gioi_tinh", ("Giới tính",)),
    LabelSpec("@dan_toc", ("Dân tộc",)),
    LabelSpec("@quoc_tich", ("Quốc tịch",)),
    LabelSpec("@nam_sinh", ("Năm sinh",)),
    LabelSpec("noi_sinh", ("Nơi sinh",)),
    LabelSpec("que_quan", ("Quê quán",)),
    LabelSpec("so_dinh_danh", ("Số định danh cá nhân", "Số ĐDCN", "Số định danh")),
    LabelSpec("@noi_cu_tru", ("Nơi cư trú", "Nơi thường trú", "Trú quán")),
    LabelSpec(
        "ho_ten_me",
        (
            "Họ, chữ đệm, tên người mẹ",
            "Họ và tên mẹ",
            "Họ tên mẹ",
            "Họ, chữ đệm và tên người mẹ",
            "Họ và tên người mẹ",
        ),
        starts_section="me",
    ),
    LabelSpec(
        "ho_ten_cha",
        (
            "Họ, chữ đệm, tên người cha",
            "Họ và tên cha",
            "Họ tên cha",
            "Họ, chữ đệm và tên người cha",
            "Họ và tên người cha",
        ),
        starts_section="cha",
    ),
    LabelSpec(
        "nguoi_di_khai",
        (
            "Họ, chữ đệm, tên người đi khai sinh",
            "Người đi khai sinh",
            "Họ và tên người đi khai sinh",
            "Họ tên người đi khai",
        ),
        starts_section="khac",
    ),
    LabelSpec("noi_dang_ky", ("Nơi đăng ký khai sinh", "Nơi đăng ký"), starts_section="khac"),
    LabelSpec(
        "ngay_dang_ky",
        ("Ngày, tháng, năm đăng ký", "Ngày đăng ký", "Đăng ký ngày"),
        starts_section="khac",
    ),
)

_SCOPED = {
    ("@dan_toc", "con"): "dan_toc",
    ("@dan_toc", "me"): "dan_toc_me",
    ("@dan_toc", "cha"): "dan_toc_cha",
    ("@quoc_tich", "con"): "quoc_tich",
    ("@quoc_tich", "me"): "quoc_tich_me",
    ("@quoc_tich", "cha"): "quoc_tich_cha",
    ("@nam_sinh", "me"): "nam_sinh_me",
    ("@nam_sinh", "cha"): "nam_sinh_cha",
    ("@noi_cu_tru", "me"): "noi_cu_tru_me",
    ("@noi_cu_tru", "cha"): "noi_cu_tru_cha",
}


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


def _date(raw: str) -> Checked:
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


def _name(raw: str) -> Checked:
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


def _place(raw: str) -> Checked:
    """A place, its unit names spelled as in the unit tables when OCR misread them a little."""
    text = _text(raw)
    if not text.value:
        return text
    m = match_place(text.value)
    fixed = fix_place(text.value, m) if m is not None else None
    if m is not None and cut_short(fixed.value if fixed else text.value, m):
        value = fixed.value if fixed else text.value
        return Checked(value, False, "địa danh bị cắt: thiếu tên tỉnh/thành phố")
    if fixed is None:
        return text
    notes = [
        f"danh mục ghi “{b}”, trên trang đọc được “{a}” (giữ nguyên)" for a, b in fixed.suggestions
    ]
    if fixed.value == text.value:
        return Checked(text.value, True, "; ".join(notes))
    changes = ", ".join(f"{a} → {b}" for a, b in fixed.changes) or "dấu câu"
    notes.insert(0, f"sửa theo danh mục đơn vị hành chính: {changes}")
    return Checked(fixed.value, True, "; ".join(notes), fixed=True)


def _text(raw: str) -> Checked:
    text = " ".join(raw.split()).strip(" ,;.")
    return Checked(text or None, bool(text), "" if text else "trống")


def _ethnic(raw: str) -> Checked:
    """Official name of the ethnic group (old names such as Mèo → H'Mông); raw keeps the page."""
    m = normalize_ethnic(raw)
    if m is None or m.score < 0.8:
        return Checked(_text(raw).value, False, "dân tộc không có trong danh mục")
    note = "" if m.name == raw.strip() else f"ghi trên trang: {raw.strip()}"
    return Checked(m.name, not m.ambiguous, note or ("tên cũ nhiều nghĩa" if m.ambiguous else ""))


def _nationality(raw: str) -> Checked:
    m = normalize_nationality(raw)
    if m is None or m.score < 0.8:
        return Checked(_text(raw).value, False, "quốc tịch không có trong danh mục")
    return Checked(m.name, True)


_ETHNIC_CHECKS: dict[str, Callable[[str], Checked]] = {
    **{f: _ethnic for f in ("dan_toc", "dan_toc_me", "dan_toc_cha", "dan_toc_chong", "dan_toc_vo")},
    **{
        f: _nationality
        for f in ("quoc_tich", "quoc_tich_me", "quoc_tich_cha", "quoc_tich_chong", "quoc_tich_vo")
    },
}

_BIRTH_CHECKS: dict[str, Callable[[str], Checked]] = {
    **{f: _place for f in PLACE_FIELDS},
    **_ETHNIC_CHECKS,
    "so": _entry,
    "quyen_so": _book,
    "ho_ten": _name,
    "ngay_sinh": _date,
    "gioi_tinh": _sex,
    "so_dinh_danh": _pid,
    "ho_ten_me": _name,
    "ho_ten_cha": _name,
    "nguoi_di_khai": _name,
    "nam_sinh_me": _year,
    "nam_sinh_cha": _year,
    "ngay_dang_ky": _date,
}


#: Validators by field name, extracts and register columns alike (others: plain text).
FIELD_CHECKS: dict[str, Callable[[str], Checked]] = {
    **_BIRTH_CHECKS,
    "ho_ten_chong": _name,
    "ho_ten_vo": _name,
    "ngay_sinh_chong": _date,
    "ngay_sinh_vo": _date,
    "so_dinh_danh_chong": _pid,
    "so_dinh_danh_vo": _pid,
    "ngay_chet": _date,
}


def check_field(name: str, raw: str) -> Checked:
    """Parse and validate a raw value with the validator of field ``name``."""
    return FIELD_CHECKS.get(name, _text)(raw)


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
    why: str,
    name: str = "",
    label_score: float = 100.0,
) -> FieldValue:
    """Build a FieldValue with a calibrated confidence, flagged when unsure or invalid.

    The confidence is the calibrated probability that the value is right, from the OCR
    word confidences, the validator, the lexicon, the reference data and the label
    match (pipeline.extract.calibration). An invalid or empty value is never auto-accepted.
    """
    sig, notes = signals(name, check.value, words, valid=check.ok, label_score=label_score)
    sig["fixed"] = 1.0 if check.fixed else 0.0
    conf = calibration().probability(sig)
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


@cache
def calibration() -> Calibration:
    """The packaged calibration (fitted by ``sohoa bench --calibrate``)."""
    return load_calibration()


#: One value per kind of reference data the validators and signals consult.
_WARM_UP_VALUES = {
    "noi_sinh": "Trạm y tế xã Quỳnh Lâm, huyện Quỳnh Lưu, tỉnh Nghệ An",
    "dan_toc": "Kinh",
    "quoc_tich": "Việt Nam",
    "ho_ten": "Nguyễn Văn An",
    "ngay_sinh": "15/03/1990",
    "nam_sinh_me": "1965",
}


def warm_up() -> None:
    """Load the reference data (gazetteer, ethnic groups, names, lexicon, calibration) now.

    A long-lived worker pays this once at start rather than on its first page (~0.5 s).
    """
    for name, raw in _WARM_UP_VALUES.items():
        words = [
            OcrWord(text=t, conf=0.9, bbox=(10 * i, 0, 9, 10)) for i, t in enumerate(raw.split())
        ]
        make_field(raw, words, check_field(name, raw), threshold=0.99, why="warm-up", name=name)


def missing_field(why: str = "không tìm thấy nhãn trên trang") -> FieldValue:
    """A field the page did not yield: empty, zero confidence, for review."""
    return FieldValue(value=None, raw="", confidence=0.0, needs_review=True, provenance=[why])


#: Fields whose value may wrap onto the next line.
_CONTINUABLE = {
    "noi_sinh",
    "que_quan",
    "noi_cu_tru_me",
    "noi_cu_tru_cha",
    "noi_dang_ky",
    "ngay_sinh_chu",
}


def _segments_by_field(page: OcrPage) -> dict[str, Segment]:
    from pipeline.extract.forms import BIRTH, read_segments  # forms build on this module

    return read_segments(page, BIRTH)


def extract_birth(page: OcrPage, *, threshold: float) -> Record:
    """Map a birth extract ("label: value" form) onto the birth schema."""
    segs = _segments_by_field(page)
    fields: dict[str, FieldValue] = {}
    for name in BIRTH_FIELDS:
        seg = segs.get(name)
        if seg is None:
            fields[name] = missing_field()
            continue
        check = _BIRTH_CHECKS.get(name, _text)(seg.raw)
        why = f"nhãn {seg.hit.spec.key} (khớp {seg.hit.score:.0f}%)"
        fields[name] = make_field(
            seg.raw,
            seg.words,
            check,
            threshold=threshold,
            why=why,
            name=name,
            label_score=seg.hit.score,
        )
    agree(
        fields,
        probability=calibration().probability,
        threshold=threshold,
        declarant="nguoi_di_khai",
        parents=("ho_ten_cha", "ho_ten_me"),
        same_places=(("noi_cu_tru_me", "noi_cu_tru_cha"),),
    )
    _cross_check_birth(fields, segs.get("ngay_sinh_chu"), threshold)
    return Record(schema="khai_sinh", fields=fields)


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


def _cross_check_birth(
    fields: dict[str, FieldValue], words_seg: Segment | None, threshold: float
) -> None:
    birth = fields["ngay_sinh"].value
    if words_seg is not None and birth:
        in_words = parsers.parse_date(words_seg.raw)
        if in_words is not None and in_words.isoformat() != birth:
            fields["ngay_sinh"] = flag_field(fields["ngay_sinh"], "khác ngày ghi bằng chữ")
        elif in_words is not None:
            fields["ngay_sinh"] = confirm(
                fields["ngay_sinh"],
                "khớp ngày ghi bằng chữ",
                probability=calibration().probability,
                threshold=threshold,
            )
    reg = fields["ngay_dang_ky"].value
    if birth and reg and reg < birth:
        fields["ngay_dang_ky"] = flag_field(fields["ngay_dang_ky"], "ngày đăng ký trước ngày sinh")
    check_registration_delay(fields)
    for parent in ("me", "cha"):
        year = fields[f"nam_sinh_{parent}"].value
        if birth and year and not (10 <= int(birth[:4]) - int(year) <= 70):
            fields[f"nam_sinh_{parent}"] = flag_field(
                fields[f"nam_sinh_{parent}"], "tuổi cha/mẹ không hợp lý"
            )


_DOC_TYPES = (
    "QUYẾT ĐỊNH",
    "GIẤY PHÉP",
    "GIẤY CHỨNG NHẬN",
    "THÔNG BÁO",
    "CÔNG VĂN",
    "CHỈ THỊ",
    "KẾ HOẠCH",
    "BÁO CÁO",
    "TỜ TRÌNH",
    "NGHỊ QUYẾT",
    "GIẤY XÁC NHẬN",
)
_NATIONAL = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
_NUMBER_LINE = re.compile(r"^\s*S[ốốôo]\s*[:;.]?\s*\d", re.IGNORECASE)
_PLACE_DATE = re.compile(r"^(?P<place>[^,]{2,40}),\s*ngày\s+\d", re.IGNORECASE)
_NUMBER_LEAD = re.compile(r"^\s*S[ốốôo]\s*[:;.]?\s*\d+\s*/\s*\S*\s+", re.IGNORECASE)


def _is_doc_type(text: str) -> bool:
    return fold(text) in {fold(t) for t in _DOC_TYPES}


def _is_national(text: str) -> bool:
    f = fold(text)
    return any(n in f or f in n for n in _NATIONAL if len(f) > 6)


Found = dict[str, tuple[str, Checked, tuple[OcrWord, ...]]]


def extract_tthc(page: OcrPage, *, threshold: float) -> Record:
    """Map a TTHC result (Decree 30/2020 layout) onto the TTHC schema."""
    found: Found = {}
    lines = column_lines(page.lines)
    title_idx = None
    for i, line in enumerate(lines):
        text, words = line.text.strip(), tuple(line.words)
        if "so_ky_hieu" not in found and _NUMBER_LINE.match(text):
            v = parsers.parse_so_ky_hieu(text)
            if v:
                found["so_ky_hieu"] = (text, Checked(v, True), words)
        m = _PLACE_DATE.match(text)
        if m and "ngay_ban_hanh" not in found:
            found["ngay_ban_hanh"] = (text, _date(text), words)
            place = m["place"]
            # the number block read on the same line ("Số: 58/QĐ-STP Lào Cai, ngày …")
            lead = _NUMBER_LEAD.match(place)
            skip = len(lead[0].split()) if lead else 0
            place = " ".join(place.split()[skip:])
            if place:
                n_place = len(place.split())
                found["dia_danh"] = (place, _place(place), words[skip : skip + n_place])
        if title_idx is None and _is_doc_type(text):
            title_idx = i
            found["loai_van_ban"] = (text, Checked(text.capitalize(), True), words)
    _tthc_header(lines, page, found)
    if title_idx is not None:
        _tthc_summary(lines[title_idx + 1 : title_idx + 5], found)
    _tthc_signer(lines[-6:], found)
    fields = {}
    for name in TTHC_FIELDS:
        if name in found:
            raw, check, words = found[name]
            fields[name] = make_field(
                raw, words, check, threshold=threshold, why="bố cục NĐ 30/2020", name=name
            )
        else:
            fields[name] = missing_field()
    return Record(schema="tthc", fields=fields)


def _tthc_header(lines: list[OcrLine], page: OcrPage, found: Found) -> None:
    """Issuing bodies: upper-case lines on the left, above the number / title."""
    stop = next(
        (i for i, ln in enumerate(lines) if _NUMBER_LINE.match(ln.text) or _is_doc_type(ln.text)),
        len(lines),
    )
    heads = [
        ln
        for ln in lines[:stop]
        if ln.bbox[1] < page.height * 0.3
        and ln.bbox[0] < page.width * 0.45
        and ln.text.isupper()
        and not _is_national(ln.text)
    ]
    if len(heads) >= 2:
        found["co_quan_chu_quan"] = (heads[0].text, _text(heads[0].text), tuple(heads[0].words))
        found["co_quan_ban_hanh"] = (heads[1].text, _text(heads[1].text), tuple(heads[1].words))
    elif heads:
        found["co_quan_ban_hanh"] = (heads[0].text, _text(heads[0].text), tuple(heads[0].words))


def _tthc_summary(after_title: list[OcrLine], found: Found) -> None:
    parts: list[str] = []
    words: list[OcrWord] = []
    for line in after_title:
        f = fold(line.text)
        if parts and (f.startswith("can cu") or line.text.isupper()):
            break
        if not parts and not f.startswith("ve "):
            continue
        parts.append(line.text.strip())
        words.extend(line.words)
    if parts:
        raw = " ".join(parts)
        found["trich_yeu"] = (raw, _text(raw), tuple(words))


def _tthc_signer(tail: list[OcrLine], found: Found) -> None:
    for line in reversed(tail):
        text = line.text.strip()
        check = _name(text)
        if check.ok and not text.isupper() and len(text.split()) <= 5:
            found["nguoi_ky"] = (text, check, tuple(line.words))
            return


def detect_kind(page: OcrPage, *, hint: str | None = None, ruled_lines: int = 0) -> str:
    """Tell which kind of document a page is, from its text and ruling."""
    raw_head = " ".join(line.text for line in page.lines[:12])
    head = fold(raw_head)
    if ruled_lines >= 8:
        return KIND_REGISTER if hint in (None, "khai_sinh") else f"so_{hint}"
    titled = _title_kind([fold(line.text) for line in page.lines[:12]])
    if titled:
        return titled
    if any(fold(t) in head for t in _DOC_TYPES) and re.search(r"\d+\s*/\s*[A-ZĐ]", raw_head):
        return KIND_TTHC
    if hint == "tthc":
        return KIND_TTHC
    for kind, words in (
        (KIND_BIRTH, "khai sinh"),
        (KIND_MARRIAGE, "ket hon"),
        (KIND_DEATH, "khai tu"),
    ):
        if hint == kind and words in head:
            return kind
    return _label_kind(fold(page.text)) or KIND_UNKNOWN


#: Titles of the civil-status papers (folded), old and new wordings.
_TITLES = (
    (KIND_BIRTH, ("trich luc khai sinh", "giay khai sinh", "ban sao giay khai sinh")),
    (
        KIND_MARRIAGE,
        ("trich luc ket hon", "giay chung nhan ket hon", "ban sao giay chung nhan ket hon"),
    ),
    (KIND_DEATH, ("trich luc khai tu", "giay chung tu", "ban sao giay chung tu")),
)


def _title_kind(lines: Sequence[str]) -> str | None:
    """The kind named by a title line, tolerating OCR slips ("TRÍCH LỤC KHAIT SINH")."""
    best, best_score = None, 0.0
    for line in lines:
        if len(line) < 8:
            continue
        for kind, titles in _TITLES:
            for title in titles:
                score = fuzz.partial_ratio(title, line) if len(line) >= len(title) else 0.0
                if score > best_score:
                    best, best_score = kind, score
    return best if best_score >= 88 else None


#: Labels only one kind of paper carries (folded), for pages whose title is unreadable.
_KIND_LABELS = (
    (KIND_BIRTH, ("ten nguoi me", "ten nguoi cha", "que quan", "nguoi di khai sinh", "noi sinh")),
    (KIND_DEATH, ("da chet vao luc", "noi chet", "nguyen nhan chet", "nguoi di khai tu")),
    (KIND_MARRIAGE, ("ten chong", "ten vo", "ngay dang ky ket hon")),
)


def _label_kind(text: str) -> str | None:
    """The kind whose own labels the page carries (at least three, and more than any other)."""
    votes = sorted(
        ((sum(label in text for label in labels), kind) for kind, labels in _KIND_LABELS),
        reverse=True,
    )
    (top, kind), (second, _) = votes[0], votes[1]
    return kind if top >= 3 and top > second else None


@dataclass(frozen=True)
class PageExtract:
    """What extraction made of a page.

    Attributes:
        records: the records (one for an extract, one per entry of a register page).
        lines: the page text re-ordered for reading (register pages with a table), else None.
        layout_found: False when the page's layout could not be read (no table found on a
            register page, or a kind without an extractor).
        steps: provenance of the layout step (table rows and columns, header matching).
    """

    records: list[Record]
    lines: list[OcrLine] | None = None
    layout_found: bool = True
    steps: tuple[dict[str, object], ...] = ()


def extract_page(
    kind: str,
    page: OcrPage,
    *,
    threshold: float,
    gray: np.ndarray | None = None,
    book_type: str | None = None,
) -> PageExtract:
    """Extract a page of the given kind.

    Args:
        kind: from :func:`detect_kind`.
        page: the OCR of the page.
        threshold: fields below this confidence go to review.
        gray: the cleaned, deskewed page the OCR read (same pixels as the word boxes);
            register pages need it to find their table.
        book_type: the register's book type; by default taken from ``kind``
            ("so_ket_hon" → "ket_hon").
    """
    if kind == KIND_BIRTH:
        return PageExtract([extract_birth(page, threshold=threshold)])
    if kind == KIND_TTHC:
        return PageExtract([extract_tthc(page, threshold=threshold)])
    if kind in (KIND_MARRIAGE, KIND_DEATH):
        from pipeline.extract.forms import (  # forms build on this module
            extract_death,
            extract_marriage,
        )

        read = extract_marriage if kind == KIND_MARRIAGE else extract_death
        return PageExtract([read(page, threshold=threshold)])
    book = book_type or REGISTER_KINDS.get(kind)
    if kind not in REGISTER_KINDS or gray is None or book is None:
        return PageExtract([], layout_found=False)
    from pipeline.extract.tables import extract_register  # tables builds on this module

    reg = extract_register(page, gray, book_type=book, threshold=threshold)
    if reg.grid is None:
        return PageExtract([], layout_found=False, steps=({"step": "table", "found": False},))
    step = {
        "step": "table",
        "found": True,
        "rows": reg.rows_found,
        "cols": len(reg.grid.cols),
        "header_rows": reg.header.rows if reg.header else 0,
        "header": "fallback" if reg.header and reg.header.fallback else "matched",
        "columns": dict(sorted(reg.header.columns.items())) if reg.header else {},
        "records": len(reg.records),
    }
    return PageExtract(reg.records, reg.lines, True, (step,))


def extract_records(
    kind: str,
    page: OcrPage,
    *,
    threshold: float,
    gray: np.ndarray | None = None,
    book_type: str | None = None,
) -> list[Record]:
    """Records of a page of the given kind (register pages need ``gray``: see extract_page)."""
    return extract_page(kind, page, threshold=threshold, gray=gray, book_type=book_type).records


def formation_year(record: Record) -> int | None:
    """Year the record was formed: registration date (civil status) or issue date (TTHC)."""
    key = "ngay_ban_hanh" if record.schema_name == "tthc" else "ngay_dang_ky"
    field = record.fields.get(key)
    if field is None or not field.value:
        return None
    return int(field.value[:4])
