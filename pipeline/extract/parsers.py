"""Pure parsers for Vietnamese field values: dates, years, names, ids (numbers in words: numwords).

No I/O. Every function takes the text as OCR or a clerk produced it (any Unicode form, any
case, stray spaces and punctuation) and returns a normalized value, or ``None`` when the text
does not say it unambiguously. Text results are NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date

from pipeline.extract.labels import fold
from pipeline.extract.numwords import NUMBER_VOCAB, number_to_words, vietnamese_number

# --------------------------------------------------------------------------- text helpers


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _tokens(text: str) -> list[str]:
    """Lower-case NFC word tokens, punctuation dropped."""
    return re.findall(r"\w+", _nfc(text).lower())


# --------------------------------------------------------------------------- dates

_KW_DAY = frozenset({"ngày", "ngay"})
_KW_MONTH = frozenset({"tháng", "thang"})
_KW_YEAR = frozenset({"năm", "nam"})
_MUNG = frozenset({"mùng", "mồng"})
_MONTH_NAMES = {"giêng": 1, "chạp": 12}

_DMY_RE = re.compile(r"(?<!\d)(\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4})(?!\d)")
_ISO_RE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")


def _make_date(year: int | None, month: int | None, day: int | None) -> date | None:
    if year is None or month is None or day is None or year < 1000:
        return None  # a two-digit year is ambiguous about the century
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _digit_dates(text: str) -> Iterator[date | None]:
    for m in _DMY_RE.finditer(text):
        yield _make_date(int(m[4]), int(m[3]), int(m[1]))
    for m in _ISO_RE.finditer(text):
        yield _make_date(int(m[1]), int(m[2]), int(m[3]))


def _number_run(toks: Sequence[str]) -> list[str]:
    """The leading tokens that can belong to one number (a digit token stands alone)."""
    if toks and toks[0].isdecimal():
        return [toks[0]]
    run: list[str] = []
    for t in toks:
        if t not in NUMBER_VOCAB:
            break
        run.append(t)
    return run


def _day_tokens(before: Sequence[str]) -> list[str]:
    """Tokens naming the day, given the tokens before "tháng"."""
    days = [i for i, t in enumerate(before) if t in _KW_DAY]
    if days:
        toks = list(before[days[-1] + 1 :])
    else:
        toks = list(reversed(_number_run(list(reversed(before)))))[-4:]
    if toks and toks[0] in _MUNG:
        toks = toks[1:]
    return toks


def _month(toks: Sequence[str]) -> int | None:
    if len(toks) == 1 and toks[0] in _MONTH_NAMES:
        return _MONTH_NAMES[toks[0]]
    return vietnamese_number(list(toks))


def _month_year(after: Sequence[str]) -> tuple[int, int] | None:
    """Split "<month> năm <year> ..." — "năm" is also the number 5, so try each split."""
    for i, t in enumerate(after):
        if t not in _KW_YEAR or i == 0:
            continue
        month = _month(after[:i])
        year = vietnamese_number(_number_run(after[i + 1 :]))
        if month is not None and 1 <= month <= 12 and year is not None:
            return month, year
    return None


def _date_keyword(token: str) -> str:
    """The date keywords ngày/tháng/năm whatever tone marks OCR gave them ("thúng", "nấm").

    Only the three keywords are recognised, by their letters ("th?ng": the vowel is the
    letter OCR most often gets wrong); numbers in words keep their marks ("năm" is also 5).
    """
    plain = fold(token)
    if plain == "ngay":
        return "ngày"
    if re.fullmatch(r"th[aeiou]ng", plain):
        return "tháng"
    if plain == "nam":
        return "năm"
    return token


def _phrase_dates(text: str) -> Iterator[date | None]:
    toks = [_date_keyword(t) for t in _tokens(text)]
    start = 0
    for i, t in enumerate(toks):
        if t not in _KW_MONTH:
            continue
        day = vietnamese_number(_day_tokens(toks[start:i]))
        month_year = _month_year(toks[i + 1 :])
        start = i + 1
        if day is not None and month_year is not None:
            yield _make_date(month_year[1], month_year[0], day)


def parse_date(text: str) -> date | None:
    """Parse a Vietnamese date written in digits, in a "ngày … tháng … năm …" phrase, or in words.

    Accepted: "05/03/2018", "5-3-2018", "05.03.2018", "2018-03-05", "ngày 5 tháng 3 năm 2018",
    "Hà Giang, ngày 05 tháng 03 năm 2018", "Ngày mười lăm tháng ba năm hai nghìn không trăm
    mười tám", "mùng một tháng giêng …", "tháng chạp". A two-digit year ("5/3/18") is refused:
    its century is a guess.

    Returns:
        The first valid date in the text, or ``None`` (also for impossible calendar dates).
    """
    for candidate in (*_digit_dates(_nfc(text)), *_phrase_dates(text)):
        if candidate is not None:
            return candidate
    return None


def date_to_words(d: date) -> str:
    """Write a date in words as on a birth certificate.

    Example: ``date(2018, 3, 15)`` → "ngày mười lăm tháng ba năm hai nghìn không trăm mười tám".
    """
    month = "tư" if d.month == 4 else number_to_words(d.month)
    return f"ngày {number_to_words(d.day)} tháng {month} năm {number_to_words(d.year)}"


def format_date_vi(d: date) -> str:
    """Format a date the way Vietnamese administrative documents write it.

    Follows Decree 30/2020 (Annex I): a day below 10 and the months 1 and 2 get a leading zero,
    so ``date(2018, 3, 15)`` → "ngày 15 tháng 3 năm 2018" and ``date(2018, 2, 5)`` →
    "ngày 05 tháng 02 năm 2018".
    """
    month = f"{d.month:02d}" if d.month <= 2 else str(d.month)
    return f"ngày {d.day:02d} tháng {month} năm {d.year}"


def format_date_short(d: date) -> str:
    """Format a date as ``dd/mm/yyyy``, e.g. "15/03/2018"."""
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def parse_year(text: str, *, lo: int = 1850, hi: int = 2100) -> int | None:
    """Parse a year: one 4-digit number ("1990", "Năm sinh: 1990") or a year in words.

    Returns:
        The year if it lies in ``lo..hi``, else ``None``. Text with more than one number
        (a full date, say) is not a bare year.
    """
    numbers = re.findall(r"\d+", _nfc(text))
    if numbers:
        ok = len(numbers) == 1 and len(numbers[0]) == 4 and lo <= int(numbers[0]) <= hi
        return int(numbers[0]) if ok else None
    toks = _tokens(text)
    for i in range(len(toks)):
        if i and toks[i - 1] in NUMBER_VOCAB and toks[i - 1] not in _KW_YEAR:
            continue  # only start a run at its beginning (or just after the word "năm")
        value = vietnamese_number(_number_run(toks[i:]))
        if value is not None and lo <= value <= hi:
            return value
    return None


# --------------------------------------------------------------------------- names

_LOOKALIKES = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})  # Ð→Đ, ð→đ
_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_TONE_OA_OE = re.compile(rf"([oO])([{_TONES}])([aAeE][\u0302\u0306]?)")
_TONE_UY = re.compile(rf"([uU])([{_TONES}])([yY])")


def _strip_punct_ends(text: str) -> str:
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start])[0] in "PZ":
        start += 1
    while end > start and unicodedata.category(text[end - 1])[0] in "PZ":
        end -= 1
    return text[start:end]


def normalize_name(text: str) -> str:
    """Clean a name as printed: NFC, Ð→Đ, single spaces, no punctuation at the ends.

    The case is kept ("NGUYỄN VĂN A" stays in capitals).
    """
    text = _nfc(text).translate(_LOOKALIKES)
    return _strip_punct_ends(" ".join(text.split()))


def title_case_name(name: str) -> str:
    """Capitalise every syllable of a name written in mixed case ("Phạm quốc Khánh").

    Names written all in capitals stay so; a Vietnamese name never has a lower-case syllable.
    """
    if name.isupper():
        return name
    return " ".join(_title_syllable(w) for w in name.split(" "))


def _title_syllable(word: str) -> str:
    """One syllable of a mixed-case name: "kiẾt" → "Kiết" (OCR confused the glyph size).

    A capital after an apostrophe (H'Hen) is kept.
    """
    out = []
    for i, ch in enumerate(word):
        if i == 0:
            out.append(ch.upper())
        elif word[i - 1] in "'’":
            out.append(ch)
        else:
            out.append(ch.lower())
    return "".join(out)


def name_key(text: str) -> str:
    """Comparison key for names: equal for old and new tone placement and for any case.

    "Hòa"/"Hoà", "Thủy"/"Thuỷ", "Quý"/"Qúy", "KHỎE"/"khoẻ" give the same key. In the rising
    diphthongs oa, oe, uy the tone mark is moved onto the second vowel, then the text is
    case-folded.
    """
    decomposed = unicodedata.normalize("NFD", normalize_name(text))
    moved = _TONE_OA_OE.sub(r"\1\3\2", decomposed)
    moved = _TONE_UY.sub(r"\1\3\2", moved)
    return _nfc(moved).casefold()


# --------------------------------------------------------------------------- sex, ids, numbers

_SEX_WORDS = {"nam": "Nam", "nữ": "Nữ", "nu": "Nữ", "nam giới": "Nam", "nữ giới": "Nữ"}


def parse_sex(text: str) -> str | None:
    """Parse the sex field: "Nam" or "Nữ" ("NỮ", "nữ giới", "Nu" without diacritics → "Nữ")."""
    toks = _tokens(text)
    if toks[:2] in (["giới", "tính"], ["gioi", "tinh"]):
        toks = toks[2:]
    return _SEX_WORDS.get(" ".join(toks))


#: Province codes that open a 12-digit personal id (Circular 07/2016/TT-BCA; the 63 provinces
#: as they were before the 2025 merger — ids already issued keep them).
PROVINCE_CODES: frozenset[str] = frozenset(
    """
    001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034
    035 036 037 038 040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068
    070 072 074 075 077 079 080 082 083 084 086 087 089 091 092 093 094 095 096
    """.split()
)


def parse_personal_id(text: str) -> str | None:
    """Find a 12-digit personal id (số định danh cá nhân / CCCD), ignoring spaces and dots.

    An old 9-digit CMND number is not a personal id: ``None``.
    """
    for m in re.finditer(r"\d[\d .]*\d", _nfc(text)):
        digits = re.sub(r"[ .]", "", m[0])
        if len(digits) == 12:
            return digits
    return None


def is_valid_personal_id(text: str) -> bool:
    """True when the text holds a 12-digit id whose first three digits are a province code."""
    pid = parse_personal_id(text)
    return pid is not None and pid[:3] in PROVINCE_CODES


def parse_entry_number(text: str) -> str | None:
    """The entry number (số) of a register entry: "Số: 123" → "123", "123/2018" → "123"."""
    m = re.search(r"\d+", _nfc(text))
    return m[0] if m else None


def parse_book_number(text: str) -> str | None:
    """The book number (quyển số): "Quyển số: 01/2018" → "01/2018"."""
    text = _nfc(text).translate(_LOOKALIKES)
    text = re.sub(r"(?i)^\W*quyển\s*(?:số)?\W*", "", text.strip())
    text = re.sub(r"\s*([/\-])\s*", r"\1", text)
    first = text.split()[0] if text.split() else ""
    first = _strip_punct_ends(first)
    # "011995": the slash of "01/1995" lost in OCR; only when the tail is a plausible year
    lost = re.fullmatch(r"(\d{1,2})(1[89]\d\d|20\d\d)", first)
    if lost:
        return f"{lost[1]}/{lost[2]}"
    return first if re.search(r"\d", first) else None


_SO_KY_HIEU_RE = re.compile(
    r"(?<![\w/])(\d+)\s*/\s*(?:(\d{4})\s*/\s*)?([A-ZĐ][A-Za-zĐđ]*(?:\s*-\s*[A-ZĐ][A-Za-zĐđ0-9]*)*)"
)


def parse_so_ky_hieu(text: str) -> str | None:
    """The number and sign of a document (Decree 30/2020): "Số: 215/QĐ-SNV" → "215/QĐ-SNV".

    Spaces OCR puts around "/" and "-" are removed; a year part is kept ("12/2020/NĐ-CP").
    """
    m = _SO_KY_HIEU_RE.search(_nfc(text).translate(_LOOKALIKES))
    if m is None:
        return None
    sign = re.sub(r"\s*-\s*", "-", m[3])
    return "/".join(p for p in (m[1], m[2], sign) if p)
