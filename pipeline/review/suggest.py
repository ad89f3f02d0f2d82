"""Suggestions beside a field under review: places, ethnic groups, nationalities, names."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.extract.ethnic import normalize_ethnic, normalize_nationality
from pipeline.extract.fields import check_field
from pipeline.extract.gazetteer import match_place

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
MAX_SUGGESTIONS = 5


def is_place_field(name: str) -> bool:
    """Fields that name an administrative place."""
    return name.startswith("noi_") or name == "que_quan"


def is_name_field(name: str) -> bool:
    """Fields that hold a person's full name."""
    return name.startswith("ho_ten") or name in {"nguoi_di_khai", "nguoi_ky"}


@cache
def ethnic_names() -> tuple[str, ...]:
    """The 54 official ethnic groups, in the order of the official list."""
    with (DATA_DIR / "ethnic_groups.csv").open(encoding="utf-8") as f:
        return tuple(row["name"] for row in csv.DictReader(f))


@cache
def surnames() -> tuple[str, ...]:
    """Vietnamese surnames, most common first, without repeats."""
    with (DATA_DIR / "surnames.csv").open(encoding="utf-8") as f:
        rows = sorted(csv.DictReader(f), key=lambda r: -float(r["weight_percent_estimate"] or 0))
    return tuple(dict.fromkeys(r["surname"] for r in rows))


#: A suggestion and why it is offered, in plain words.
Offer = tuple[str, str]


_UNIT_WORDS = ("xã ", "phường ", "thị trấn ", "thị xã ", "huyện ", "quận ", "thành phố ", "tỉnh ")


def _unit_name(part: str) -> str:
    """The unit's own name, lower case: "xã Quỳnh Hưng" → "quỳnh hưng"."""
    low = " ".join(part.split()).lower()
    for word in _UNIT_WORDS:
        if low.startswith(word):
            return low[len(word) :]
    return low


@cache
def commune_names() -> frozenset[str]:
    """The own names of every commune and ward: now, before the 2025 reform, and earlier."""
    names = set()
    for file in ("wards_pre2025.csv", "wards_2025.csv", "wards_former.csv"):
        with (DATA_DIR / file).open(encoding="utf-8") as f:
            names |= {_unit_name(row["name"]) for row in csv.DictReader(f)}
    return frozenset(names)


def renames_a_known_commune(text: str, suggestion: str) -> bool:
    """Would the suggestion swap one real commune's name for another's?

    "xã Quỳnh Hưng, huyện Quỳnh Lưu" is a commune that was merged away before the list we
    hold was made; a commune of that name exists elsewhere, so the reading is a real name,
    not a misreading — offering "Quỳnh Thắng" would corrupt it.
    """
    read, offered = _unit_name(text.split(",")[0]), _unit_name(suggestion.split(",")[0])
    return read != offered and read in commune_names()


def _as_printed_units(text: str, normalized: str) -> str:
    """The normalized place with each unit the page names written as the page writes it.

    A commune upgraded since ("xã Hải Thượng" is a phường today) keeps the book's type word:
    what a suggestion may add is a missing unit or a fixed misreading, not today's names.
    """
    typed = [" ".join(p.split()) for p in text.split(",")]
    printed = {_unit_name(p): p for p in typed if p.lower().startswith(_UNIT_WORDS)}
    return ", ".join(printed.get(_unit_name(p), p.strip()) for p in normalized.split(","))


def _place(text: str) -> list[Offer]:
    """The printed place written in full (the value stays as the page says it)."""
    m = match_place(text)
    if not m or m.score < 0.8 or renames_a_known_commune(text, m.normalized):
        return []
    why = f"đơn vị trong danh mục hành chính, giống {m.score * 100:.0f} % cách đọc"
    return [(_as_printed_units(text, m.normalized), why)]


def _name(text: str) -> list[Offer]:
    words = text.split()
    if not words:
        return []
    first = words[0].capitalize()
    if first in surnames():
        return []
    hits = process.extract(first, surnames(), scorer=fuzz.ratio, limit=3, score_cutoff=60)
    upper = text.isupper()  # a name printed in capitals is offered in capitals
    return [
        (
            " ".join([hit.upper() if upper else hit, *words[1:]]),
            f"họ “{hit}” trong danh sách họ, giống {score:.0f} % chữ “{words[0]}”",
        )
        for hit, score, _ in hits
    ]


def _case_style(text: str) -> str:
    letters = [w for w in text.split() if any(c.isalpha() for c in w)]
    if all(w.isupper() for w in letters):
        return "upper"
    if all(w[:1].isupper() and w[1:] == w[1:].lower() for w in letters):
        return "title"
    return "mixed"


def keeps_reading(text: str, suggestion: str) -> bool:
    """Does a suggestion keep every word of the reading's length and its case style?

    A suggestion that drops words ("Bệnh viện đa khoa huyện X" → "huyện X") or changes the
    case style ("Lâm Minh Vy" → "Lâm MINH VY") would corrupt a right value: never offered.
    """
    return len(suggestion.split()) >= len(text.split()) and (
        _case_style(suggestion) == _case_style(text)
    )


def suggestions(name: str, text: str) -> list[str]:
    """Values the clerk may pick for field ``name`` read as ``text`` (best first, no repeats)."""
    return [value for value, _why in explained(name, text)]


def explained(name: str, text: str) -> list[Offer]:
    """Suggestions for field ``name`` read as ``text``, each with why it is offered.

    Place and name suggestions never drop words or change the case style of the reading
    (:func:`keeps_reading`); an ethnic group's or nationality's name is the list's own.
    """
    text = " ".join(text.split())
    out: list[Offer] = []
    if text:
        checked = check_field(name, text)
        if checked.ok and checked.value and not name.startswith("ngay_"):
            listed = name.startswith(("dan_toc", "quoc_tich"))
            why = "tên chính thức trong danh mục" if listed else "cách đọc, viết theo chuẩn"
            out.append((checked.value, why))
        if is_place_field(name):
            out += [o for o in _place(text) if keeps_reading(text, o[0])]
        elif name.startswith("dan_toc"):
            m = normalize_ethnic(text)
            if m:
                out.append((m.name, "tên trong danh mục 54 dân tộc"))
                out += [(c, "dân tộc có tên gần giống trong danh mục") for c in m.candidates]
        elif name.startswith("quoc_tich"):
            n = normalize_nationality(text)
            out += [(n.name, "tên trong danh mục quốc tịch")] if n else []
        elif is_name_field(name):
            named = _name(text.upper() if text.isupper() else text)
            out += [o for o in named if keeps_reading(text, o[0])]
    seen: set[str] = set()
    kept = []
    for value, why in out:
        if value and value != text and value not in seen:
            seen.add(value)
            kept.append((value, why))
    return kept[:MAX_SUGGESTIONS]
