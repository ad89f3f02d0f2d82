"""What the Ministry's import template asks of a registration beyond the form's main fields.

Issue 19: the civil-status import template (``pipeline/data/exports/hotich.yaml``) has columns
for the book's page (``trang_so``), how the registration was made (``loai_dang_ky``: đúng hạn,
đăng ký lại, quá hạn, ghi chú), the entry's signer (``nguoi_ky``, ``chuc_vu_nguoi_ky``), the
parents' dates of birth and residence type, the declarant's relation and identity paper. Some
pages print them; most do not. Each is read only from words the page prints — a label's own
wording ("Nơi thường trú:" says the residence is permanent), a remark ("Đăng ký lại"), a
labelled line ("Giấy tờ tùy thân: CMND số …, cấp ngày …, tại …"), the page number printed
in the margin of a register page, the name under "NGƯỜI KÝ TRÍCH LỤC" — and a record holds
the field only when its page printed it: never invented, never an empty box for the clerk.

None of them but the signer's name was in the calibration corpus, so none other is
auto-accepted: a value found goes to the clerk with what it was read from
(:data:`NEW_FIELD_NOTE`). The signer's name and title are scored like a document signer's
(calibrated, and the name read again by the second reader before it is auto-accepted).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

from pipeline.extract import parsers
from pipeline.extract.calibration import Calibration
from pipeline.extract.decree30 import parts_of
from pipeline.extract.fields import check_text, flag_field, make_field
from pipeline.extract.labels import LabelSpec, Segment, fold, union_bbox
from pipeline.extract.signer_block import is_title_line, looks_like_name, read_signer, without_rank
from schemas.models import FieldValue, OcrPage, OcrWord, Record

#: Why a value found for one of these fields still goes to a clerk.
NEW_FIELD_NOTE = "trường bổ sung theo mẫu nhập của Bộ Tư pháp: chưa đủ số liệu để tự duyệt"

#: Labels of the declarant's relation and identity paper (extracts, declarations).
DECLARANT_LABELS: tuple[LabelSpec, ...] = (
    LabelSpec(
        "quan_he_nguoi_di_khai",
        (
            "Quan hệ với người được khai sinh",
            "Quan hệ với người được đăng ký khai sinh",
            "Quan hệ với người chết",
            "Quan hệ với người đã chết",
            "Quan hệ với người được khai tử",
            "Quan hệ với người được đăng ký",
        ),
        starts_section="khac",
    ),
    LabelSpec(
        "giay_to_nguoi_di_khai",
        (
            "Giấy tờ tùy thân",
            "Giấy tờ tuỳ thân",
            "Giấy tờ tùy thân của người đi khai",
            "Giấy tờ tùy thân của người đi đăng ký",
        ),
        starts_section="khac",
    ),
)

# ------------------------------------------------------------------ residence type


def residence_type(label_wording: str) -> str | None:
    """The residence type the label says ("thường trú", "tạm trú"); None for "Nơi cư trú"."""
    key = fold(label_wording)
    if "thuong tru" in key:
        return "thường trú"
    if "tam tru" in key:
        return "tạm trú"
    return None


# ------------------------------------------------------------------ registration type

_KINDS = (  # folded phrase → the template's wording (its code list, hotich.yaml)
    ("dang ky lai", "đăng ký lại"),
    ("qua han", "quá hạn"),
)
#: a registration made abroad, recorded here: the remark or title opens with it
_RECORDED = re.compile(r"^(?:trich luc )?ghi chu (?:viec )?(?:khai sinh|ket hon|khai tu)\b")
_NEGATED = ("khong", "chua")
#: "Ghi chú: …": the remark column's own label, not a registration type
_LABEL_ONLY = re.compile(r"\s*ghi\s+chú\s*[:：]", re.IGNORECASE)


def registration_type(texts: Iterable[str]) -> str | None:
    """How the registration was made, when a remark or a title says it, else None.

    "Đăng ký lại" (re-registration), "quá hạn" (late), a text opening with "Ghi chú khai
    sinh / kết hôn / khai tử" (a registration made abroad recorded here). A phrase after
    "không" or "chưa" says the opposite and counts for nothing; a remark that only carries
    the label "Ghi chú:" or a later annotation ("Đã ghi vào sổ việc cải chính…") is not a
    registration type. Nothing said is not "đúng hạn": the template's "no information" is
    left to the export.
    """
    for text in texts:
        key = fold(text)
        for phrase, kind in _KINDS:
            at = key.find(phrase)
            if at >= 0 and key[:at].split()[-1:] not in ([w] for w in _NEGATED):
                return kind
        if _RECORDED.match(key) and not _LABEL_ONLY.match(text):
            return "ghi chú"
    return None


# ------------------------------------------------------------------ identity paper

_PAPERS = (  # folded wording → the paper's name
    ("chung minh nhan dan", "Chứng minh nhân dân"),
    ("cmnd", "Chứng minh nhân dân"),
    ("cmtnd", "Chứng minh nhân dân"),
    ("can cuoc cong dan", "Căn cước công dân"),
    ("cccd", "Căn cước công dân"),
    ("can cuoc", "Căn cước"),
    ("ho chieu", "Hộ chiếu"),
)
#: a paper's number: digits, perhaps in groups of three or four ("186 123 456"), a passport's
#: letter first; 8 to 12 characters
_NUMBER = re.compile(r"(?<![\w./-])([A-Z]{0,2}\d+(?:[ .]\d{3,4})*)(?![\w/-]|[.]\d)")
_DATE = re.compile(r"\d{1,2}[.]\d{1,2}[.]\d{4}")
_ISSUED_ON = re.compile(r"(?:cap ngay|ngay cap)\s*")
_ON_DAY = re.compile(r"\bngay\s+(?=\d)")
_ISSUED_AT = re.compile(r"(?:\btai\b|noi cap)\s*")
_ISSUED_BY = re.compile(r"\bdo\s+(.+?)\s+cap\b")


def _plain(text: str) -> str:
    """``text`` lower-cased without tone marks, one character for each of ``text``'s (NFC)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        base = unicodedata.normalize("NFD", ch)[0]
        out.append("d" if ch in "đĐ" else base.lower())
    return "".join(out)


