"""Place names as the gazetteer compares them: name keys, a name index, places cut into units.

``fold_text`` and the name keys make "Hòa Bình", "Hoà Bình" and "HOA BINH" meet; ``NameIndex``
finds a bare unit name exactly, folded or fuzzily; ``place_segments`` cuts one part of a printed
place at its unit markers ("huyện", "TP.", "P.5").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from pipeline.extract.parsers import name_key

# --------------------------------------------------------------------------- name keys

_D = str.maketrans({"đ": "d", "Đ": "d", "\u00d0": "d", "\u00f0": "d"})


def fold_text(text: str) -> str:
    """Lower-case text without diacritics (đ → d): "Hòa Bình" → "hoa binh"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _key(name: str) -> str:
    """Exact comparison key: tone placement and case ignored, spacing and punctuation dropped."""
    words = re.findall(r"\w+", name_key(name))
    return "".join(w.lstrip("0") or "0" if w.isdecimal() else w for w in words)


@functools.lru_cache(maxsize=1 << 16)
def _fold_key(name: str) -> str:
    """Diacritic-free key; "y" read as "i" (Quy/Qui, Lý/Lí)."""
    return fold_text(_key(name)).replace("y", "i")


_TYPES = ("thành phố", "thị trấn", "thị xã", "đặc khu", "phường", "huyện", "quận", "tỉnh", "xã")


def split_type(name: str) -> tuple[str, str]:
    """("Xã Phú Linh") → ("xã", "Phú Linh"); the type is "" when the name has none."""
    low = name.lower()
    typ = next((t for t in _TYPES if low.startswith(t + " ")), "")
    return typ, name[len(typ) :].strip()


Hits = list[tuple[str, float]]


class NameIndex:
    """Names of one level (code → full name) with exact, folded and fuzzy look-ups."""

    def __init__(self, names: dict[str, str], aliases: Iterable[tuple[str, str]] = ()) -> None:
        self.full = names
        self.types = {c: split_type(n)[0] for c, n in names.items()}
        self.by_key: dict[str, list[str]] = defaultdict(list)
        self.by_fold: dict[str, list[str]] = defaultdict(list)
        self.folds: dict[tuple[str, int], str] = {}
        self.keys_of: dict[str, list[str]] = defaultdict(list)
        for code, name in [*((c, split_type(n)[1]) for c, n in names.items()), *aliases]:
            self.add(code, name)

    def add(self, code: str, bare: str) -> None:
        """Index the bare name ``bare`` of unit ``code`` (its exact, folded and fuzzy keys)."""
        key, fold = _key(bare), _fold_key(bare)
        for index, k in ((self.by_key, key), (self.by_fold, fold)):
            if code not in index[k]:
                index[k].append(code)
        self.folds[(code, len(self.folds))] = fold
        self.keys_of[code].append(key)

    def find(self, text: str, scope: Collection[str] | None = None, *, fuzzy: bool = True) -> Hits:
        """Best matches of a bare name within ``scope`` (codes), each with a score in 0..1."""
        key, fold = _key(text), _fold_key(text)
        inside = [c for c in self.by_key.get(key, ()) if scope is None or c in scope]
        if not key or inside:
            return [(c, 1.0) for c in inside]
        inside = [c for c in self.by_fold.get(fold, ()) if scope is None or c in scope]
        scored = [(c, 0.85 + 0.1 * self._exact_ratio(key, c) / 100) for c in inside]
        if not scored and fuzzy and len(fold) >= 4:
            pool = {k: v for k, v in self.folds.items() if scope is None or k[0] in scope}
            best: dict[str, float] = {}
            for _, s, (code, _n) in process.extract(
                fold, pool, scorer=fuzz.ratio, score_cutoff=80, limit=8
            ):
                s = 0.9 * (0.6 * s + 0.4 * self._exact_ratio(key, code)) / 100
                best[code] = max(best.get(code, 0.0), s)
            scored = list(best.items())
        top = max((s for _, s in scored), default=0.0)
        return [(c, round(s, 3)) for c, s in scored if s >= top - 0.005]

    def _exact_ratio(self, key: str, code: str) -> float:
        return max(fuzz.ratio(key, k) for k in self.keys_of[code])


# --------------------------------------------------------------------------- segmentation


@dataclass
class PlaceSegment:
    """One unit of a printed place: its kind, its name, the type word printed before it."""

    kind: str  # province | city | district | ward | sub (hamlet, street) | "" (untyped)
    text: str
    type_word: str = ""


_ABBREV = {"tp": "thành phố", "tx": "thị xã", "tt": "thị trấn", "p": "phường", "q": "quận"}
_ABBREV |= {"h": "huyện", "x": "xã", "t": "tỉnh"}
_KIND = {"thành phố": "city", "tỉnh": "province", "quận": "district", "huyện": "district"}
_KIND |= {"thị xã": "district", "thị trấn": "ward", "xã": "ward", "phường": "ward"}
_KIND |= {"đặc khu": "ward"}
_UNACCENTED = {fold_text(t): t for t in _KIND}
_MARKER_RE = re.compile(
    r"(?<!\w)(?:(thành\s+phố|thị\s+xã|thị\s+trấn|đặc\s+khu|tỉnh|quận|huyện|phường|xã)(?!\w)"
    r"|(tp|tx|tt|[pqhxt])\.\s*|((?-i:TP|TX|TT))(?=\s)|([PQ])(?=\d))",
    re.IGNORECASE,
)
#: ", Việt Nam" at the end of a printed place.
COUNTRY_RE = re.compile(r"(?i)[\s,;-]+(?:việt\s*nam|viet\s*nam)\W*$")
_SUB_RE = re.compile(r"(?i)^(?:ấp|thôn|xóm|bản|tổ|khu phố|kp|khóm|khu|số|đường|ngõ|ngách|hẻm)\b")


