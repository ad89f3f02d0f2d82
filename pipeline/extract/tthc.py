"""TTHC decisions (Decree 30/2020 layout): number, date, place, issuing bodies, summary, signer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from pipeline.extract import decree30, parsers, signer_block
from pipeline.extract.bodies import match_body, restore_marks
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
from pipeline.extract.respell import is_known_syllable, recipient_item, split_joined
from pipeline.extract.signer_block import TITLE_WORDS
from schemas.models import TTHC_FIELDS, OcrLine, OcrPage, OcrWord, Record

#: Titles of the document types a TTHC result or letter may carry.
DOC_TYPES = decree30.DOC_TYPES
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
    """Map a TTHC result or letter (Decree 30/2020 layouts) onto the TTHC schema.

    The layout reader (:mod:`pipeline.extract.decree30`: issuer blocks, the number line with
    handwritten digits, công văn summaries, the signer block, "Nơi nhận") decides; the
    plain line-by-line reading fills what it did not find. A page may carry only a part
    (a document's last page: the signer); the document's pages are joined later
    (:mod:`pipeline.documents`).
    """
    found = _line_reading(page)
    layout = _layout_reading(page)
    for group in _GROUPS:  # a block the layout reader read is its reading alone
        if any(name in layout for name in group):
            for name in group:
                found.pop(name, None)
    found.update(layout)
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


#: Fields read together from one block of the page.
_GROUPS = (
    ("co_quan_chu_quan", "co_quan_ban_hanh"),
    ("chuc_vu_nguoi_ky", "cap_bac_nguoi_ky", "nguoi_ky"),
)


def _layout_reading(page: OcrPage) -> Found:
    """What the Decree-30 layout reader finds, each value checked."""
    read = {**decree30.read_header(page), **signer_block.read_signer(page)}
    out: Found = {}
    for name, (raw, words) in read.items():
        out[name] = (raw, _check(name, raw), words)
    if "nguoi_ky" in read and "chuc_vu_nguoi_ky" in read:
        raw, check, words = out["nguoi_ky"]
        line = (*read.get("cap_bac_nguoi_ky", ("", ()))[1], *words)  # "Trung tá Ngô Văn Công"
        if check.ok and signer_block.off_centre(line, read["chuc_vu_nguoi_ky"][1]):
            note = "; ".join(n for n in (check.note, OFF_CENTRE_NOTE) if n)
            out["nguoi_ky"] = (raw, replace(check, ok=False, note=note), words)
    return out


OFF_CENTRE_NOTE = (
    "tên không nằm giữa dưới chức vụ: có thể thiếu chữ bị dấu hoặc chữ ký che, đối chiếu với ảnh"
)


def _check(name: str, raw: str) -> Checked:
    if name == "so_ky_hieu":
        return check_number(raw)
    if name == "ngay_ban_hanh":
        return check_issue_date(raw)
    if name == "dia_danh":
        return check_place(raw)
    if name == "nguoi_ky":
        return check_name(raw)
    if name == "chuc_vu_nguoi_ky":
        return check_title(raw)
    if name.startswith("co_quan_"):
        return check_issuer(raw)
    if name == "noi_nhan":
        return check_recipients(raw)
    if name == "trich_yeu":
        return _lowered_tail(_respelled(check_text(raw), split_joined))
    return check_text(raw)


def _lowered_tail(checked: Checked) -> Checked:
    """A summary whose last word was read in capitals ("… Quy chế làm VIỆC") lowered, for review.

    Only a Vietnamese syllable after sentence-case words; an acronym ("UBND") is left.
    """
    if checked.value is None or len(checked.value.split()) < 2:
        return checked
    *head, last = checked.value.split()
    if not (last.isupper() and is_known_syllable(last) and not " ".join(head).isupper()):
        return checked
    note = "; ".join(n for n in (checked.note, f"chữ cuối đọc thành chữ hoa: {last}") if n)
    return Checked(" ".join([*head, last.lower()]), False, note, repaired=True)


def _respelled(checked: Checked, fix: Callable[[str], tuple[str, list[str]]]) -> Checked:
    """A checked text with ``fix`` applied; a change is a repair (shown to a clerk)."""
    if checked.value is None:
        return checked
    text, changed = fix(checked.value)
    if not changed:
        return checked
    notes = "; ".join(n for n in (checked.note, "sửa theo chính tả: " + ", ".join(changed)) if n)
    return Checked(text, checked.ok, notes, repaired=True)


def check_recipients(raw: str) -> Checked:
    """The "Nơi nhận" list ("; "-separated), each item's conventional wording put back."""

    def items(text: str) -> tuple[str, list[str]]:
        fixed = [recipient_item(item.strip()) for item in text.split(";")]
        return "; ".join(t for t, _ in fixed), [c for _, cs in fixed for c in cs]

    return _respelled(check_text(raw), items)


def check_issuer(raw: str) -> Checked:
    """An issuing body's name: a known body's when OCR garbled a word of it (for review)."""
    checked = _respelled(check_text(raw), split_joined)
    known = match_body(checked.value) if checked.value else None
    if known is not None and known != checked.value:
        return Checked(known, False, f"{BODY_NOTE}: “{checked.value}”", repaired=True)
    return check_body(raw)


def check_body(raw: str) -> Checked:
    """An issuer's name, with tone marks OCR lost put back from known body names (a repair)."""
    checked = _respelled(check_text(raw), split_joined)
    if checked.value is None:
        return checked
    text, changed = restore_marks(checked.value)
    if not changed:
        return checked
    marks = "dấu được sửa theo tên cơ quan nhà nước: " + ", ".join(changed)
    note = "; ".join(n for n in (checked.note, marks) if n)
    return Checked(text, True, note, repaired=True)


BODY_NOTE = "tên cơ quan sửa theo danh mục cơ quan nhà nước, trên trang đọc được"
TITLE_NOTE = "không giống chức vụ người ký (thiếu chức danh): đối chiếu với ảnh"


def check_title(raw: str) -> Checked:
    """The signer's title lines: a body's name check, and a title word among them.

    "VÀ" (a seal's letters read alone) is no title: it goes to the clerk whatever the
    reading's confidence.
    """
    checked = check_body(raw)
    if checked.value is None:
        return checked
    words = f" {fold(checked.value)} "
    if len(checked.value.split()) >= 2 and any(f" {t} " in words for t in TITLE_WORDS):
        return checked
    note = "; ".join(n for n in (checked.note, TITLE_NOTE) if n)
    return Checked(checked.value, False, note, repaired=checked.repaired)


def check_number(raw: str) -> Checked:
    """The number and symbol; a number whose digits are unreadable keeps what was read."""
    value = parsers.parse_so_ky_hieu(raw)
    if value:
        return Checked(value, True)
    parts = decree30.number_line(raw)
    if parts and parts[1]:
        return Checked(None, False, f"đọc được ký hiệu “/{parts[1]}”, số chưa đọc được")
    return Checked(None, False, "số, ký hiệu không đọc được")


def check_issue_date(raw: str) -> Checked:
    """The date of issue; when the (handwritten) day is unreadable, what was read is noted."""
    checked = check_date(raw)
    if checked.value is not None:
        return checked
    m = re.search(r"th[áa]ng\s+(\d{1,2})\s+n[ăa]m\s+(\d{4})", raw, re.IGNORECASE)
    if m:
        return Checked(None, False, f"đọc được tháng {int(m[1])} năm {m[2]}, ngày chưa đọc được")
    return checked


def _line_reading(page: OcrPage) -> Found:
    """The plain line-by-line reading (a centred title, then "Về việc …")."""
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
    if not any(decree30.is_recipients_label(ln.text) for ln in lines):
        # with "Nơi nhận:" on the page the layout reader decides; its items are no signer
        _tthc_signer(lines[-6:], found)
    return found


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
    """The signer's name: the last name-like line of the page's end.

    A name with no title line above it is not known to be a signer's (a table of an annex
    lists names and roles, "Lê Minh Hương – Thành viên"): it goes to a clerk.
    """
    for i in range(len(tail) - 1, -1, -1):
        text = tail[i].text.strip()
        check = check_name(text)
        if check.ok and not text.isupper() and len(text.split()) <= 5:
            if not any(_titles_line(ln.text) for ln in tail[:i]):
                note = "; ".join(n for n in (check.note, UNTITLED_NOTE) if n)
                check = replace(check, ok=False, note=note)
            found["nguoi_ky"] = (text, check, tuple(tail[i].words))
            return


UNTITLED_NOTE = "không thấy chức vụ người ký phía trên tên: có thể không phải người ký"


def _titles_line(text: str) -> bool:
    """A signer's title line or prefix ("KT. GIÁM ĐỐC", "PHÓ CHỦ TỊCH")."""
    return text.strip().upper().startswith(decree30.SIGN_PREFIXES) or (
        signer_block.is_title_line(text)
    )