def identity_paper(raw: str) -> dict[str, str]:
    """The parts of an identity paper line: type, number, date of issue (ISO), place of issue.

    "CMND số 186123456, cấp ngày 12/03/2008, tại Công an tỉnh Nghệ An" → type "Chứng minh
    nhân dân", number "186123456", date "2008-03-12", place "Công an tỉnh Nghệ An"; "… do
    Công an Nghệ An cấp ngày …" gives the place too. Parts not printed are left out.
    """
    text = unicodedata.normalize("NFC", " ".join(raw.split()))
    plain = _plain(text)
    out: dict[str, str] = {}
    kind = next((name for key, name in _PAPERS if re.search(rf"\b{key}\b", plain)), None)
    if kind:
        out["giay_to_nguoi_di_khai"] = kind
    for m in _NUMBER.finditer(text):
        digits = re.sub(r"[ .]", "", m[1])
        before = _plain(text[: m.start()]).split()[-2:]
        # CMND 9 digits, CCCD 12, a passport a letter and 7: never a date nor a short number
        if len(digits) in (8, 9, 12) and "ngay" not in before and not _DATE.fullmatch(m[1]):
            out["so_giay_to_nguoi_di_khai"] = digits
            break
    on = _ISSUED_ON.search(plain) or _ON_DAY.search(plain)  # "cấp tại … ngày 12/3/2008"
    if on:
        day = parsers.parse_date(text[on.end() : on.end() + 40])
        if day:
            out["ngay_cap_giay_to_nguoi_di_khai"] = day.isoformat()
    place = _issued_at(text, plain)
    if place:
        out["noi_cap_giay_to_nguoi_di_khai"] = place
    return out


def _issued_at(text: str, plain: str) -> str | None:
    """The issuing office: after "tại" / "nơi cấp", or between "do" and "cấp"."""
    by = _ISSUED_BY.search(plain)
    if by:
        return text[by.start(1) : by.end(1)].strip(" ,;:.") or None
    at = _ISSUED_AT.search(plain)
    if not at:
        return None
    rest = text[at.end() :]
    stop = re.search(r",|;|\s(?:cấp ngày|ngày cấp|ngày)\b", rest, re.IGNORECASE)
    place = (rest[: stop.start()] if stop else rest).strip(" ,;:.")
    return place or None


# ------------------------------------------------------------------ the book's page

_PAGE = re.compile(r"^(?:trang|tờ)(?: số)?\s*[:.]?\s*(\d{1,4})$")


