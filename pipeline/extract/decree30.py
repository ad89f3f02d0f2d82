"""Decree 30/2020 (and Thông tư 01/2011) layouts as offices print them (pure).

A document's first page carries the header: the issuing bodies in the left column (1–3
lines: the parent body, then the issuer, a body's name possibly over two lines), the
national motto on the right, the number line ("Số: 1535 /SGDĐT-CTrTT", the digits often
written by hand) under the issuer, the place-date line under the motto; then either a title
("QUYẾT ĐỊNH", "TỜ TRÌNH", …) with the summary under it, or — a công văn — no title and the
summary "V/v …" under the number in the left column. Its last page carries "Nơi nhận:" (a
list) on the left and the signer block on the right: "KT./TM./Q./TL./TUQ." and title lines,
a seal and signature, the name (with a rank or degree kept apart). Copy marks ("SAO Y",
"BẢN SAO", a digital-signature line) are recognised and left out of every field.

Each reader returns ``Found`` entries: the text as printed, the words it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from pipeline.extract.labels import fold, split_columns
from pipeline.extract.respell import is_known_syllable
from schemas.models import OcrPage, OcrWord

#: Titles of the document types (Decree 30/2020 Annex III, Thông tư 01/2011), as printed.
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
    "HỢP ĐỒNG",
    "BIÊN BẢN",
    "GIẤY MỜI",
    "GIẤY GIỚI THIỆU",
    "TRÍCH LỤC",
    "THÔNG CÁO",
    "HƯỚNG DẪN",
    "CHƯƠNG TRÌNH",
    "PHƯƠNG ÁN",
    "ĐỀ ÁN",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "CÔNG ĐIỆN",
    "GIẤY ỦY QUYỀN",
    "PHIẾU GỬI",
    "PHIẾU CHUYỂN",
)
_DOC_TYPES_FOLDED = {fold(t): t for t in DOC_TYPES}
_MOTTO = ("cong hoa xa hoi chu nghia viet nam", "doc lap tu do hanh phuc")
_NUMBER = re.compile(r"^S[ốôoóồổ0-9]\s*[:;.,]?\s*(?P<rest>.*)$", re.IGNORECASE)
_NUMBER_PARTS = re.compile(r"^(?P<num>[^/]*?)\s*/\s*(?P<sym>\S.*)$")
_PLACE_DATE = re.compile(r"^(?P<place>[^,]{2,40}),\s*ng[àa]y\b", re.IGNORECASE)
#: "V/v", "V/V", "V.v", and "V/w" as the fast model often reads it.
_SUMMARY = ("v v ", "v w ", "ve viec ")
#: "V/w" at the start of a summary: "V/v" misread (offices print "V/v").
_MISREAD_VV = re.compile(r"^V\s*/\s*w\b")
#: "Số:" at the start of a line, whatever follows.
_NUMBER_LABEL = re.compile(r"^\s*S[ốôoóồổ]\s*[:;]", re.IGNORECASE)
#: Lines that start the body of a document (the header ends above them).
_BODY_STARTS = ("kinh gui", "can cu", "thuc hien", "theo de nghi")
#: Signer prefixes: on behalf of (KT.), for the collective (TM.), acting (Q.), by order (TL.),
#: by authorisation (TUQ.).
SIGN_PREFIXES = ("KT.", "TM.", "Q.", "TL.", "TUQ.")
RANKS = tuple(
    f"{a} {b}" for b in ("úy", "tá", "tướng") for a in ("Thiếu", "Trung", "Thượng", "Đại")
)
DEGREES = ("GS.TS.", "PGS.TS.", "GS.", "PGS.", "TS.", "ThS.", "BS.", "KS.", "CN.", "LS.", "TSKH.")
#: Copy marks (folded starts) and digital-signature lines (folded contents).
_COPY_STARTS = ("sao y", "ban sao", "sao luc", "trich sao")
_COPY_CONTAINS = ("ky boi", "thoi gian ky", "ky so", "chu ky so")
#: A body whose name runs on to the next line ("ỦY BAN NHÂN DÂN / THÀNH PHỐ ĐÀ NẴNG").
_UNIT_STARTS: tuple[str, ...] = ("tinh ", "thanh pho ", "tp ", "huyen ", "quan ", "thi xa ")
_UNIT_STARTS += ("xa ", "phuong ", "thi tran ")
_OPEN_BODIES = ("uy ban nhan dan", "hoi dong nhan dan", "ubnd", "hdnd")

_VIET_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0302", "\u0306", "\u031b"}


@dataclass(frozen=True)
class Part:
    """One column's piece of a printed line, junk trimmed (margin marks, stray specks)."""

    text: str
    words: tuple[OcrWord, ...]
    bbox: tuple[int, int, int, int]

    @property
    def folded(self) -> str:
        """The comparison key of the text (:func:`pipeline.extract.labels.fold`)."""
        return fold(self.text)

    def centre_x(self) -> float:
        """Horizontal centre of the piece, in page pixels."""
        return self.bbox[0] + self.bbox[2] / 2


