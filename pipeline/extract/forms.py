"""Label-anchored forms: birth, marriage and death extracts.

A form is read line by line: printed labels are found with fuzzy matching, the words
up to the next label are the value, section headings ("Thông tin người chồng") or
section-opening labels ("Họ, chữ đệm, tên người mẹ") decide which field a repeated
sub-label (Dân tộc, Quốc tịch, Nơi cư trú…) fills, and a value that runs to the right
margin continues on the next unlabelled line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from pipeline.extract import parsers
from pipeline.extract.agreement import agree, confirm
from pipeline.extract.calibration import Calibration
from pipeline.extract.entry_extras import DECLARANT_LABELS, form_extras
from pipeline.extract.fields import (
    BIRTH_CHECKS,
    FIELD_CHECKS,
    Checked,
    check_registration_delay,
    check_text,
    flag_field,
    make_field,
    missing_field,
)
from pipeline.extract.labels import LabelSpec, Segment, column_lines, split_line
from schemas.models import (
    BIRTH_FIELDS,
    DEATH_FIELDS,
    MARRIAGE_FIELDS,
    FieldValue,
    OcrLine,
    OcrPage,
    Record,
)

Check = Callable[[str], Checked]


@dataclass(frozen=True)
class FormSpec:
    """How to read one kind of form."""

    schema: str
    fields: tuple[str, ...]
    labels: tuple[LabelSpec, ...]
    scoped: dict[tuple[str, str], str]
    checks: dict[str, Check]
    continuable: frozenset[str]
    first_section: str = "con"
    splits: dict[str, Callable[[str], dict[str, str | None]]] = field(default_factory=dict)


def _wraps(line: OcrLine, right_edge: int) -> bool:
    return line.bbox[0] + line.bbox[2] >= 0.85 * right_edge


def _continues(line: OcrLine) -> bool:
    text = line.text.strip()
    return bool(text) and not text.startswith("(") and not text.isupper()


def read_segments(page: OcrPage, spec: FormSpec) -> dict[str, Segment]:
    """Label → value segments of a form page, with sections and wrapped values resolved."""
    section = spec.first_section
    found: dict[str, Segment] = {}
    lines = column_lines(page.lines)
    right = max((ln.bbox[0] + ln.bbox[2] for ln in lines), default=0)
    last: str | None = None
    prev: OcrLine | None = None
    for line in lines:
        segs = split_line(line, spec.labels)
        if (
            not segs
            and last in spec.continuable
            and prev is not None
            and _wraps(prev, right)
            and _continues(line)
        ):
            found[last] = Segment(found[last].hit, found[last].words + tuple(line.words))
            prev = line
            continue
        last = None
        for seg in segs:
            key_spec = seg.hit.spec
            section = key_spec.starts_section or section
            key = (
                spec.scoped.get((key_spec.key, section))
                if key_spec.key.startswith("@")
                else key_spec.key
            )
            if key and not key.startswith("#") and key not in found:
                found[key] = seg
                last = key
        prev = line
    return found


def extract_form(
    page: OcrPage, spec: FormSpec, *, threshold: float, calibration: Calibration
) -> Record:
    """Read a form page into a record of ``spec.schema``."""
    segs = read_segments(page, spec)
    fields: dict[str, FieldValue] = {}
    for key, splitter in spec.splits.items():
        seg = segs.get(key)
        if seg is None:
            continue
        for name, value in splitter(seg.raw).items():
            check = Checked(value, value is not None, "" if value else "không tách được")
            fields[name] = make_field(
                seg.raw,
                seg.words,
                check,
                threshold=threshold,
                calibration=calibration,
                why=f"nhãn {key} (khớp {seg.hit.score:.0f}%)",
                name=name,
                label_score=seg.hit.score,
            )
    for name in spec.fields:
        if name in fields:
            continue
        seg = segs.get(name)
        if seg is None:
            fields[name] = missing_field()
            continue
        check = spec.checks.get(name, check_text)(seg.raw)
        fields[name] = make_field(
            seg.raw,
            seg.words,
            check,
            threshold=threshold,
            calibration=calibration,
            why=f"nhãn {seg.hit.spec.key} (khớp {seg.hit.score:.0f}%)",
            name=name,
            label_score=seg.hit.score,
        )
    fields |= form_extras(spec.schema, page, segs, fields, (threshold, calibration))
    return Record(schema=spec.schema, fields=fields)


_TIME = re.compile(r"(\d{1,2})\s*(?:giờ|h|g)\s*(\d{1,2})?\s*(?:phút)?", re.IGNORECASE)


def split_death_time(raw: str) -> dict[str, str | None]:
    """Split "08 giờ 15 phút, ngày 28/08/1998" into gio_chet "08:15", ngay_chet "1998-08-28"."""
    m = _TIME.search(raw)
    hour = None
    if m and int(m[1]) < 24 and int(m[2] or 0) < 60 and not _garbled_minutes(raw, m):
        hour = f"{int(m[1]):02d}:{int(m[2] or 0):02d}"
    rest = raw[m.end() :] if m else raw
    day = parsers.parse_date(rest)
    return {"gio_chet": hour, "ngay_chet": day.isoformat() if day else None}


def _garbled_minutes(raw: str, m: re.Match[str]) -> bool:
    """Is the minutes part misread ("22 giờ 4ð phút")? Then the time is left to the clerk.

    A stray letter after the minute digits, or where they should be, would otherwise be
    dropped and "4ð" read as 04.
    """
    after = raw[m.end(2) if m[2] else m.end() :].lstrip()
    if not after or not after[0].isalnum():
        return False
    word = after.split(maxsplit=1)[0].lower()
    return not (word.startswith("phút") or (not m[2] and word.startswith("ngày")))


_NAMES = ("Họ, chữ đệm, tên", "Họ, chữ đệm và tên", "Họ và tên", "Họ tên")
_BIRTH_DATE = ("Ngày, tháng, năm sinh", "Ngày sinh", "Sinh ngày")
_REG_DATE = ("Ngày, tháng, năm đăng ký", "Ngày đăng ký", "Đăng ký ngày")
_PID = ("Số định danh cá nhân", "Số ĐDCN", "Số định danh")
_COMMON = (
    LabelSpec("so", ("Số",)),
    LabelSpec("quyen_so", ("Quyển số",)),
    LabelSpec("@dan_toc", ("Dân tộc",)),
    LabelSpec("@quoc_tich", ("Quốc tịch",)),
)

BIRTH_LABELS: tuple[LabelSpec, ...] = (
    LabelSpec("so", ("Số",)),
    LabelSpec("quyen_so", ("Quyển số",)),
    LabelSpec(
        "ho_ten",
        ("Họ, chữ đệm, tên", "Họ, chữ đệm và tên", "Họ và tên", "Họ tên"),
        starts_section="con",
    ),
    LabelSpec("@ngay_sinh", ("Ngày, tháng, năm sinh", "Sinh ngày", "Ngày sinh")),
    LabelSpec("ngay_sinh_bang_chu", ("ghi bằng chữ", "Bằng chữ")),
    LabelSpec("gioi_tinh", ("Giới tính",)),
    LabelSpec("@dan_toc", ("Dân tộc",)),
    LabelSpec("@quoc_tich", ("Quốc tịch",)),
    LabelSpec("@nam_sinh", ("Năm sinh",)),
    LabelSpec("noi_sinh", ("Nơi sinh",)),
    LabelSpec("que_quan", ("Quê quán",)),
    LabelSpec("so_dinh_danh", ("Số định danh cá nhân", "Số ĐDCN", "Số định danh")),
    LabelSpec("@noi_cu_tru", ("Nơi cư trú", "Nơi thường trú", "Nơi tạm trú", "Trú quán")),
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
    *DECLARANT_LABELS,
)

BIRTH_SCOPED = {
    ("@ngay_sinh", "con"): "ngay_sinh",
    ("@ngay_sinh", "me"): "ngay_sinh_me",
    ("@ngay_sinh", "cha"): "ngay_sinh_cha",
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

#: Fields whose value may wrap onto the next line.
BIRTH_CONTINUABLE = {
    "noi_sinh",
    "que_quan",
    "noi_cu_tru_me",
    "noi_cu_tru_cha",
    "noi_dang_ky",
    "ngay_sinh_bang_chu",
    "giay_to_nguoi_di_khai",
}

BIRTH = FormSpec(
    schema="khai_sinh",
    fields=BIRTH_FIELDS,
    labels=BIRTH_LABELS,
    scoped=BIRTH_SCOPED,
    checks=FIELD_CHECKS,
    continuable=frozenset(BIRTH_CONTINUABLE),
)

MARRIAGE = FormSpec(
    schema="ket_hon",
    fields=MARRIAGE_FIELDS,
    labels=(
        *_COMMON,
        LabelSpec(
            "#chong", ("Thông tin người chồng", "Bên chồng", "Người chồng"), starts_section="chong"
        ),
        LabelSpec("#vo", ("Thông tin người vợ", "Bên vợ", "Người vợ"), starts_section="vo"),
        LabelSpec(
            "ho_ten_chong",
            ("Họ và tên chồng", "Họ tên chồng", "Họ, chữ đệm, tên người chồng"),
            starts_section="chong",
        ),
        LabelSpec(
            "ho_ten_vo",
            ("Họ và tên vợ", "Họ tên vợ", "Họ, chữ đệm, tên người vợ"),
            starts_section="vo",
        ),
        LabelSpec("@ho_ten", _NAMES),
        LabelSpec("@ngay_sinh", _BIRTH_DATE),
        LabelSpec("@noi_cu_tru", ("Nơi cư trú", "Nơi thường trú", "Nơi tạm trú", "Trú quán")),
        LabelSpec("@so_dinh_danh", _PID),
        LabelSpec("noi_dang_ky", ("Nơi đăng ký kết hôn", "Nơi đăng ký"), starts_section="khac"),
        LabelSpec("ngay_dang_ky", _REG_DATE, starts_section="khac"),
    ),
    scoped={
        (f"@{k}", s): f"{k}_{s}"
        for k in ("ho_ten", "ngay_sinh", "dan_toc", "quoc_tich", "noi_cu_tru", "so_dinh_danh")
        for s in ("chong", "vo")
    },
    checks=FIELD_CHECKS,
    continuable=frozenset({"noi_cu_tru_chong", "noi_cu_tru_vo", "noi_dang_ky"}),
    first_section="chong",
)

DEATH = FormSpec(
    schema="khai_tu",
    fields=DEATH_FIELDS,
    labels=(
        *_COMMON,
        LabelSpec("ho_ten", (*_NAMES, "Họ tên người chết", "Họ và tên người chết")),
        LabelSpec("ngay_sinh", _BIRTH_DATE),
        LabelSpec("gioi_tinh", ("Giới tính",)),
        LabelSpec("so_dinh_danh", _PID),
        LabelSpec(
            "noi_cu_tru",
            (
                "Nơi cư trú cuối cùng",
                "Nơi thường trú cuối cùng",
                "Nơi tạm trú cuối cùng",
                "Nơi cư trú",
            ),
        ),
        LabelSpec("chet_luc", ("Đã chết vào lúc", "Chết vào lúc", "Thời điểm chết")),
        LabelSpec("ngay_chet", ("Ngày chết", "Chết ngày", "Ngày, tháng, năm chết")),
        LabelSpec("gio_chet", ("Giờ chết",)),
        LabelSpec("noi_chet", ("Nơi chết",)),
        LabelSpec("nguyen_nhan_chet", ("Nguyên nhân chết",)),
        *DECLARANT_LABELS,
        LabelSpec(
            "nguoi_di_khai",
            (
                "Họ, chữ đệm, tên người đi khai tử",
                "Người đi khai tử",
                "Họ và tên người đi khai tử",
                "Họ tên người đi khai",
            ),
            starts_section="khac",
        ),
        LabelSpec("noi_dang_ky", ("Nơi đăng ký khai tử", "Nơi đăng ký"), starts_section="khac"),
        LabelSpec("ngay_dang_ky", _REG_DATE, starts_section="khac"),
    ),
    scoped={("@dan_toc", "con"): "dan_toc", ("@quoc_tich", "con"): "quoc_tich"},
    checks=FIELD_CHECKS,
    continuable=frozenset(
        {"noi_cu_tru", "noi_chet", "noi_dang_ky", "nguyen_nhan_chet", "giay_to_nguoi_di_khai"}
    ),
    splits={"chet_luc": split_death_time},
)


def cross_check_death(fields: dict[str, FieldValue]) -> None:
    """Death after birth, registration not before death."""
    birth, death, reg = (fields[k].value for k in ("ngay_sinh", "ngay_chet", "ngay_dang_ky"))
    if birth and death and death < birth:
        fields["ngay_chet"] = flag_field(fields["ngay_chet"], "ngày chết trước ngày sinh")
    if death and reg and reg < death:
        fields["ngay_dang_ky"] = flag_field(fields["ngay_dang_ky"], "ngày đăng ký trước ngày chết")
    check_registration_delay(fields)


def cross_check_marriage(fields: dict[str, FieldValue]) -> None:
    """Both spouses of marriageable age at registration (18 for women, 20 for men since 2015)."""
    reg = fields["ngay_dang_ky"].value
    for who, min_age in (("chong", 20), ("vo", 18)):
        born = fields[f"ngay_sinh_{who}"].value
        if reg and born and int(reg[:4]) - int(born[:4]) < min_age:
            key = f"ngay_sinh_{who}"
            fields[key] = flag_field(fields[key], "chưa đủ tuổi kết hôn khi đăng ký")


def extract_marriage(page: OcrPage, *, threshold: float, calibration: Calibration) -> Record:
    """Read a Trích lục kết hôn."""
    rec = extract_form(page, MARRIAGE, threshold=threshold, calibration=calibration)
    agree(
        rec.fields,
        probability=calibration.probability,
        threshold=threshold,
        person=(
            ("so_dinh_danh_chong", "=Nam", "ngay_sinh_chong"),
            ("so_dinh_danh_vo", "=Nữ", "ngay_sinh_vo"),
        ),
        same_places=(("noi_cu_tru_chong", "noi_cu_tru_vo"),),
    )
    cross_check_marriage(rec.fields)
    return rec


def extract_death(page: OcrPage, *, threshold: float, calibration: Calibration) -> Record:
    """Read a Trích lục khai tử."""
    rec = extract_form(page, DEATH, threshold=threshold, calibration=calibration)
    agree(rec.fields, probability=calibration.probability, threshold=threshold)
    cross_check_death(rec.fields)
    return rec


#: Fields some forms do not print (the date in words is on most birth extracts, not all): not
#: found, they stay empty without asking a clerk (the date itself is always read and checked).
OPTIONAL_FIELDS = frozenset({"ngay_sinh_bang_chu"})
_NOT_ON = "không thấy trên trang (mẫu này có thể không in)"


def extract_birth(page: OcrPage, *, threshold: float, calibration: Calibration) -> Record:
    """Map a birth extract ("label: value" form) onto the birth schema."""
    segs = read_segments(page, BIRTH)
    fields: dict[str, FieldValue] = {}
    for name in BIRTH_FIELDS:
        seg = segs.get(name)
        if seg is None and name in OPTIONAL_FIELDS:
            fields[name] = FieldValue(value=None, raw="", needs_review=False, provenance=[_NOT_ON])
            continue
        if seg is None:
            fields[name] = missing_field()
            continue
        check = BIRTH_CHECKS.get(name, check_text)(seg.raw)
        why = f"nhãn {seg.hit.spec.key} (khớp {seg.hit.score:.0f}%)"
        fields[name] = make_field(
            seg.raw,
            seg.words,
            check,
            threshold=threshold,
            calibration=calibration,
            why=why,
            name=name,
            label_score=seg.hit.score,
        )
    agree(
        fields,
        probability=calibration.probability,
        threshold=threshold,
        declarant="nguoi_di_khai",
        parents=("ho_ten_cha", "ho_ten_me"),
        same_places=(("noi_cu_tru_me", "noi_cu_tru_cha"),),
    )
    _cross_check_birth(fields, segs.get("ngay_sinh_bang_chu"), threshold, calibration)
    fields |= form_extras("khai_sinh", page, segs, fields, (threshold, calibration))
    return Record(schema="khai_sinh", fields=fields)


def _cross_check_birth(
    fields: dict[str, FieldValue],
    words_seg: Segment | None,
    threshold: float,
    calibration: Calibration,
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
                probability=calibration.probability,
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