def place_segments(part: str) -> list[PlaceSegment]:
    """Split one comma-separated part at unit markers ("huyện", "TP.", "P.5")."""
    low = fold_text(part)
    if low == part.lower():  # "xa Phu Linh": an unaccented marker opens an unaccented part
        typ = next((t for p, t in _UNACCENTED.items() if low.startswith(p + " ")), "")
        part = typ + part[len(typ) :] if typ else part
    marks: list[tuple[int, int, str]] = []
    for m in _MARKER_RE.finditer(part):
        start, word = m.start(), " ".join((m[1] or _ABBREV[(m[2] or m[3] or m[4]).lower()]).split())
        before = re.search(r"(\w+)\s+$", part[:start])
        if word.lower() == "xã" and before and _looks_like_thi(before[1]):
            start, word = before.start(), "thị xã"  # "thi xã", "tlị xã": a slip in "thị"
        if not marks or part[marks[-1][1] : start].strip():  # not "xã Xã Đàn"
            marks.append((start, m.end(), word.lower()))
    lead = part[: marks[0][0] if marks else len(part)].strip(" .-")
    segs = [PlaceSegment("sub" if _SUB_RE.match(lead) else "", lead)]
    for i, (start, end, word) in enumerate(marks):
        text = part[end : marks[i + 1][0] if i + 1 < len(marks) else len(part)].strip(" .-")
        if text or not segs[-1].text:
            segs.append(PlaceSegment(_KIND[word], text, word))
        else:  # "xã Tứ Xã": a marker word that ends a name belongs to it
            segs[-1].text += " " + part[start:end].strip()
    return [s for s in segs if s.text]


def _looks_like_thi(word: str) -> bool:
    folded = fold_text(word)
    return len(folded) == 3 and (folded[0] == "t" or folded[1:] == "hi") and folded != "tan"


def name_suffixes(text: str) -> Iterable[tuple[str, str]]:
    """("Phú Linh Vị Xuyên") → ("Phú", "Linh Vị Xuyên"), …, ("Phú Linh Vị", "Xuyên")."""
    words = text.split()
    for n in range(min(len(words), 6), 0, -1):
        yield " ".join(words[:-n]), " ".join(words[-n:])


# --------------------------------------------------------------------------- former units


def former_units(
    wards: list[dict[str, str]],
    districts: list[dict[str, str]],
    wards_former: list[dict[str, str]],
    districts_former: list[dict[str, str]],
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Rows to add to the January 2025 tables for units old books name but it no longer lists.

    ``*_former`` are earlier GSO snapshots' units (data/wards_former.csv). Each gets its own
    code, "F" + its GSO code (+ a letter when one code bore several former names), so a
    reading of a former name never resolves to the unit that took its code; a district's
    code kept by the January 2025 list is its own (the unit changed its type, not its
    identity). A former ward whose own name is already a current ward's of the same
    district adds nothing (the name is already known there); one that moved district keeps
    its former district ("xã Cảnh Thụy, huyện Yên Dũng", a ward of Bắc Giang city today).
    """
    now_districts = {r["code"] for r in districts}
    known = {(r["district_code"], _key(split_type(r["name"])[1])) for r in wards}
    fcodes: dict[str, int] = defaultdict(int)

    def fcode(code: str) -> str:
        fcodes[code] += 1
        return f"F{code}" + ("" if fcodes[code] == 1 else chr(ord("a") + fcodes[code] - 2))

    new_districts, district_code = [], {}
    for r in districts_former:
        if r["code"] in now_districts:
            continue  # a name the district bore under its code today: former_district_names
        if r["code"] not in district_code:
            district_code[r["code"]] = fcode(r["code"])
            new_districts.append({**r, "code": district_code[r["code"]]})
    new_wards = []
    for r in wards_former:
        dcode = r["district_code"] if r["district_code"] in now_districts else None
        dcode = dcode or district_code.get(r["district_code"])
        bare = _key(split_type(r["name"])[1])
        if dcode is None or (dcode, bare) in known:
            continue
        known.add((dcode, bare))
        new_wards.append({**r, "code": fcode(r["code"]), "district_code": dcode})
    return new_wards, new_districts


def former_district_names(
    districts: list[dict[str, str]], districts_former: list[dict[str, str]]
) -> list[tuple[str, str]]:
    """(code, former full name) of districts that kept their code under another name.

    "Huyện Tĩnh Gia" (now thị xã Nghi Sơn), "Quận 2" (now part of Thủ Đức): old books name
    them, and they are the same unit by code.
    """
    now = {r["code"]: _key(r["name"]) for r in districts}
    return [
        (r["code"], r["name"])
        for r in districts_former
        if r["code"] in now and now[r["code"]] != _key(r["name"])
    ]


def printed_former_name(printed: str, now: str, former: Iterable[str]) -> str | None:
    """The former name (of ``former``) that ``printed`` names, when it is not ``now``.

    A place is written as the book wrote it: a district printed "huyện Tĩnh Gia" keeps that
    name, not today's "thị xã Nghi Sơn" of the same code.
    """
    key = fold_text(printed)
    if key == fold_text(split_type(now)[1]):
        return None
    return next((n for n in sorted(former) if fold_text(split_type(n)[1]) == key), None)