Found = dict[str, tuple[str, tuple[OcrWord, ...]]]


def is_junk(token: str) -> bool:
    """A token with no Vietnamese letter or digit, or with a letter Vietnamese does not write.

    Margin notes, seals and specks read as "»š", "“‡", "¬", "_~": none is part of a field.
    """
    core = token.strip(".,;:-–—_~'\"“”‘’()[]*!?/\\|`^«»¬")
    if not core:
        return True
    for ch in unicodedata.normalize("NFD", core):
        if unicodedata.combining(ch):
            if ch not in _VIET_MARKS:
                return True
        elif not (ch.isascii() and ch.isalnum()) and ch not in "đĐ&/.-,%()":
            return True
    return False


def _trimmed(words: Sequence[OcrWord]) -> list[OcrWord]:
    """The words without the junk at either end."""
    out = list(words)
    while out and is_junk(out[0].text):
        out.pop(0)
    while out and is_junk(out[-1].text):
        out.pop()
    return out


def parts_of(page: OcrPage, *, trim: bool = True) -> list[Part]:
    """Every line split into its columns (side-by-side blocks), junk at the ends trimmed.

    ``trim`` False keeps the junk: a title line a seal garbled into one token ("K†/FRƯỞNG")
    is junk as a whole, yet its letters are worth matching.
    """
    parts = []
    for line in page.lines:
        for col in [c for piece in split_columns(line) for c in _split_at_motto(piece.words)]:
            words = _trimmed(col) if trim else list(col)
            if not words:
                continue
            x0 = min(w.bbox[0] for w in words)
            y0 = min(w.bbox[1] for w in words)
            x1 = max(w.bbox[0] + w.bbox[2] for w in words)
            y1 = max(w.bbox[1] + w.bbox[3] for w in words)
            text = " ".join(w.text for w in words)
            parts.append(Part(text, tuple(words), (x0, y0, x1 - x0, y1 - y0)))
    return [p for p in parts if not is_copy_mark(p.text)]


def _split_at_motto(words: Sequence[OcrWord]) -> list[Sequence[OcrWord]]:
    """A header line read across both columns, cut where the national motto starts.

    "UBND THÀNH PHỐ ĐÀ NẴNG CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" on one baseline with a
    gap too narrow for :func:`split_columns`.
    """
    folded = [fold(w.text) for w in words]
    for i in range(1, len(words) - 1):
        pair = f"{folded[i]} {folded[i + 1]}"
        if pair in ("cong hoa", "doc lap") and not is_motto(" ".join(w.text for w in words[:i])):
            return [words[:i], words[i:]]
    return [words]


def is_copy_mark(text: str) -> bool:
    """A copy's mark ("SAO Y", "BẢN SAO", a digital-signature line): provenance, not a field."""
    f = fold(text)
    return f.startswith(_COPY_STARTS) or any(c in f for c in _COPY_CONTAINS)


def copy_marks(page: OcrPage) -> list[str]:
    """The copy marks printed or stamped on the page, as read."""
    return [ln.text.strip() for ln in page.lines if is_copy_mark(ln.text)]


