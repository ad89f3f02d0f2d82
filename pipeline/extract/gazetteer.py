"""Places as printed on civil-status records, resolved to administrative units.

``Gazetteer.load()`` reads the unit tables in ``pipeline/data`` once (cached); ``match_place``
is pure: it splits a printed place ("xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang", "P. 5, Q. 3,
TP. Hồ Chí Minh") into levels, finds the pre-2025 units (63 provinces, districts, communes and
wards; historical provinces such as Hà Tây or Nghệ Tĩnh through their successors) and the
current units after the 1 July 2025 reform (34 provinces, no districts, merged wards). Names are
compared exactly first, then with old/new tone placement and case ignored, then without
diacritics, then fuzzily (rapidfuzz) for OCR slips (:mod:`pipeline.extract.placenames`).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from pipeline.extract.placenames import (
    COUNTRY_RE,
    Hits,
    NameIndex,
    PlaceSegment,
    former_district_names,
    former_units,
    name_suffixes,
    place_segments,
    printed_former_name,
    split_type,
)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class PlaceMatch:
    """A printed place resolved to known units (names as in the unit tables, NFC).

    ``province_old``/``district_old``/``ward_old`` are the units before 1 July 2025 (63
    provinces); ``province_new``/``ward_new`` the units after it. When an old ward was split
    across several new ones, ``ward_new`` is ``None``, ``ward_new_candidates`` lists them all and
    ``ambiguous`` is true. ``detail`` keeps what is not a unit (hamlet, street, "Bệnh viện…");
    ``notes`` say, in Vietnamese for the clerk, what was unsure.
    """

    as_printed: str
    normalized: str
    province_old: str | None = None
    district_old: str | None = None
    ward_old: str | None = None
    province_new: str | None = None
    ward_new: str | None = None
    ward_new_candidates: tuple[str, ...] = ()
    score: float = 0.0
    ambiguous: bool = False
    province_historical: str | None = None
    province_old_code: str | None = None
    district_old_code: str | None = None
    ward_old_code: str | None = None
    province_new_code: str | None = None
    ward_new_codes: tuple[str, ...] = ()
    detail: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class HistoricalProvince:
    """A province that no longer exists, with the pre-2025 provinces that succeeded it."""

    name: str
    from_year: int | None
    until_year: int
    successor_codes: tuple[str, ...]
    note: str

    @classmethod
    def from_row(cls, r: dict[str, str]) -> HistoricalProvince:
        """Build from a row of ``provinces_historical.csv``."""
        since = int(r["from_year"]) if r["from_year"] else None
        codes = tuple(r["successor_codes"].split())
        return cls(r["name"], since, int(r["until_year"]), codes, r["note"])


@dataclass
class _Try:
    """One reading of the place under one province option."""

    prov: tuple[str, ...]
    hist: str | None
    scores: list[float]
    after_reform: bool | None = None
    penalty: float = 1.0
    district: list[str] = field(default_factory=list)
    #: the district's name as printed when it is a former name of its unit ("huyện Tĩnh Gia")
    district_former: str | None = None
    ward: list[str] = field(default_factory=list)
    new_ward: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        return sum(self.scores) / len(self.scores) * self.penalty if self.scores else 0.0


# --------------------------------------------------------------------------- the gazetteer


def _read(name: str, data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / name).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k: unicodedata.normalize("NFC", v) for k, v in r.items()} for r in rows]


def _former(
    table: dict[str, list[dict[str, str]]], data_dir: Path
) -> tuple[list[dict[str, str]], list[dict[str, str]], list[tuple[str, str]]]:
    """Former units old books name: communes and districts of earlier GSO lists.

    (``placenames.former_units``) and the former names of districts that kept their code.
    """
    if not (data_dir / "wards_former.csv").exists():
        return [], [], []
    old_districts = _read("districts_former.csv", data_dir)
    wards, districts = former_units(
        table["wards_pre2025"],
        table["districts_pre2025"],
        _read("wards_former.csv", data_dir),
        old_districts,
    )
    return wards, districts, former_district_names(table["districts_pre2025"], old_districts)


def _one_per_unit(codes: list[str]) -> list[str]:
    """Codes without a former entry ("F07738") of a unit also found by its code today."""
    return [c for c in codes if not (c.startswith("F") and c[1:6] in codes)]


def _grouped(pairs: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for key, value in pairs:
        out[key].add(value)
    return out


_ALIASES = {
    "79": "TP.HCM;HCM;Sài Gòn",
    "46": "Thừa Thiên;Huế",
    "77": "BR-VT",
    "66": "Đắc Lắc;Daklak",
}
_PROVINCE_ALIASES = [(c, a) for c, aliases in _ALIASES.items() for a in aliases.split(";")]
Option = tuple[tuple[str, ...], float, "str | None"]  # old province codes, score, historical


class Gazetteer:
    """The unit tables and their indexes; build with :meth:`load`."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        """Read the tables from ``data_dir`` (prefer :meth:`load`, which caches)."""
        table = {n: _read(f"{n}.csv", data_dir) for n in ("provinces_pre2025", "provinces_2025")}
        for n in ("districts_pre2025", "wards_pre2025", "wards_2025", "provinces_historical"):
            table[n] = _read(f"{n}.csv", data_dir)
        wards, districts, renamed = _former(table, data_dir)
        table["wards_pre2025"] += wards  # units merged away before 2025, by their own codes
        table["districts_pre2025"] += districts
        #: code → the names a district bore before under the same code (oldest list last)
        self.district_former_names = _grouped(renamed)
        self.provinces_old = {r["code"]: r["name"] for r in table["provinces_pre2025"]}
        self.provinces_new = {r["code"]: r["name"] for r in table["provinces_2025"]}
        self.district_province = {r["code"]: r["province_code"] for r in table["districts_pre2025"]}
        self.ward_district = {r["code"]: r["district_code"] for r in table["wards_pre2025"]}
        self.new_ward_province = {r["code"]: r["province_code"] for r in table["wards_2025"]}
        merges = _read("wards_2025_merges.csv", data_dir)
        self.merges = _grouped((r["old_code"], r["new_code"]) for r in merges)
        hist = table["provinces_historical"]
        self.historical = [HistoricalProvince.from_row(r) for r in hist]
        self._p_old = NameIndex(self.provinces_old, _PROVINCE_ALIASES)
        self._p_new = NameIndex(self.provinces_new)
        aliases = [(str(i), a) for i, r in enumerate(hist) for a in r["aliases"].split(";") if a]
        self._p_hist = NameIndex({str(i): r["name"] for i, r in enumerate(hist)}, aliases)
        self._districts = NameIndex(
            {r["code"]: r["name"] for r in table["districts_pre2025"]},
            [(c, split_type(n)[1]) for c, n in renamed],
        )
        self._wards = NameIndex({r["code"]: r["name"] for r in table["wards_pre2025"]})
        self._new_wards = NameIndex({r["code"]: r["name"] for r in table["wards_2025"]})
        self._districts_of = _grouped((p, d) for d, p in self.district_province.items())
        self._wards_of = _grouped((d, w) for w, d in self.ward_district.items())
        for w, d in self.ward_district.items():
            self._wards_of[self.district_province[d]].add(w)
        self._new_wards_of = _grouped((p, w) for w, p in self.new_ward_province.items())
        votes: dict[str, Counter[str]] = defaultdict(Counter)
        for old_ward, news in self.merges.items():
            if old_ward in self.ward_district:
                new_provinces = (self.new_ward_province[n] for n in news)
                votes[self.province_of_ward(old_ward)].update(new_provinces)
        self.province_old_to_new = {p: c.most_common(1)[0][0] for p, c in votes.items()}

    @classmethod
    def load(cls, data_dir: Path | None = None) -> Gazetteer:
        """The gazetteer of ``data_dir`` (default: the packaged tables), read once and cached."""
        return _load(data_dir or DATA_DIR)

    def province_of_ward(self, ward_code: str) -> str:
        """Pre-2025 province code of a pre-2025 ward code."""
        return self.district_province[self.ward_district[ward_code]]

    def province_of_personal_id(self, pid: str) -> str | None:
        """The birth-registration province named by the first 3 digits of a 12-digit id."""
        digits = re.sub(r"[ .]", "", pid)
        ok = len(digits) == 12 and digits.isdecimal() and digits[0] == "0"
        return self.provinces_old.get(digits[1:3]) if ok else None

    # ----------------------------------------------------------------- matching

    def match_place(self, text: str, *, after_reform: bool | None = None) -> PlaceMatch | None:
        """Resolve a place as printed; ``None`` when no unit in it is recognized.

        Args:
            text: the place as printed or read by OCR.
            after_reform: whether the document was written after 1 July 2025 (from its date),
                when known. It decides a commune name printed without a district that both an
                old ward and a new one of the province bear; by default the old one wins.
        """
        printed = " ".join(unicodedata.normalize("NFC", text).split())
        place = COUNTRY_RE.sub("", printed.replace("\u00d0", "Đ"))  # "…, Việt Nam"
        parts = [p.strip(" .-") for p in re.split(r"[,;\n]", place)]
        segs = [s for p in parts if p for s in place_segments(p)]
        if not segs:
            return None
        prov_seg, options = self._province_options(segs)
        tries = [self._read_levels(segs, prov_seg, o, after_reform) for o in options]
        best = max(
            tries or [self._read_levels(segs, None, ((), 1.0, None), after_reform)],
            key=lambda t: t.total,
        )
        return self._result(printed, best) if best.scores else None

    def _province_options(
        self, segs: list[PlaceSegment]
    ) -> tuple[PlaceSegment | None, list[Option]]:
        """Which segment names the province, and the old-province code sets it may mean."""
        for seg in reversed(segs):
            if seg.kind in ("province", "city") and (found := self._province_lookup(seg.text)):
                return seg, found
        last = segs[-1]
        tries = [*name_suffixes(last.text), ("", last.text)] if last.kind in ("", "sub") else []
        for i, (rest, tail) in enumerate(tries):
            if found := self._province_lookup(tail, fuzzy=i == len(tries) - 1):
                last.text = rest  # what precedes the province stays for the lower levels
                return PlaceSegment("province", tail), found
        return None, []

    def _province_lookup(self, text: str, *, fuzzy: bool = True) -> list[Option]:
        out: list[Option] = [((c,), s, None) for c, s in self._p_old.find(text, fuzzy=fuzzy)]
        for code, s in self._p_new.find(text, fuzzy=fuzzy):
            olds = tuple(sorted(p for p, n in self.province_old_to_new.items() if n == code))
            out.append((olds, s * 0.99, None))
        for idx, s in self._p_hist.find(text, fuzzy=fuzzy):
            h = self.historical[int(idx)]
            out.append((h.successor_codes, s * 0.98, h.name))
        return sorted(out, key=lambda o: -o[1])[:4]

    def _read_levels(
        self,
        segs: list[PlaceSegment],
        prov_seg: PlaceSegment | None,
        option: Option,
        after: bool | None,
    ) -> _Try:
        prov, prov_score, hist = option
        t = _Try(prov, hist, [prov_score] if prov else [], after)
        pending = [
            PlaceSegment("district" if s.kind == "city" else s.kind, s.text, s.type_word)
            for s in segs
            if s is not prov_seg and s.text
        ]
        d_seg = self._take(pending, "district")
        if d_seg is not None:
            scope = set().union(*(self._districts_of[p] for p in prov)) if prov else None
            hits, rest = self._find_seg(self._districts, d_seg, scope)
            if hits:
                t.district = [c for c, _ in hits]
                if len(t.district) == 1:  # "huyện Tĩnh Gia" stays so, as "tỉnh Hà Tây" does
                    t.district_former = printed_former_name(
                        d_seg.text,
                        self._districts.full[t.district[0]],
                        self.district_former_names.get(t.district[0], ()),
                    )
                pending.extend([PlaceSegment("", rest)] if rest else [])
                t.scores.append(hits[0][1])
            else:
                self._missed(t, d_seg, pending)
        self._read_ward(t, pending)
        t.rest = [s.text for s in pending]
        return t

    def _ward_scopes(self, t: _Try) -> list[tuple[NameIndex, set[str] | None, float]]:
        """Where to look for the ward, best first, with the factor a hit there gets."""
        scopes: list[tuple[NameIndex, set[str] | None, float]] = []
        if t.district:
            scopes.append((self._wards, set().union(*(self._wards_of[d] for d in t.district)), 1.0))
        if t.prov:
            # without a district the address may be written after the reform, unless the
            # province printed no longer exists; old units win a tie unless told otherwise
            new = not t.district and not t.hist and bool(set(t.prov) & set(self.provinces_new))
            old_factor = 0.9 if t.district or (new and t.after_reform) else 1.0
            new_factor = 1.0 if new and t.after_reform is not False else 0.9
            scope_old = set().union(*(self._wards_of[p] for p in t.prov))
            scopes.append((self._wards, scope_old, old_factor))
            news = {self.province_old_to_new[p] for p in t.prov if p in self.province_old_to_new}
            scope_new = set().union(*(self._new_wards_of[n] for n in news))
            scopes.append((self._new_wards, scope_new, new_factor))
        elif not t.district:
            scopes += [(self._wards, None, 1.0), (self._new_wards, None, 1.0)]
        return scopes

    def _read_ward(self, t: _Try, pending: list[PlaceSegment]) -> None:
        w_seg = self._take(pending, "ward")
        if w_seg is None:
            return
        for fuzzy in (False, True):  # an exact name in a wider scope beats a fuzzy one nearby
            found: list[tuple[float, int, NameIndex, Hits, str]] = []
            for names, scope, factor in self._ward_scopes(t):
                hits, rest = self._find_seg(names, w_seg, scope, fuzzy=fuzzy)
                if hits:
                    found.append((hits[0][1] * factor, -len(found), names, hits, rest))
            if found:
                score, _, names, hits, rest = max(found, key=lambda f: f[:2])
                if names is self._new_wards:
                    t.new_ward = [c for c, _ in hits]
                else:
                    t.ward = _one_per_unit([c for c, _ in hits])
                    if t.district and not any(set(t.ward) & self._wards_of[d] for d in t.district):
                        t.notes.append(f"{w_seg.text}: không thuộc huyện đã ghi")
                t.scores.append(score)
                pending.extend([PlaceSegment("", rest)] if rest else [])
                return
        self._missed(t, w_seg, pending)

    @staticmethod
    def _missed(t: _Try, seg: PlaceSegment, pending: list[PlaceSegment]) -> None:
        """A typed unit that is not in the tables costs score; an untyped one is detail."""
        if seg.kind in ("", "sub"):
            pending.append(seg)
            return
        t.penalty *= 0.8
        t.notes.append(f"không tìm thấy {seg.type_word} {seg.text}")

    @staticmethod
    def _take(pending: list[PlaceSegment], kind: str) -> PlaceSegment | None:
        """Remove and return the rightmost segment of ``kind``, else the rightmost untyped one."""
        for want in (kind, "", "sub") if kind == "ward" else (kind, ""):
            for i in range(len(pending) - 1, -1, -1):
                if pending[i].kind == want:
                    return pending.pop(i)
        return None

    @staticmethod
    def _find_seg(
        names: NameIndex, seg: PlaceSegment, scope: set[str] | None, *, fuzzy: bool = True
    ) -> tuple[Hits, str]:
        """Find a segment's name (and what precedes it in an untyped "Trạm y tế Phú Linh")."""
        hits, rest = names.find(seg.text, scope, fuzzy=False), ""
        for before, tail in name_suffixes(seg.text) if not hits and seg.kind == "" else ():
            if before and (hits := names.find(tail, scope, fuzzy=False)):
                hits, rest = [(c, s * 0.95) for c, s in hits], before
                break
        if fuzzy and not hits and (seg.kind not in ("", "sub") or scope is not None):
            # untyped text is guessed at only within a province: no nationwide guesses
            hits = names.find(seg.text, scope)
        if seg.type_word and len(hits) > 1:
            hits = [h for h in hits if names.types[h[0]] == seg.type_word] or hits
        if seg.type_word and hits and all(names.types[c] != seg.type_word for c, _ in hits):
            hits = [(c, s * 0.97) for c, s in hits]  # "xã" printed, "phường" since an upgrade
        return hits, rest

    def _resolve(self, t: _Try) -> tuple[str | None, str | None, str | None, list[str]]:
        """Single ward, district and province codes of a reading (None when not unique)."""
        notes = []
        ward = t.ward[0] if len(t.ward) == 1 else None
        if len(t.ward) > 1:
            notes.append("nhiều xã/phường cùng tên: " + _some(self._path(w) for w in t.ward))
        district = self.ward_district[ward] if ward else None
        if district is None and len(t.district) == 1:
            district = t.district[0]
        elif district is None and len(t.district) > 1:
            notes.append("nhiều huyện cùng tên: " + _some(self._path(None, d) for d in t.district))
        prov = self.district_province[district] if district else None
        if prov is None and len(t.prov) == 1:
            prov = t.prov[0]
        elif prov is None and len(t.prov) > 1 and not t.new_ward:
            names = _some(map(self.provinces_old.get, t.prov))
            notes.append(f"{t.hist or 'tỉnh'} nay thuộc: {names}")
        return ward, district, prov, notes

    def _result(self, printed: str, t: _Try) -> PlaceMatch:
        ward, district, prov, notes = self._resolve(t)
        new_codes = tuple(sorted(self.merges.get(ward, ()))) if ward else tuple(t.new_ward)
        new_provs = {self.new_ward_province[c] for c in new_codes}
        if not new_provs:
            olds = [prov] if prov else t.prov
            new_provs = {self.province_old_to_new[p] for p in olds if p in self.province_old_to_new}
        new_prov = next(iter(new_provs)) if len(new_provs) == 1 else None
        new_names = tuple(self._new_wards.full[c] for c in new_codes)
        units = [
            _same_name(self._wards.full, t.ward) or _same_name(self._new_wards.full, t.new_ward),
            t.district_former
            or _same_name(self._districts.full, [district] if district else t.district),
            t.hist or self.provinces_old.get(prov or "") or self.provinces_new.get(new_prov or ""),
        ]
        return PlaceMatch(
            as_printed=printed,
            normalized=", ".join(" ".join(split_type(u)).strip() for u in units if u),
            province_old=self.provinces_old.get(prov or ""),
            district_old=self._districts.full.get(district or ""),
            ward_old=self._wards.full.get(ward or ""),
            province_new=self.provinces_new.get(new_prov or ""),
            ward_new=new_names[0] if len(new_names) == 1 else None,
            ward_new_candidates=new_names,
            score=round(max(0.0, min(1.0, t.total)), 3),
            ambiguous=bool(notes) or len(new_codes) > 1 or len(new_provs) > 1,
            province_historical=t.hist,
            province_old_code=prov,
            district_old_code=district,
            ward_old_code=ward,
            province_new_code=new_prov,
            ward_new_codes=new_codes,
            detail=", ".join(t.rest),
            notes=tuple(t.notes + notes),
        )

    def unit_paths(self, *, after_reform: bool = False) -> list[str]:
        """Every commune or ward with the units above it, as the tables name them.

        Before the reform: "Xã Tân Lập, Huyện Bắc Quang, Tỉnh Hà Giang" (communes of the
        January 2025 list first, then those of earlier lists); after it: "Xã X, Tỉnh Y".
        """
        if after_reform:
            full, provinces = self._new_wards.full, self.provinces_new
            return [f"{full[w]}, {provinces[p]}" for w, p in self.new_ward_province.items()]
        return [self._path(w) for w in self.ward_district]

    def _path(self, ward: str | None, district: str = "") -> str:
        """Where a unit is, for a clerk's note: "Xã Tân Lập, Huyện Bắc Quang, Tỉnh Hà Giang"."""
        district = self.ward_district[ward] if ward else district
        units = (self._wards.full.get(ward or ""), self._districts.full[district])
        return ", ".join(
            [*filter(None, units), self.provinces_old[self.district_province[district]]]
        )


def _some(items: Iterable[str | None], limit: int = 5) -> str:
    """A short list for a clerk's note: "a; b; c; … (+n)"."""
    got = [i for i in items if i]
    return "; ".join(got[:limit]) + (f"; … (+{len(got) - limit})" if len(got) > limit else "")


def _same_name(names: dict[str, str], codes: list[str]) -> str | None:
    """The name the codes share ("Phường 5" of several districts), else None."""
    found = {names[c] for c in codes}
    return found.pop() if len(found) == 1 else None


@cache
def _load(data_dir: Path) -> Gazetteer:
    return Gazetteer(data_dir)


def match_place(text: str, *, after_reform: bool | None = None) -> PlaceMatch | None:
    """:meth:`Gazetteer.match_place` on the packaged tables."""
    return Gazetteer.load().match_place(text, after_reform=after_reform)


def province_codes_old() -> frozenset[str]:
    """The 63 pre-2025 province codes ("01" … "96"); a personal id starts with "0" + one."""
    return frozenset(Gazetteer.load().provinces_old)


def province_codes_new() -> frozenset[str]:
    """The 34 province codes in force from 1 July 2025 (letter 915/CTK-CSCL)."""
    return frozenset(Gazetteer.load().provinces_new)
