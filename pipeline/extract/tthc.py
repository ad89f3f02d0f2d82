"""TTHC decisions (Decree 30/2020 layout): number, date, place, issuing bodies, summary, signer."""

from __future__ import annotations

import re

from pipeline.extract import parsers
from pipeline.extract.calibration import Calibration
from pipeline.extract.fields import (
    Checked,
    check_date,
    check_name,
    check_place,
    check_text,
    flag_field,
    make_field,
    missing_field,
)
from pipeline.extract.labels import column_lines, fold
from schemas.models import TTHC_FIELDS, OcrLine, OcrPage, OcrWord, Record

#: Titles of the document types a TTHC decision may carry.
DOC_TYPES = (
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


#: The văn thư numbers and dates a document when it is issued, after it is signed, and offices
#: very often write the number and the day by hand into the typed line ("Số: 1535 /SGDĐT…",
#: "ngày 31 tháng 5"). Tesseract reads such digits as confident typed ones ("4635"), so until
#: handwriting is told from type (issue 17) neither field is auto-accepted on that reading.
FILLED_IN_BY_HAND = ("so_ky_hieu", "ngay_ban_hanh")
FILLED_IN_NOTE = (
    "số và ngày văn bản thường được văn thư viết tay sau khi ký: đối chiếu với ảnh trang"
)


def is_doc_type(text: str) -> bool:
    """True when ``text`` is the title of a document type (folded comparison)."""
    return fold(text) in {fold(t) for t in DOC_TYPES}


def _is_national(text: str) -> bool:
    f = fold(text)
    return any(n in f or f in n for n in _NATIONAL if len(f) > 6)


Found = dict[str, tuple[str, Checked, tuple[OcrWord, ...]]]


def extract_tthc(page: OcrPage, *, threshold: float, calibration: Calibration) -> Record:
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
            found["ngay_ban_hanh"] = (text, check_date(text), words)
            place = m["place"]
            # the number block read on the same line ("Số: 58/QĐ-STP Lào Cai, ngày …")
            lead = _NUMBER_LEAD.match(place)
            skip = len(lead[0].split()) if lead else 0
            place = " ".join(place.split()[skip:])
            if place:
                n_place = len(place.split())
                found["dia_danh"] = (place, check_place(place), words[skip : skip + n_place])
        if title_idx is None and is_doc_type(text):
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
                raw,
                words,
                check,
                threshold=threshold,
                calibration=calibration,
                why="bố cục NĐ 30/2020",
                name=name,
            )
        else:
            fields[name] = missing_field()
    for name in FILLED_IN_BY_HAND:
        if fields[name].value is not None and not fields[name].needs_review:
            fields[name] = flag_field(fields[name], FILLED_IN_NOTE)
    return Record(schema="tthc", fields=fields)


def _tthc_header(lines: list[OcrLine], page: OcrPage, found: Found) -> None:
    """Issuing bodies: upper-case lines on the left, above the number / title."""
    stop = next(
        (i for i, ln in enumerate(lines) if _NUMBER_LINE.match(ln.text) or is_doc_type(ln.text)),
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
        found["co_quan_chu_quan"] = _as_text(heads[0])
        found["co_quan_ban_hanh"] = _as_text(heads[1])
    elif heads:
        found["co_quan_ban_hanh"] = _as_text(heads[0])


def _as_text(line: OcrLine) -> tuple[str, Checked, tuple[OcrWord, ...]]:
    return line.text, check_text(line.text), tuple(line.words)


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
        found["trich_yeu"] = (raw, check_text(raw), tuple(words))


def _tthc_signer(tail: list[OcrLine], found: Found) -> None:
    for line in reversed(tail):
        text = line.text.strip()
        check = check_name(text)
        if check.ok and not text.isupper() and len(text.split()) <= 5:
            found["nguoi_ky"] = (text, check, tuple(line.words))
            return