def is_motto(text: str) -> bool:
    """Is this (part of) the national motto block?

    At least half a motto line must be there: "VÀ XÃ HỘI" (the end of "SỞ LAO ĐỘNG - THƯƠNG
    BINH / VÀ XÃ HỘI") holds "xã hội" of the motto and is an issuer's line, not the motto.
    """
    f = fold(text)
    return len(f) > 8 and any(
        len(f) >= len(m) / 2 and fuzz.partial_ratio(m, f) >= 85 for m in _MOTTO
    )


def doc_type(text: str) -> str | None:
    """The document type a title line names ("QUYẾT ĐỊNH" → "Quyết định"), else None."""
    f = fold(text)
    name = _DOC_TYPES_FOLDED.get(f)
    if name is None and len(f) >= 6:
        best = max(_DOC_TYPES_FOLDED, key=lambda t: fuzz.ratio(t, f))
        name = _DOC_TYPES_FOLDED[best] if fuzz.ratio(best, f) >= 90 else None
    return None if name is None else name.capitalize()


def number_line(text: str) -> tuple[str, str] | None:
    """The number and symbol of a "Số: …/…" line, as read (either may be unreadable)."""
    m = _NUMBER.match(text.strip())
    if m is None or "/" not in m["rest"]:
        return None
    parts = _NUMBER_PARTS.match(m["rest"])
    if parts is None:
        return None
    return parts["num"].replace(" ", ""), re.sub(r"\s*-\s*", "-", parts["sym"].strip())


def is_upper(text: str) -> bool:
    """Mostly capitals (a body's name, a title), OCR slips allowed."""
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) >= 0.8 * len(letters)


def has_header(page: OcrPage) -> bool:
    """Does a Decree-30 document start here: the motto, with a number or a place-date line?"""
    top = [p for p in parts_of(page) if p.bbox[1] < page.height * 0.3]
    motto = any(is_motto(p.text) for p in top)
    number = any(number_line(p.text) for p in top)
    return motto and (number or any(_PLACE_DATE.match(p.text) for p in top))


def ends_document(page: OcrPage) -> bool:
    """Does the page carry a document's end: "Nơi nhận:" or a signer prefix?"""
    parts = parts_of(page)
    return any(is_recipients_label(p.text) for p in parts) or any(
        p.text.upper().startswith(SIGN_PREFIXES) for p in parts
    )


def is_recipients_label(text: str) -> bool:
    """Does the piece start with the "Nơi nhận:" label, one letter misread allowed?

    "Nơt nhận:", "Noi nhân:" (a speck on the "i", a tone lost): the exact words start it, or
    two words one letter off them followed by the colon.
    """
    folded = fold(text)
    if folded.startswith("noi nhan"):
        return True
    words = folded.split()
    if len(words) < 2 or ":" not in " ".join(text.split()[:3]):
        return False
    first, second = words[0], words[1].rstrip(":")
    slips = Levenshtein.distance(first, "noi") + Levenshtein.distance(second, "nhan")
    return (
        first[0] == "n"
        and second[:2] == "nh"
        and len(first) == 3
        and len(second) == 4
        and (slips <= 1)
    )


#: An annex's heading ("PHỤ LỤC", "Phụ lục I", "PHỤ LỤC 02") or its "(Kèm theo …)" line, folded.
_ANNEX = re.compile(r"^(phu luc( [ivx\d]+)?|kem theo (?!thong tu|quyet dinh so .* ban hanh).*)$")


def is_annex(page: OcrPage) -> bool:
    """Does the page open an annex ("PHỤ LỤC" heading or "(Kèm theo …)" in its top fifth)?

    An annex follows a document's signed page; its tables (names and roles, tasks and dates)
    are no signer block and no register.
    """
    top = [p for p in parts_of(page) if p.bbox[1] < page.height * 0.2]
    return any(_ANNEX.match(p.folded) for p in top[:6])


def joined(parts: Sequence[Part]) -> tuple[str, tuple[OcrWord, ...]]:
    """Parts as one text (a space between) and their words."""
    text = " ".join(p.text for p in parts)
    return text, tuple(w for p in parts for w in p.words)


def clean_body(text: str) -> str:
    """An issuer line as printed, without list dashes, trailing dots and underlines."""
    return " ".join(text.split()).strip(" -–—_~.,;:")


