"""Completion while a clerk keys a value: places of the book's year, names, listed values.

A clerk keying a handwritten register types fast and often without tone marks; completion
offers the listed values that fit what is typed so far, compared without diacritics
("quynh hung" finds "xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An"). It only offers: the
value is what the clerk picks or types, checked on approval like any other.
"""

from __future__ import annotations

import csv
from collections import Counter
from functools import cache
from itertools import zip_longest

from rapidfuzz import fuzz, process

from pipeline.extract.ethnic import nationality_names
from pipeline.extract.gazetteer import Gazetteer
from pipeline.extract.placenames import fold_text
from pipeline.review.suggest import DATA_DIR, ethnic_names, is_name_field, is_place_field, surnames

LIMIT = 8
#: the 2025 reform took effect on 1 July 2025: a book of 2025 may name either
REFORM_YEAR = 2025
_UNIT_WORDS = ("xã ", "phường ", "thị trấn ", "thị xã ", "huyện ", "quận ", "thành phố ", "tỉnh ")


def _lower_first(name: str) -> str:
    """Unit words in lower case, as records write them: "Xã Quỳnh Hưng" → "xã Quỳnh Hưng"."""
    for word in _UNIT_WORDS:
        if name.lower().startswith(word):
            return word + name[len(word) :]
    return name


def _written(path: str) -> str:
    return ", ".join(_lower_first(p) for p in path.split(", "))


@cache
def _province_history() -> tuple[tuple[str, str, str, int, bool], ...]:
    """Provinces as they were: data/province_history.csv.

    Each row: (district code of today's province, or "*" for all its districts; the
    province's code; its former name; the year that name ended; whether it ended on
    1 January, so that it held for none of that year).
    """
    with (DATA_DIR / "province_history.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return tuple(
        (
            r["district_code"],
            r["province_code"],
            r["name"],
            int(r["valid_until"][:4]),
            r["valid_until"][5:] == "01-01",
        )
        for r in rows
    )