def page_number(page: OcrPage) -> tuple[str, tuple[OcrWord, ...]] | None:
    """The book's page number printed in a register page's top or bottom margin ("Trang 12").

    Only a line that says "Trang" or "Tờ (số)" with the number counts: a bare number in the
    margin may be a stamp, a date or a note.
    """
    margin = page.height * 0.1
    for line in page.lines:
        top, bottom = line.bbox[1], line.bbox[1] + line.bbox[3]
        if top > margin and bottom < page.height - margin:
            continue
        text = unicodedata.normalize("NFC", " ".join(line.text.split())).lower()
        m = _PAGE.match(text.strip(" .,;"))
        if m and int(m[1]) > 0:  # "Tổ 5" (a hamlet) is no page; nor is a page 0
            return str(int(m[1])), tuple(line.words)
    return None


# ------------------------------------------------------------------ the extract's signer

_ROLE = ("nguoi ky trich luc", "nguoi ky giay", "nguoi ky")


def entry_signer(page: OcrPage) -> dict[str, tuple[str, tuple[OcrWord, ...]]]:
    """The signer of an extract: the name under "NGƯỜI KÝ TRÍCH LỤC" or under a title.

    Titles ("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH") are read as on a document's last page; "NGƯỜI
    KÝ TRÍCH LỤC" is the signer's role, not a position, and gives no ``chuc_vu_nguoi_ky``.
    The name is the first capitalised line of two to six words below, in the same column
    and within twelve line heights (the signature's room).
    """
    found = dict(read_signer(page))
    found.pop("noi_nhan", None)
    if "nguoi_ky" in found:
        return found
    parts = [p for p in parts_of(page) if p.bbox[1] > page.height * 0.5]
    role = next((p for p in parts if p.folded.startswith(_ROLE)), None)
    if role is None:
        return {}
    below = [
        p
        for p in parts
        if p.bbox[1] > role.bbox[1]
        and abs(p.centre_x() - role.centre_x()) < role.bbox[2]
        and not p.text.startswith("(")
        and not is_title_line(p.text)
    ]
    # the first name under the role, within the signature's room (a footer is no signer)
    near = role.bbox[1] + 12 * role.bbox[3]
    names = [p for p in below if p.bbox[1] < near and looks_like_name(without_rank(p.text)[1])]
    if not names:
        return {}
    rank, name = without_rank(names[0].text)
    return {"nguoi_ky": (name, tuple(names[0].words[len(rank.split()) :]))}


# ------------------------------------------------------------------ fields


def found_field(value: str, words: Sequence[OcrWord], why: str) -> FieldValue:
    """A field read from ``words``: the value, its box, always for the clerk (never auto)."""
    confs = [w.conf for w in words]
    return FieldValue(
        value=unicodedata.normalize("NFC", value),
        raw=" ".join(w.text for w in words),
        confidence=min(confs) if confs else 0.0,
        bbox=union_bbox([w.bbox for w in words]),
        needs_review=True,
        provenance=[why, NEW_FIELD_NOTE],
    )


_RESIDENCE = {
    "khai_sinh": (("noi_cu_tru_me", "loai_cu_tru_me"), ("noi_cu_tru_cha", "loai_cu_tru_cha")),
    "ket_hon": (("noi_cu_tru_chong", "loai_cu_tru_chong"), ("noi_cu_tru_vo", "loai_cu_tru_vo")),
    "khai_tu": (("noi_cu_tru", "loai_cu_tru"),),
}