def _bodies(lines: Sequence[Part]) -> list[list[Part]]:
    """The issuer block's lines grouped into bodies (a name may run over two lines)."""
    bodies: list[list[Part]] = []
    for part in lines:
        f = fold(clean_body(part.text)) + " "
        prev = fold(clean_body(bodies[-1][-1].text)) if bodies else ""
        runs_on = bodies and (
            (prev in _OPEN_BODIES and f.startswith(_UNIT_STARTS))
            or f.startswith("va ")
            or prev.endswith((" va", ","))
        )
        if runs_on:
            bodies[-1].append(part)
        else:
            bodies.append([part])
    return bodies


def _header_zone(parts: Sequence[Part], page: OcrPage) -> list[Part]:
    """The parts above the body of the first page (before "Kính gửi", "Căn cứ", …)."""
    out = []
    for p in parts:
        if p.bbox[1] > page.height * 0.45 or p.folded.startswith(_BODY_STARTS):
            break
        out.append(p)
    return out


def read_header(page: OcrPage) -> Found:
    """Issuing bodies, number, place and date, type and summary of a document's first page."""
    parts = parts_of(page)
    zone = _header_zone(parts, page)
    found: Found = {}
    mid = page.width * 0.5
    left = [p for p in zone if p.centre_x() < mid]
    num_at = next((i for i, p in enumerate(left) if number_line(p.text)), None)
    if num_at is None:  # "Số: 049 ,exp": the label read, the rest not; still the number line
        num_at = next((i for i, p in enumerate(left[:6]) if _NUMBER_LABEL.match(p.text)), None)
    _issuers(left[:num_at] if num_at is not None else left[:3], found)
    if num_at is not None:
        found["so_ky_hieu"] = (left[num_at].text, left[num_at].words)
    for p in zone:
        m = _PLACE_DATE.match(p.text)
        if m and p.centre_x() >= page.width * 0.35 and "ngay_ban_hanh" not in found:
            found["ngay_ban_hanh"] = (p.text, p.words)
            place = m["place"].strip(" -–.")
            n = len(place.split())
            found["dia_danh"] = (place, p.words[len(p.words) - len(p.text.split()) :][:n])
    below = [] if num_at is None else [p for p in zone if p.bbox[1] > left[num_at].bbox[1]]
    _title_and_summary(zone, below, page, found)
    return found


def _issuers(lines: Sequence[Part], found: Found) -> None:
    heads = [p for p in lines if is_upper(p.text) and not is_motto(p.text)]
    bodies = _bodies(heads[:4])
    if not bodies:
        return
    text, words = joined(bodies[-1])
    found["co_quan_ban_hanh"] = (clean_body(text), words)
    if len(bodies) >= 2:
        text, words = joined(bodies[0])
        found["co_quan_chu_quan"] = (clean_body(text), words)


