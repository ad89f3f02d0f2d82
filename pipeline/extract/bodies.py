"""Tone marks OCR lost on an issuer line, put back from the names of state bodies (pure).

Issuer lines are printed in bold capitals, and Tesseract's fast Vietnamese model often drops
or swaps their marks ("PHONG AN CHINH TRỊ NỘI BỘ", "THÀNH PHÓ ĐÀ NẴNG"). A word is restored
only when it and a neighbour spell, without marks, two consecutive words of a known body name
(``pipeline/data/body_names.txt``) or of an administrative unit (the gazetteer's tables:
"VŨNG TÀU", "CẦN THƠ", "ĐẮK TÔ") — the pair decides, never one word alone — and only its
marks change. A restored value is a repair: shown to a clerk, never auto-accepted.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from pipeline.extract.labels import fold

DATA = Path(__file__).resolve().parents[1] / "data" / "body_names.txt"


#: The gazetteer's unit tables (a body's name ends in its unit: "… TỈNH BÀ RỊA - VŨNG TÀU").
PLACE_TABLES = (
    "provinces_pre2025",
    "provinces_2025",
    "districts_pre2025",
    "districts_former",
    "wards_pre2025",
    "wards_former",
    "wards_2025",
)


@cache
def _pairs() -> dict[tuple[str, str], tuple[str, str]]:
    """Every two consecutive words of a body name: folded pair → printed pair."""
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if not words or line.startswith("#"):
            continue
        for a, b in zip(words, words[1:], strict=False):
            pairs.setdefault((fold(a), fold(b)), (a, b))
    return pairs


@cache
def _place_pairs() -> dict[tuple[str, str], tuple[str, str]]:
    """Two consecutive words of a unit's name, in capitals: folded pair → printed pair.

    A pair two unit names spell with different marks is left out (it would not decide).
    """
    places: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for name in _unit_names():
        words = name.upper().split()
        for a, b in zip(words, words[1:], strict=False):
            places.setdefault((fold(a), fold(b)), set()).add((a, b))
    return {key: next(iter(s)) for key, s in places.items() if len(s) == 1}


def _unit_names() -> list[str]:
    """The names of every unit in the gazetteer's tables (type words included)."""
    names = []
    for table in PLACE_TABLES:
        with (DATA.parent / f"{table}.csv").open(encoding="utf-8", newline="") as f:
            names += [row["name"] for row in csv.DictReader(f)]
    return names


def restore_marks(text: str) -> tuple[str, list[str]]:
    """``text`` with lost or wrong tone marks put back, and the words changed ("PHONG→PHÒNG").

    Only capitals are touched (an issuer line); a word keeps its own spelling when no known
    pair holds it.
    """
    words = text.split()
    out = list(words)
    unit = unit_name_start(words)
    for i, word in enumerate(words):
        if not word.isupper():
            continue
        if i < unit:  # the body's words ("BỘ QUỐC PHÒNG" is no unit's "QUỐC PHONG")
            found = _from_pairs(words, i, _pairs(), anchored=False)
        else:  # the unit's name ("XÃ THƯỢNG BÌNH" is no body's "THƯƠNG BINH")
            found = _from_pairs(words, i, _place_pairs(), anchored=True)
        if found and found != word and fold(found) == fold(word) and word.strip(".,;:") == word:
            out[i] = found
    changed = [f"{a}→{b}" for a, b in zip(words, out, strict=True) if a != b]
    return " ".join(out), changed


#: Words that open a unit's name in an issuer line (folded); "thanh pho", "thi xa", "thi tran"
#: end on their second word.
_UNIT_TYPES = {"tinh", "huyen", "quan", "xa", "phuong", "pho", "tran"}


def unit_name_start(words: list[str]) -> int:
    """Index of the first word of a unit's name in an issuer line (len(words): none).

    The name follows its type word: "TỈNH", "HUYỆN", "QUẬN", "XÃ", "PHƯỜNG", "THÀNH PHỐ",
    "THỊ XÃ", "THỊ TRẤN"; "XÃ HỘI" (of "THƯƠNG BINH VÀ XÃ HỘI") is no unit.
    """
    folded = [fold(w) for w in words]
    for i, f in enumerate(folded[:-1]):
        two_word = f in ("pho", "tran") or (f == "xa" and i > 0 and folded[i - 1] == "thi")
        if f == "pho" and (i == 0 or folded[i - 1] != "thanh"):
            continue
        if f == "tran" and (i == 0 or folded[i - 1] != "thi"):
            continue
        if f in _UNIT_TYPES and (two_word or folded[i + 1] != "hoi"):
            return i + 1
    return len(words)


def _from_pairs(
    words: list[str], i: int, pairs: dict[tuple[str, str], tuple[str, str]], *, anchored: bool
) -> str | None:
    """The spelling of ``words[i]`` a known pair with a neighbour gives, or None.

    ``anchored``: the neighbour must be printed exactly as in the pair (a unit's name pair
    such as "ĐAN PHƯỢNG" must not respell "DÂN" beside "PHƯỜNG").
    """
    key = fold(words[i])
    if i + 1 < len(words):
        pair = pairs.get((key, fold(words[i + 1])))
        if pair and (not anchored or pair[1] == words[i + 1]):
            return pair[0]
    if i > 0:
        pair = pairs.get((fold(words[i - 1]), key))
        if pair and (not anchored or pair[0] == words[i - 1]):
            return pair[1]
    return None


@cache
def body_words() -> frozenset[str]:
    """Every word of the known bodies' names, folded ("uy", "ban", "nhan", "dan", "so", …)."""
    words: set[str] = set()
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            words.update(fold(line).split())
    return frozenset(words)


@cache
def _whole_names() -> dict[str, str]:
    """The known bodies' names of two words or more, by their letters ("sotuphap")."""
    out: dict[str, str] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        if len(line.split()) >= 2 and not line.startswith("#"):
            out.setdefault(_NOT_LETTER.sub("", fold(line)), line)
    return out


_NOT_LETTER = re.compile(r"[^a-z]")


def match_body(text: str) -> str | None:
    """The known body an issuer line names when OCR garbled a word of it, else None.

    "SỞ THÔNG TIN VÀ TRU YÊN THÔNG", "PHÒNG V TẾ": a line holding a word no body's name
    holds, whose letters are within one in ten (at least one) of exactly one known name,
    every other name at least two letters further. A line naming a unit ("… XÃ MƯỜNG
    TOONG") is matched by no whole name and stays as read.
    """
    words = fold(text).split()
    if not words or all(w in body_words() for w in words):
        return None
    read = _NOT_LETTER.sub("", fold(text))
    ranked = sorted((Levenshtein.distance(key, read), name) for key, name in _whole_names().items())
    (best, name), runner = ranked[0], ranked[1][0] if len(ranked) > 1 else len(read)
    if best > max(1, len(read) // 10) or runner - best < 2:
        return None
    return name
