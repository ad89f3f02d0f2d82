"""Spell a place read by OCR the way the unit tables spell it, changing as little as possible.

OCR misreads tone marks and short words in place names ("thành phô Hà Nội", "tính Ninh
Binh", "huyện Ba VÌ"). Once the gazetteer has recognised the units a place names, each
unit name is found again in the text (the window of as many syllables that is closest to
it). Only corrections that cannot turn one real place into another are made:

* the unit-type word ("tỉnh", "thành phố", "huyện", …): a closed list;
* the province name: 63 provinces (and the historical ones) — a near miss is that province;
* a district or ward name only when the difference is letter case ("Ba VÌ") or the text read
  is not letters at all ("An 61ang"). A commune read "Yên Đông" where the tables have "Yên
  Đồng" stays as read: books go back decades, communes were renamed, merged and split, and
  a name missing from the tables may be right. The clerk sees the table's spelling beside it
  (and the value is never auto-accepted).

Everything else — hamlet, street, "Trạm y tế …" — is left exactly as read. Stray
punctuation between units (". tỉnh", "quận:", "Sơn,tỉnh") becomes the comma the form prints.
Nothing is rewritten unless the whole result stays close to what was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from pipeline.extract.gazetteer import PlaceMatch
from pipeline.extract.labels import fold
from pipeline.extract.parsers import name_key

#: Unit-type words, longest first (as the tables write them, lower case).
TYPES = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "quận", "tỉnh", "xã")
#: A unit name this close to the window read (ratio 0..100, case-folded) is that name.
MIN_NAME_RATIO = 70.0
#: The corrected place must stay at least this close to the place as read.
MIN_WHOLE_RATIO = 85.0

_TYPE_RE = "|".join(re.escape(t) for t in TYPES)
_PUNCT_BEFORE_TYPE = re.compile(rf"\s*[.;:]\s*(?=(?:{_TYPE_RE})\s)", re.IGNORECASE)
_COLON_AFTER_TYPE = re.compile(rf"\b({_TYPE_RE})\s*[:.;]\s*(?=\w)", re.IGNORECASE)
_NO_SPACE_AFTER_COMMA = re.compile(r",(?=\S)")
#: a unit-type word opening a unit ("huyện Ba Vì"), not one inside a longer type ("thị xã")
_TYPE_WORDS = {w for t in TYPES for w in t.split()}
_UNIT_WORD = re.compile(rf"(?<![\w])(?:{_TYPE_RE})(?=\s+\w)", re.IGNORECASE)
#: a mark read between the two words of a unit type ("thành. phố", "thị, trấn")
_PUNCT_INSIDE_TYPE = re.compile(r"\b(thành|thị|đặc)\s*[.,;:]\s*(phố|xã|trấn|khu)\b", re.IGNORECASE)
#: Fixed wordings that open a place ("Ủy ban nhân dân xã …", "Trạm y tế …"): a closed list,
#: so a near miss of its letters is that wording.
PHRASES = (
    "Ủy ban nhân dân",
    "Bệnh viện đa khoa",
    "Bệnh viện",
    "Trạm y tế",
    "Trung tâm y tế",
    "Nhà hộ sinh",
    # below the commune: hamlets and neighbourhoods
    "Ấp",
    "Thôn",
    "Xóm",
    "Khóm",
)
_PROVINCE_TYPE = re.compile(r"\b(tỉnh|thành phố)\b", re.IGNORECASE)
_EDGE = ",.;:()"


@dataclass(frozen=True)
class PlaceFix:
    """The place as it should be written, and what changed (for the clerk)."""

    value: str
    changes: tuple[tuple[str, str], ...]
    #: district/ward names read differently from the tables, left as read (read, table)
    suggestions: tuple[tuple[str, str], ...] = ()


def split_type(unit: str) -> tuple[str, str]:
    """("huyện", "Ba Vì") of "huyện Ba Vì"; ("", name) when no unit type opens it."""
    low = unit.lower()
    for t in TYPES:
        if low.startswith(t + " "):
            return t, unit[len(t) + 1 :].strip()
    return "", unit.strip()


def _core(word: str) -> tuple[str, str, str]:
    """Leading punctuation, the word, trailing punctuation."""
    stripped = word.strip(_EDGE)
    if not stripped:
        return word, "", ""
    start = word.index(stripped)
    return word[:start], stripped, word[start + len(stripped) :]


def _match_case(like: str, text: str, *, shouting: bool) -> str:
    """The table's spelling in the case the page uses.

    All capitals when the page shouts, else as the table has it; a unit-type word keeps the
    capital it was read with.
    """
    if shouting:
        return text.upper()
    if text.lower() in TYPES or text.lower() in {w for t in TYPES for w in t.split()}:
        return text[:1].upper() + text[1:] if like[:1].isupper() else text.lower()
    return text


def _best_window(words: list[str], name: str, taken: set[int]) -> tuple[int, float] | None:
    k = len(name.split())
    best: tuple[int, float] | None = None
    for i in range(len(words) - k + 1):
        if taken & set(range(i, i + k)):
            continue
        read = " ".join(_core(w)[1] for w in words[i : i + k])
        score = fuzz.ratio(read.lower(), name.lower())
        if fold(read) == fold(name):
            score = max(score, 90.0)
        if score >= MIN_NAME_RATIO and (best is None or score > best[1]):
            best = (i, score)
    return best


def _replace(
    words: list[str], i: int, k: int, new: str, *, shouting: bool = False
) -> list[tuple[str, str]]:
    """Put ``new`` (k syllables) over words[i:i+k], keeping outer punctuation; the changes."""
    olds = words[i : i + k]
    news = new.split()
    changes = []
    for j, (old, repl) in enumerate(zip(olds, news, strict=True)):
        lead, core, trail = _core(old)
        fixed = _match_case(core, repl, shouting=shouting) if core else repl
        if fixed != core:
            changes.append((core, fixed))
        words[i + j] = f"{lead}{fixed}{trail}"
    return changes


def _reads_as_type(words: list[str], i: int, unit_type: str) -> bool:
    """Do the words just before words[i] read as a unit type (well enough to be fixed to it)?"""
    k = len(unit_type.split())
    if i - k < 0:
        return False
    read = " ".join(_core(w)[1] for w in words[i - k : i]).lower()
    if read == unit_type or read in TYPES:
        return True
    return fuzz.ratio(fold(read), fold(unit_type)) >= 80 or fuzz.ratio(read, unit_type) >= 75


def _fix_type(words: list[str], i: int, unit_type: str, *, shouting: bool) -> list[tuple[str, str]]:
    """The unit-type word(s) just before words[i] (which :func:`_reads_as_type`), spelled right."""
    k = len(unit_type.split())
    read = " ".join(_core(w)[1] for w in words[i - k : i]).lower()
    if read == unit_type or read in TYPES:
        return []
    return _replace(words, i - k, k, unit_type, shouting=shouting)


def tidy_punctuation(text: str) -> str:
    """The commas a printed place has between its units, whatever OCR made of them.

    A comma read as another mark or lost ("huyện Ba Vì tỉnh Hà Tây") is put back before every
    unit after the first; the first keeps what precedes it ("Bệnh viện đa khoa huyện Ba Vì"
    is the name of a hospital, "Trạm y tế xã Châu Sơn" of a health station).
    """
    text = _PUNCT_INSIDE_TYPE.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _COLON_AFTER_TYPE.sub(lambda m: m.group(1) + " ", text)
    text = _PUNCT_BEFORE_TYPE.sub(", ", text)
    text = _comma_between_units(text)
    return " ".join(_NO_SPACE_AFTER_COMMA.sub(", ", text).split())


def _comma_between_units(text: str) -> str:
    """A comma before each unit-type word after the first that stands between two names.

    A type word next to another ("phường Phường Đúc", "xã Tứ Xã huyện …", "xã Phước Tỉnh
    huyện …") may be part of a name: no comma is put there.
    """
    types = list(_UNIT_WORD.finditer(text))
    for m in reversed(types[1:]):
        before = text[: m.start()].rstrip()
        prev_word = before.split()[-1].lower() if before.split() else ""
        after = text[m.end() :].split()
        next_word = after[0].lower() if after else ""
        if prev_word in _TYPE_WORDS or next_word in _TYPE_WORDS:
            continue
        if before and before[-1].isalnum():
            text = f"{before}, {text[m.start() :]}"
    return text


def fix_place(printed: str, match: PlaceMatch) -> PlaceFix | None:
    """The place with its units spelled as in the tables, or ``None`` when nothing changes."""
    text = tidy_punctuation(printed)
    shouting = text.isupper()
    words = text.split(" ")
    changes: list[tuple[str, str]] = []
    taken: set[int] = set()
    suggestions: list[tuple[str, str]] = []
    # the province as the page names it: a historical one ("tỉnh Hà Tây") when it was
    province = match.province_historical or match.province_old
    levels = ((province, True), (match.district_old, False), (match.ward_old, False))
    matched = {name_key(split_type(u)[1]) for u, _ in levels if u}
    for unit, closed_list in levels:
        if not unit:
            continue
        unit_type, name = split_type(unit)
        found = _best_window(words, name, taken)
        if found is None:
            continue
        i, _ = found
        k = len(name.split())
        taken |= set(range(i, i + k))
        read = " ".join(_core(w)[1] for w in words[i : i + k])
        if closed_list or _safe_name_fix(read, name):
            changes += _replace(words, i, k, name, shouting=shouting)
        elif name_key(read) != name_key(name) and name_key(read) not in matched:
            suggestions.append((read, name))  # a misreading or a unit renamed: kept, shown
        if unit_type:
            if _reads_as_type(words, i, unit_type):
                changes += _fix_type(words, i, unit_type, shouting=shouting)
                taken |= set(range(i - len(unit_type.split()), i))
    changes += _fix_phrase(words, shouting=shouting)
    fixed = " ".join(words)
    if fuzz.ratio(fixed, printed) < MIN_WHOLE_RATIO or _new_repeat(fixed, printed):
        return None
    if fixed == printed and not suggestions:
        return None
    return PlaceFix(fixed, tuple(changes), tuple(suggestions))


def _new_repeat(fixed: str, printed: str) -> bool:
    """Does the fix say a word twice in a row where the page did not ("Thừa Thiên Huế Huế")?"""

    def repeats(text: str) -> set[str]:
        ws = [_core(w)[1].lower() for w in text.split()]
        return {a for a, b in zip(ws, ws[1:], strict=False) if a and a == b}

    return bool(repeats(fixed) - repeats(printed))


def _same_syllable(a: str, b: str) -> bool:
    """Equal but for case and where the tone mark sits (old "Uỷ", "hoà"; new "Ủy", "hòa")."""
    return name_key(a) == name_key(b)


def _fix_phrase(words: list[str], *, shouting: bool) -> list[tuple[str, str]]:
    """The opening wording ("Ủy ban nhân dẫn" → "Ủy ban nhân dân") when its letters match."""
    for phrase in PHRASES:
        k = len(phrase.split())
        if len(words) < k:
            continue
        read = [_core(w)[1] for w in words[:k]]
        if fold(" ".join(read)) != fold(phrase):
            continue
        if all(_same_syllable(r, t) for r, t in zip(read, phrase.split(), strict=True)):
            return []
        changes = []
        for j, (r, t) in enumerate(zip(read, phrase.split(), strict=True)):
            if _same_syllable(r, t):
                continue
            new = t.upper() if shouting else (t[:1].upper() + t[1:] if r[:1].isupper() else t)
            lead, _core_word, trail = _core(words[j])
            words[j] = f"{lead}{new}{trail}"
            changes.append((r, new))
        return changes
    return []


def _safe_name_fix(read: str, name: str) -> bool:
    """May a district or ward name be rewritten with the table's spelling?

    Only when its case alone differs, or what was read is no name at all (digits or
    symbols inside it).
    """
    if read.lower() == name.lower():
        return True
    return any(not (ch.isalpha() or ch in " -'") for ch in read)


def cut_short(text: str, match: PlaceMatch) -> bool:
    """Does the place end in a province whose name is missing or cut short?

    "…, tỉnh" or "tỉnh An" for "tỉnh An Giang": the line ran off the edge, or on to a line
    that was not joined to it.
    """
    province = match.province_historical or match.province_old
    found = list(_PROVINCE_TYPE.finditer(text))
    if not province or not found:
        return False
    tail = fold(text[found[-1].end() :])
    name = fold(split_type(province)[1])
    return tail != name and name.startswith(tail)