def _title_and_summary(
    zone: Sequence[Part], under_number: Sequence[Part], page: OcrPage, found: Found
) -> None:
    """A titled document's type and summary, or a công văn's "V/v …" under the number."""
    centred = [p for p in zone if abs(p.centre_x() - page.width / 2) < page.width * 0.2]
    title = next((i for i, p in enumerate(centred) if doc_type(p.text)), None)
    if title is not None:
        kind = doc_type(centred[title].text) or ""
        found["loai_van_ban"] = (kind, centred[title].words)
        summary = _run(centred[title + 1 :], first=lambda p: not is_upper(p.text))
        if summary:
            found["trich_yeu"] = joined(summary)
        return
    # the left column never crosses the middle; a side note beside it has its own edge
    edges = [e for e in block_edges(under_number) if e > page.width * 0.3]
    bound = min([page.width // 2, *edges])
    column = [c for c in (_cut_right(p, bound) for p in under_number) if c is not None]
    summary = _run(column, first=lambda p: p.folded.startswith(_SUMMARY) or p.folded == "v v")
    if summary:
        text, words = joined(summary)
        found["trich_yeu"] = (_MISREAD_VV.sub("V/v", text), words)
        found["loai_van_ban"] = ("Công văn", ())


def block_edges(parts: Sequence[Part], *, lines: int = 3, tolerance: int = 10) -> list[int]:
    """Left edges of blocks beside others: a word start shared by ``lines`` lines or more.

    A typed side note beside the summary ("1. …", "2. …" starting at the same x on
    consecutive lines) is read into the summary's lines; its left edge cuts them.
    """
    starts = sorted({(w.bbox[0], i) for i, p in enumerate(parts) for w in p.words[1:]})
    edges: list[int] = []
    for x, _ in starts:
        rows = {i for x2, i in starts if abs(x2 - x) <= tolerance}
        if len(rows) >= lines and not any(abs(e - x) <= tolerance for e in edges):
            edges.append(x - tolerance)
    return edges


def _cut_right(part: Part, bound: int) -> Part | None:
    """The part without the words right of the left column (a side note beside the summary)."""
    words = [w for w in part.words if w.bbox[0] + w.bbox[2] / 2 < bound]
    height = sorted(w.bbox[3] for w in part.words)[len(part.words) // 2]
    for i in range(1, len(words)):  # a wide gap: what follows is another block's text
        if words[i].bbox[0] - (words[i - 1].bbox[0] + words[i - 1].bbox[2]) > height:
            words = words[:i]
            break
    words = _trimmed(words)
    if len(words) == len(part.words):
        return part
    if not words:
        return None
    x0, y0 = min(w.bbox[0] for w in words), min(w.bbox[1] for w in words)
    x1 = max(w.bbox[0] + w.bbox[2] for w in words)
    y1 = max(w.bbox[1] + w.bbox[3] for w in words)
    return Part(" ".join(w.text for w in words), tuple(words), (x0, y0, x1 - x0, y1 - y0))


def _continues(prev: Part, part: Part) -> bool:
    """Is ``part`` the next line of the same block (under it, as tall, mostly overlapping)?"""
    gap = part.bbox[1] - (prev.bbox[1] + prev.bbox[3])
    overlap = min(prev.bbox[0] + prev.bbox[2], part.bbox[0] + part.bbox[2]) - max(
        prev.bbox[0], part.bbox[0]
    )
    junk = sum(is_junk(w.text) for w in part.words)
    return (
        gap <= 1.2 * prev.bbox[3]
        # a wrapped tail of digits or short words ("2021", "việc") is lower than a line
        # with capitals, tone marks and descenders
        and part.bbox[3] >= 0.55 * prev.bbox[3]
        and overlap >= 0.5 * part.bbox[2]
        and junk <= len(part.words) // 4
    )


def _cased_tail(prev: Part, part: Part) -> bool:
    """Is ``part`` a summary's last word read in capitals ("VIỆC" for "việc")?

    One word, a Vietnamese syllable, under a sentence-case line that does not end the sentence:
    the fast model often reads a short bold word in capitals; a heading is never a lone word
    under a summary, and an acronym ("UBND", "COVID-19") is no syllable and stays out.
    """
    return (
        is_upper(part.text)
        and len(part.text.split()) == 1
        and is_known_syllable(part.text)  # "VIỆC"; not "UBND", "PCCC", "COVID-19"
        and not is_upper(prev.text)
        and not prev.text.rstrip().endswith((".", ":", ";", "!", "?"))
        and part.bbox[1] > prev.bbox[1]
        and _continues(prev, part)
    )


def _run(parts: Sequence[Part], *, first: Callable[[Part], bool], limit: int = 4) -> list[Part]:
    """The summary: its first line, then the lines right under it (at most ``limit``)."""
    start = next((i for i, p in enumerate(parts[:2]) if first(p)), None)
    if start is None:
        return []
    out = [parts[start]]
    for p in parts[start + 1 :]:
        if len(out) < limit and _cased_tail(out[-1], p):
            out.append(p)  # kept as read; the summary's check lowers it, for review
            break
        if len(out) >= limit or is_upper(p.text) or p.bbox[1] < out[-1].bbox[1]:
            break
        if not _continues(out[-1], p):
            continue
        if p.folded.startswith(_BODY_STARTS):
            break
        out.append(p)
    return out