@cache
def _provinces_then() -> tuple[tuple[str, int | None, int, tuple[str, ...]], ...]:
    """Provinces that no longer exist, with the provinces of 2024 they held whole.

    Rows (name, first year, last year, codes) from data/provinces_historical.csv; a
    province held only in part (``partial_successors``) is named district by district in
    data/province_history.csv.
    """
    with (DATA_DIR / "provinces_historical.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        partial = set((r.get("partial_successors") or "").split())
        whole = tuple(c for c in r["successor_codes"].split() if c not in partial)
        since = int(r["from_year"]) if r["from_year"] else None
        out.append((r["name"], since, int(r["until_year"]), whole))
    return tuple(out)


def old_units(year: int | None = None) -> tuple[str, ...]:
    """Every commune before the 2025 reform, written in full: "xã X, huyện Y, tỉnh Z".

    Communes of earlier GSO lists (2020–2023 snapshots: merged away before 2025) and the
    former names of districts that kept their code ("huyện Tĩnh Gia") are included. With
    ``year``, a province is named as it was that year: the provinces that no longer exist
    (data/provinces_historical.csv: "huyện Hoài Đức, tỉnh Hà Tây" in 1999, "tỉnh Hải Hưng"
    in 1994, "tỉnh Nghệ Tĩnh" in 1985) and, where an old province held part of today's, the
    districts data/province_history.csv names. In a province's first or last year both
    names are offered (the change fell within the year).
    """
    if year is None:
        return _old_units((), ())
    # a district row holds before its date; in the year it ended (after 1 January), both names
    history = tuple((d, p, n, y, year == y) for d, p, n, y, jan1 in _province_history()
                    if year < y or (year == y and not jan1))  # fmt: skip
    renames: list[tuple[str, str, bool]] = []
    for name, since, until, whole in _provinces_then():
        if (since is None or since <= year) and year <= until:
            both = year in (since, until)
            renames += [(code, name, both) for code in whole]
    return _old_units(history, tuple(renames))


@cache
def _old_units(
    history: tuple[tuple[str, str, str, int, bool], ...],
    renames: tuple[tuple[str, str, bool], ...],
) -> tuple[str, ...]:
    g = Gazetteer.load()
    by_province: dict[str, list[tuple[str, bool]]] = {}
    for code, name, both in renames:  # 1992: Hà Nam Ninh until April, then Nam Hà
        by_province.setdefault(code, []).append((name, both))
    out = []
    for path, ward in zip(g.unit_paths(), g.ward_district, strict=True):
        district = g.ward_district[ward]
        province = g.district_province[district]
        paths = [path]
        for dcode, pcode, name, _until, both in history:  # the first row that holds
            if pcode == province and dcode in ("*", district):
                then = path.rsplit(", ", 1)[0] + ", " + name
                paths = [then, path] if both else [then]
                break
        if province in by_province:
            names = by_province[province]
            thens = [paths[0].rsplit(", ", 1)[0] + ", " + n for n, _both in names]
            paths = [*thens, *paths] if any(b for _n, b in names) else thens
        for one in dict.fromkeys(paths):
            out.append(_written(one))
            parts = one.split(", ")
            for former in sorted(g.district_former_names.get(district, ())):  # "huyện Tĩnh Gia"
                out.append(_written(", ".join([parts[0], former, *parts[2:]])))
    return tuple(out)


@cache
def new_units() -> tuple[str, ...]:
    """Every commune after the 2025 reform: "xã X, tỉnh Y"."""
    return tuple(_written(p) for p in Gazetteer.load().unit_paths(after_reform=True))


@cache
def _folded(choices: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(fold_text(c) for c in choices)


def _in_order(typed: list[str], choice: str) -> bool:
    """Each typed word begins a word of ``choice``, in the typed order ("ba vi ha tay")."""
    words, at = choice.replace(",", " ").split(), 0
    for t in typed:
        at = next((i + 1 for i in range(at, len(words)) if words[i].startswith(t)), -1)
        if at < 0:
            return False
    return True


def _best(query: str, choices: tuple[str, ...], limit: int) -> list[str]:
    """Choices that fit ``query`` compared without diacritics, best first.

    First those where every typed word begins one of their words, in order ("ba vi, ha
    tay"); then close spellings of the typed text (a typo: "quynh hnug").
    """
    folded, typed = _folded(choices), fold_text(query).replace(",", " ").split()
    exact = [i for i, c in enumerate(folded) if all(t in c for t in typed) and _in_order(typed, c)]
    text = " ".join(typed)  # the typed words together first ("quynh hung" before "… Hưng Yên")
    exact = sorted(exact[:5000], key=lambda i: -fuzz.partial_ratio(text, folded[i]))
    hits = (
        [
            i
            for _c, _s, i in process.extract(
                fold_text(query), folded, scorer=fuzz.partial_ratio, limit=limit, score_cutoff=80
            )
        ]
        if len(exact) < limit
        else []
    )
    return [choices[i] for i in dict.fromkeys([*exact, *hits])][:limit]


def complete_place(query: str, *, year: int | None = None, limit: int = LIMIT) -> list[str]:
    """Units whose full name fits what the clerk typed, as they were named in ``year``.

    A book of before 2025 names the old units (and the communes merged away before 2025);
    one of after 2025 the new ones; a book of 2025 either.
    """
    query = " ".join(query.split())
    if len(query) < 3:
        return []
    if year is not None and year > REFORM_YEAR:
        return _best(query, new_units(), limit)
    found = _best(query, old_units(year), limit)
    if year == REFORM_YEAR:  # half of each, the rest from whichever has more
        new = _best(query, new_units(), limit)
        half = limit // 2
        both = [*found[:half], *new[: limit - min(half, len(found))]]
        found = list(dict.fromkeys([*both, *found[half:]]))[:limit]
    return found


@cache
def _syllables() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Middle-name and given-name syllables, without repeats.

    Middle names male and female in turn; given-name syllables those in the most listed
    names first.
    """
    with (DATA_DIR / "middle_names.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_gender = [[r["middle_name"] for r in rows if r["gender"] == g] for g in ("male", "female")]
    middle = [m for pair in zip_longest(*by_gender) for m in pair if m]  # "Văn", "Thị", …
    given: Counter[str] = Counter()
    for file in ("given_names_male.txt", "given_names_female.txt"):
        given.update((DATA_DIR / file).read_text(encoding="utf-8").split())
    return tuple(dict.fromkeys(middle)), tuple(w for w, _n in given.most_common())


def _word_choices(position: int) -> tuple[str, ...]:
    """The words a name's ``position`` may hold, the likeliest first.

    Surnames first; then middle names before given names; from the third word on, given
    names first ("Nguyễn Thị " → "Nguyễn Thị An", not "Nguyễn Thị Văn").
    """
    middle, given = _syllables()
    if position == 0:
        return surnames()
    return tuple(dict.fromkeys([*middle, *given] if position == 1 else [*given, *middle]))


def _restore(word: str, position: int) -> str:
    """A word typed without tone marks, written as the lists write it (the most common)."""
    if fold_text(word) != word.lower():
        return word  # the clerk typed the marks: kept as typed
    folded = fold_text(word)
    return next((c for c in _word_choices(position) if fold_text(c) == folded), word)


def complete_name(query: str, *, limit: int = LIMIT) -> list[str]:
    """Full names that continue what the clerk typed ("nguyen van a" → "Nguyễn Văn An").

    Earlier words get their tone marks from the name lists; the last word, perhaps half
    typed, is completed from the surnames (first word) or the middle and given names.
    """
    words = query.split()
    if not words or len(query.strip()) < 2:
        return []
    if query.endswith(" "):  # the next word, not yet begun: the most common first
        words.append("")
    upper = query.isupper() and len(query) > 1
    head = [_restore(w, i) for i, w in enumerate(words[:-1])]
    last = fold_text(words[-1])
    pool = _word_choices(len(words) - 1)
    tails = [c for c in pool if fold_text(c).startswith(last)]
    tails.sort(key=lambda c: fold_text(c) != last)  # the word as typed first ("an" → "An")
    if fold_text(words[-1]) != words[-1].lower():
        tails = [c for c in tails if c.lower().startswith(words[-1].lower())]
    out = [" ".join([*head, t]) for t in tails[:limit]]
    return [o.upper() for o in out] if upper else out


def complete_listed(kind: str, query: str, *, limit: int = LIMIT) -> list[str]:
    """Ethnic groups (the 54 of the official list) or nationalities fitting what was typed."""
    query = " ".join(query.split())
    if not query:
        return []
    if kind == "ethnic":
        names: list[tuple[str, tuple[str, ...]]] = [(n, (n,)) for n in ethnic_names()]
    else:  # a nationality is also found by its other spellings ("Mỹ" → "Hoa Kỳ")
        names = [(n, (n, *others)) for n, others in nationality_names()]
    typed = fold_text(query)
    starts = [n for n, spellings in names if any(fold_text(w).startswith(typed) for w in spellings)]
    official = tuple(n for n, _ in names)
    rest = _best(query, official, limit) if len(query) >= 3 else []
    return list(dict.fromkeys([*starts, *rest]))[:limit]


def completion_kind(field: str) -> str:
    """Which completion a field's input gets: "place", "name", "ethnic", "nationality" or ""."""
    if is_place_field(field):
        return "place"
    if is_name_field(field):
        return "name"
    if field.startswith("dan_toc"):
        return "ethnic"
    return "nationality" if field.startswith("quoc_tich") else ""


def complete(kind: str, query: str, *, year: int | None = None) -> list[str]:
    """The completions of ``kind`` for what the clerk typed (``year``: the book's)."""
    if kind == "place":
        return complete_place(query, year=year)
    if kind == "name":
        return complete_name(query)
    return complete_listed(kind, query)