def form_extras(
    schema: str,
    page: OcrPage,
    segs: Mapping[str, Segment],
    fields: Mapping[str, FieldValue],
    scoring: tuple[float, Calibration],
) -> dict[str, FieldValue]:
    """The extra fields an extract's page prints, from its labelled segments and its words.

    ``scoring``: the review threshold and the calibration the signer's fields are scored by.
    """
    out: dict[str, FieldValue] = {}
    for place, kind_name in _RESIDENCE.get(schema, ()):
        seg = segs.get(place)
        kind = residence_type(seg.hit.variant) if seg else None
        if seg and kind:
            out[kind_name] = found_field(kind, seg.words, f"nhãn “{seg.hit.variant}”")
    for who in ("me", "cha"):
        seg = segs.get(f"ngay_sinh_{who}")
        day = parsers.parse_date(seg.raw) if seg else None
        if seg and day:
            out[f"ngay_sinh_{who}"] = found_field(day.isoformat(), seg.words, "nhãn ngày sinh")
            year = fields.get(f"nam_sinh_{who}")
            if year is None or not year.value:  # the form prints the date instead of the year
                out[f"nam_sinh_{who}"] = found_field(str(day.year), seg.words, "năm của ngày sinh")
    seg = segs.get("quan_he_nguoi_di_khai")
    if seg and seg.raw.strip(" ,;.:"):
        out["quan_he_nguoi_di_khai"] = found_field(
            seg.raw.strip(" ,;.:"), seg.words, "nhãn quan hệ"
        )
    seg = segs.get("giay_to_nguoi_di_khai")
    if seg:
        for name, value in identity_paper(seg.raw).items():
            out[name] = found_field(value, seg.words, "dòng giấy tờ tùy thân")
    out |= book_extras(page, fields, title_lines=_title_lines(page), register=False)
    return out | signer_extras(page, scoring)


def _title_lines(page: OcrPage) -> list[str]:
    """The lines above the first "Số:" line (the extract's header and title), in the top third."""
    lines = []
    for line in page.lines:
        if fold(line.text).startswith("so ") or line.bbox[1] > page.height / 3:
            break
        lines.append(line.text)
    return lines


def book_extras(
    page: OcrPage,
    fields: Mapping[str, FieldValue],
    *,
    title_lines: Sequence[str] = (),
    register: bool = True,
) -> dict[str, FieldValue]:
    """The book's page (``register`` pages only) and the registration type, where printed."""
    out: dict[str, FieldValue] = {}
    remark = fields.get("ghi_chu")
    texts = [*title_lines, *([remark.value] if remark and remark.value else [])]
    kind = registration_type(texts)
    if kind:
        words = _remark_words(remark) if remark and registration_type([remark.value or ""]) else ()
        out["loai_dang_ky"] = found_field(
            kind, words or _words_saying(page, kind) or (), "ghi chú hoặc tên mẫu"
        )
    number = page_number(page) if register else None
    if number:
        out["trang_so"] = found_field(number[0], number[1], "số trang in ở lề")
    return out


def _remark_words(remark: FieldValue) -> tuple[OcrWord, ...]:
    """No words are kept on a field: its box stands for them (one pseudo-word, its text)."""
    if remark.bbox is None or not remark.value:
        return ()
    return (OcrWord(text=remark.value, conf=remark.confidence, bbox=remark.bbox),)


def signer_extras(page: OcrPage, scoring: tuple[float, Calibration]) -> dict[str, FieldValue]:
    """The entry's signer and title under an extract's signature (scored like any name)."""
    threshold, calibration = scoring
    out: dict[str, FieldValue] = {}
    for name, (text, words) in entry_signer(page).items():
        if name in ("nguoi_ky", "chuc_vu_nguoi_ky") and text:
            out[name] = make_field(
                text,
                words,
                check_text(text),
                threshold=threshold,
                calibration=calibration,
                why="khối chữ ký",
                name=name,
            )
    return out


def with_book_extras(record: Record, page: OcrPage) -> Record:
    """A register entry with its page's number and its remark's registration type added.

    A book whose columns give the declarant's relation or identity paper filled those fields
    from its cells: they go to a clerk like every extra field, the paper split into its type,
    number, date and place of issue.
    """
    extra = book_extras(page, record.fields)
    for name in ("quan_he_nguoi_di_khai", "giay_to_nguoi_di_khai"):
        cell = record.fields.get(name)
        if cell is None or cell.value is None:
            continue
        extra[name] = flag_field(cell, NEW_FIELD_NOTE)
        if name == "giay_to_nguoi_di_khai":
            paper = identity_paper(cell.raw or cell.value)
            # the type as the template names it; the cell's words stay in ``raw``
            extra[name] = extra[name].model_copy(update={"value": paper.get(name)})
            for part, value in paper.items():
                if part != name:
                    extra[part] = extra[name].model_copy(update={"value": value})
    if not extra:
        return record
    return record.model_copy(update={"fields": {**record.fields, **extra}})


def _words_saying(page: OcrPage, kind: str) -> tuple[OcrWord, ...] | None:
    """The words of the first line whose text says the registration ``kind``."""
    for line in page.lines:
        if registration_type([line.text]) == kind:
            return tuple(line.words)
    return None
