"""Numbers in Vietnamese words, both ways: "một nghìn chín trăm chín mươi" ↔ 1990.

No I/O. Words may come in any Unicode form and case; results are NFC.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence


def _tokens(text: str) -> list[str]:
    """Lower-case NFC word tokens, punctuation dropped."""
    return re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())


_DIGITS: dict[str, int] = {
    "không": 0,
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
#: Unit words allowed after "mười"/"mươi" (mốt 21, tư 24, lăm/nhăm 25).
_UNITS_AFTER_TENS: dict[str, int] = {
    **{w: v for w, v in _DIGITS.items() if v > 0},
    "mốt": 1,
    "tư": 4,
    "lăm": 5,
    "nhăm": 5,
}
#: Short spoken tens without "mươi": "hai mốt" 21, "ba tư" 34, "hai lăm" 25.
_SHORT_UNITS: dict[str, int] = {"mốt": 1, "tư": 4, "lăm": 5, "nhăm": 5}
_TENS_WORDS = frozenset({"mươi", "chục"})
_LINH = frozenset({"linh", "lẻ"})
_SCALES: dict[str, int] = {"triệu": 1_000_000, "nghìn": 1000, "ngàn": 1000}
#: Every word a number in words is made of.
NUMBER_VOCAB = frozenset(
    {*_DIGITS, *_UNITS_AFTER_TENS, *_TENS_WORDS, *_LINH, *_SCALES, "mười", "trăm"}
)


def _below_hundred(toks: Sequence[str]) -> int | None:
    n = len(toks)
    if n == 1:
        if toks[0] == "mười":
            return 10
        if toks[0] == "tư":
            return 4
        return _DIGITS.get(toks[0])
    if n == 0 or n > 3:
        return None
    if toks[0] == "mười":
        unit = _UNITS_AFTER_TENS.get(toks[1]) if n == 2 else None
        return None if unit is None else 10 + unit
    tens = _DIGITS.get(toks[0])
    if tens is None or tens < 2:
        return None
    if toks[1] in _TENS_WORDS or toks[1] == "mười":  # "hai mười" is a common OCR slip
        if n == 2:
            return tens * 10
        unit = _UNITS_AFTER_TENS.get(toks[2])
        return None if unit is None else tens * 10 + unit
    if n == 2 and toks[1] in _SHORT_UNITS:
        return tens * 10 + _SHORT_UNITS[toks[1]]
    return None


def _below_thousand(toks: Sequence[str]) -> int | None:
    if "trăm" not in toks:
        return _below_hundred(toks)
    i = toks.index("trăm")
    if i != 1 or toks[0] not in _DIGITS:
        return None
    hundreds, rest = _DIGITS[toks[0]] * 100, toks[2:]
    if not rest:
        return hundreds
    if rest[0] in _LINH:
        unit = _UNITS_AFTER_TENS.get(rest[1]) if len(rest) == 2 else None
        return None if unit is None else hundreds + unit
    if len(rest) == 1 and _DIGITS.get(rest[0], 0) > 0:
        return hundreds + _DIGITS[rest[0]] * 10  # "một trăm năm" is 150 in Vietnamese
    tail = _below_hundred(rest)
    return None if tail is None or tail < 10 else hundreds + tail


def _scaled(toks: Sequence[str]) -> int | None:
    positions = [(i, _SCALES[t]) for i, t in enumerate(toks) if t in _SCALES]
    if not positions:
        return _below_thousand(toks)
    scale = max(s for _, s in positions)
    i = next(i for i, s in positions if s == scale)
    head = _scaled(toks[:i]) if i else None
    if not head:
        return None
    tail = toks[i + 1 :]
    if not tail:
        return head * scale
    if tail[0] in _LINH:  # "hai nghìn lẻ năm" = 2005
        unit = _UNITS_AFTER_TENS.get(tail[1]) if len(tail) == 2 else None
        return None if unit is None else head * scale + unit
    rest = _scaled(tail)
    if rest is None or rest >= scale:
        return None
    if len(tail) == 1 and tail[0] in _DIGITS and rest:  # "hai nghìn hai" = 2200
        rest = rest * scale // 10
    return head * scale + rest


def vietnamese_number(words: list[str]) -> int | None:
    """Read a number written in Vietnamese words.

    Handles the spoken forms used on civil-status records: "mười lăm" (15), "hai mươi mốt" (21),
    "hai mươi tư" (24), "nhăm" (25), "một trăm linh năm"/"lẻ năm" (105), "nghìn"/"ngàn",
    "hai nghìn không trăm mười tám" (2018), "một nghìn chín trăm chín mươi tư" (1994). A single
    token of digits is read as is.

    Args:
        words: the words, any case and Unicode form; punctuation around them is ignored.

    Returns:
        The number, or ``None`` when the words are not a well-formed number.
    """
    toks = [t for w in words for t in _tokens(w)]
    if not toks:
        return None
    if len(toks) == 1 and toks[0].isdecimal():
        return int(toks[0])
    if any(t not in NUMBER_VOCAB for t in toks):
        return None
    return _scaled(toks)


_DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _words_below_hundred(n: int) -> list[str]:
    tens, unit = divmod(n, 10)
    if tens == 0:
        return [_DIGIT_WORDS[unit]]
    head = ["mười"] if tens == 1 else [_DIGIT_WORDS[tens], "mươi"]
    if unit == 0:
        return head
    if unit == 5:
        return [*head, "lăm"]
    if tens > 1 and unit == 1:
        return [*head, "mốt"]
    if tens > 1 and unit == 4:
        return [*head, "tư"]
    return [*head, _DIGIT_WORDS[unit]]


def _words_below_thousand(n: int, *, full: bool) -> list[str]:
    hundreds, rest = divmod(n, 100)
    if hundreds == 0 and not full:
        return _words_below_hundred(rest)
    head = [_DIGIT_WORDS[hundreds], "trăm"]
    if rest == 0:
        return head
    if rest < 10:
        return [*head, "linh", _DIGIT_WORDS[rest]]
    return [*head, *_words_below_hundred(rest)]


def number_to_words(n: int) -> str:
    """Write ``0 <= n < 1_000_000`` in Vietnamese words, as on official records.

    Example: 2018 → "hai nghìn không trăm mười tám", 2005 → "hai nghìn không trăm linh năm".
    """
    if not 0 <= n < 1_000_000:
        raise ValueError(f"out of range: {n}")
    thousands, rest = divmod(n, 1000)
    if thousands == 0:
        return " ".join(_words_below_thousand(rest, full=False))
    words = [*_words_below_thousand(thousands, full=False), "nghìn"]
    if rest:
        words += _words_below_thousand(rest, full=True)
    return " ".join(words)
