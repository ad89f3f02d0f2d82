"""What a field's value looks like to us, as numbers the calibration combines.

Also the reference look-ups that add what a page does not say: the resolved
administrative unit (and its current successor after the 2025 merger) for places,
the official name of an ethnic group or nationality.
"""

from __future__ import annotations

import csv
import unicodedata
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from pipeline.extract.ethnic import normalize_ethnic, normalize_nationality
from pipeline.extract.gazetteer import match_place
from pipeline.extract.labels import fold
from pipeline.extract.parsers import name_key
from schemas.models import OcrWord

DATA = Path(__file__).resolve().parents[1] / "data"

NAME_FIELDS = {
    "ho_ten",
    "ho_ten_me",
    "ho_ten_cha",
    "nguoi_di_khai",
    "ho_ten_chong",
    "ho_ten_vo",
    "nguoi_ky",
}
PLACE_FIELDS = {
    "noi_sinh",
    "que_quan",
    "noi_cu_tru_me",
    "noi_cu_tru_cha",
    "noi_dang_ky",
    "noi_cu_tru_chong",
    "noi_cu_tru_vo",
    "noi_cu_tru",
    "noi_chet",
    "dia_danh",  # TTHC: where the document was issued (a province or city)
}


@cache
def surnames() -> frozenset[str]:
    """Folded Vietnamese surnames from the packaged list."""
    return frozenset(fold(s) for s in surname_weights())


@cache
def surname_weights() -> dict[str, float]:
    """Surnames as written (NFC) and their share of the population, summed over regions."""
    out: dict[str, float] = {}
    with (DATA / "surnames.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            name = unicodedata.normalize("NFC", row["surname"])
            out[name] = out.get(name, 0.0) + float(row["weight_percent_estimate"] or 0)
    return out


@cache
def _surname_keys() -> frozenset[str]:
    return frozenset(name_key(s) for s in surname_weights())


@cache
def _name_syllable_keys() -> frozenset[str]:
    """Syllables of the packaged given-name and middle-name lists (comparison keys)."""
    words: set[str] = set()
    for fname in ("given_names_male.txt", "given_names_female.txt"):
        for line in (DATA / fname).read_text(encoding="utf-8").splitlines():
            words.update(line.split())
    with (DATA / "middle_names.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            words.update(row["middle_name"].split())
    return frozenset(name_key(w) for w in words)


def given_names_known(name: str) -> bool:
    """Every syllable after the surname is one the name lists know (with its diacritics).

    A miss is not an error — real names are more varied than any list — but OCR misreads of
    names ("Hông" for Hồng, "Tong" for Long) mostly land outside it.
    """
    rest = name.split()[1:]
    return bool(rest) and all(name_key(w) in _name_syllable_keys() for w in rest)


def is_known_surname(word: str) -> bool:
    """The word is a listed surname with its diacritics (any case, either tone placement)."""
    return name_key(word) in _surname_keys()


def repair_surname(name: str) -> tuple[str, str | None]:
    """Restore the diacritics of a surname misread by OCR ("NGUYÊN" → "NGUYỄN").

    Only when the first syllable is not a listed surname as written, but listed surnames
    share its letters without diacritics: the most common of them is taken, in the case the
    page used. Returns the name and a note for the clerk (None when unchanged).
    """
    words = name.split(" ")
    first = words[0] if words else ""
    if not first or is_known_surname(first):
        return name, None
    same = [s for s in surname_weights() if fold(s) == fold(first)]
    if not same:
        return name, None
    best = max(same, key=lambda s: surname_weights()[s])
    fixed = best.upper() if first.isupper() else best
    return " ".join([fixed, *words[1:]]), f"họ sửa theo danh mục: {first} → {fixed}"


def field_kind(name: str) -> str:
    """Name | place | ethnic | nationality | other."""
    if name in NAME_FIELDS:
        return "name"
    if name in PLACE_FIELDS:
        return "place"
    if name.startswith("dan_toc"):
        return "ethnic"
    if name.startswith("quoc_tich"):
        return "nationality"
    return "other"


#: Field families the calibration weighs separately (a sex or an ethnic group read from a
#: short list is surer than a name or a place of the same OCR confidence).
FAMILIES = ("name", "place", "ethnic", "nationality", "date", "number", "pid", "sex", "other")


def field_family(name: str) -> str:
    """The calibration family of a field (one of :data:`FAMILIES`)."""
    kind = field_kind(name)
    if kind != "other":
        return kind
    if name in ("so", "quyen_so", "so_ky_hieu"):
        return "number"
    if name.startswith(("ngay", "nam_sinh", "gio_")):
        return "date"
    if name.startswith("so_dinh_danh"):
        return "pid"
    if name == "gioi_tinh":
        return "sex"
    return "other"


def reference_fit(name: str, value: str | None) -> tuple[float, list[str]]:
    """How well a value fits the reference data for its field (0..1; 0.5 = no reference)."""
    if not value:
        return 0.0, []
    kind = field_kind(name)
    if kind == "name":
        first = value.split()[0] if value.split() else ""
        if not is_known_surname(first):
            return 0.3, []
        return (1.0 if given_names_known(value) else 0.6), []
    if kind == "place":
        m = match_place(value)
        if m is None:
            return 0.3, ["không khớp danh mục đơn vị hành chính"]
        notes = [f"đơn vị: {m.normalized}", *m.notes]
        now = ", ".join(u for u in (m.ward_new, m.province_new) if u)
        if now and (m.ward_new != m.ward_old or m.province_new != m.province_old):
            notes.append(f"nay thuộc: {now}")
        # a unit matched only approximately ("Yên Đông" where the tables have "Yên Đồng") may
        # be a misreading or a unit the tables lack: either way a clerk should look
        score = m.score if m.score >= 0.999 else min(m.score, 0.7)
        return (score * (0.8 if m.ambiguous else 1.0)), notes
    if kind == "ethnic":
        e = normalize_ethnic(value)
        return (e.score if e else 0.0), ([f"dân tộc: {e.name}"] if e and e.name != value else [])
    if kind == "nationality":
        q = normalize_nationality(value)
        return (q.score if q else 0.0), []
    return 0.5, []


def lexicon_share(words: Sequence[OcrWord]) -> float:
    """Share of lettered words the lexicon accepts (1.0 when none have letters)."""
    checked = [w.lexicon for w in words if w.lexicon is not None]
    return 1.0 if not checked else sum(1 for v in checked if v) / len(checked)


def signals(
    name: str, value: str | None, words: Sequence[OcrWord], *, valid: bool, label_score: float
) -> tuple[dict[str, float], list[str]]:
    """The calibration signals of one field, and reference notes for the clerk."""
    confs = [w.conf for w in words]
    ref, notes = reference_fit(name, value)
    return {
        "ocr_mean": sum(confs) / len(confs) if confs else 0.0,
        "ocr_min": min(confs) if confs else 0.0,
        "valid": 1.0 if valid and value else 0.0,
        "lexicon": lexicon_share(words),
        "reference": ref,
        "label": label_score / 100.0,
        "short": 1.0 if value is not None and len(value) <= 3 else 0.0,
        f"is_{field_family(name)}": 1.0,  # the other families are 0 (absent)
    }, notes
