"""Label-anchored forms: marriage and death extracts (birth extracts share the machinery).

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

from pipeline.extract.agreement import agree
from pipeline.extract.kinds import _CONTINUABLE as BIRTH_CONTINUABLE
from pipeline.extract.kinds import _SCOPED as BIRTH_SCOPED
from pipeline.extract.kinds import (
    BIRTH_LABELS,
    FIELD_CHECKS,
    Checked,
    _text,
    calibration,
    check_registration_delay,
    flag_field,
    make_field,
    missing_field,
    parsers,
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


def extract_form(page: OcrPage, spec: FormSpec, *, threshold: float) -> Record:
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
        check = spec.checks.get(name, _text)(seg.raw)
        fields[name] = make_field(
            seg.raw,
            seg.words,
            check,
            threshold=threshold,
            why=f"nhãn {seg.hit.spec.key} (khớp {seg.hit.score:.0f}%)",
            name=name,
            label_score=seg.hit.score,
        )
    return Record(schema=spec.schema, fields=fields)


_TIME = re.compile(r"(\d{1,2})\s*(?:giờ|h|g)\s*(\d{1,2})?\s*(?:phút)?", re.IGNORECASE)


def split_death_time(raw: str) -> dict[str, str | None]:
    """Split "08 giờ 15 phút, ngày 28/08/1998" into gio_chet "08:15", ngay_chet "1998-08-28"."""
    m = _TIME.search(raw)
    hour = None
    if m and int(m[1]) < 24 and int(m[2] or 0) < 60:
        hour = f"{int(m[1]):02d}:{int(m[2] or 0):02d}"
    rest = raw[m.end() :] if m else raw
    day = parsers.parse_date(rest)
    return {"gio_chet": hour, "ngay_chet": day.isoformat() if day else None}


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
        LabelSpec("@noi_cu_tru", ("Nơi cư trú", "Nơi thường trú", "Trú quán")),
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
        LabelSpec("noi_cu_tru", ("Nơi cư trú cuối cùng", "Nơi thường trú cuối cùng", "Nơi cư trú")),
        LabelSpec("chet_luc", ("Đã chết vào lúc", "Chết vào lúc", "Thời điểm chết")),
        LabelSpec("ngay_chet", ("Ngày chết", "Chết ngày", "Ngày, tháng, năm chết")),
        LabelSpec("gio_chet", ("Giờ chết",)),
        LabelSpec("noi_chet", ("Nơi chết",)),
        LabelSpec("nguyen_nhan_chet", ("Nguyên nhân chết",)),
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
    continuable=frozenset({"noi_cu_tru", "noi_chet", "noi_dang_ky", "nguyen_nhan_chet"}),
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


def extract_marriage(page: OcrPage, *, threshold: float) -> Record:
    """Read a Trích lục kết hôn."""
    rec = extract_form(page, MARRIAGE, threshold=threshold)
    agree(
        rec.fields,
        probability=calibration().probability,
        threshold=threshold,
        person=(
            ("so_dinh_danh_chong", "=Nam", "ngay_sinh_chong"),
            ("so_dinh_danh_vo", "=Nữ", "ngay_sinh_vo"),
        ),
        same_places=(("noi_cu_tru_chong", "noi_cu_tru_vo"),),
    )
    cross_check_marriage(rec.fields)
    return rec


def extract_death(page: OcrPage, *, threshold: float) -> Record:
    """Read a Trích lục khai tử."""
    rec = extract_form(page, DEATH, threshold=threshold)
    agree(rec.fields, probability=calibration().probability, threshold=threshold)
    cross_check_death(rec.fields)
    return rec
