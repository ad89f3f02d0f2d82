"""Ethnic groups and nationalities as printed on civil-status records.

``normalize_ethnic("Mèo")`` gives the official group (the 54 groups of decision 121-TCTK/PPCĐ,
plus "Người nước ngoài" and "Không rõ", from ``pipeline/data/ethnic_groups.csv``) with its code;
old and alternate names (Mèo → HMông, Mán → Dao, Chàm → Chăm, Hán → Hoa, Việt → Kinh) are
accepted. ``normalize_nationality("Mỹ")`` gives "Hoa Kỳ" and its ISO 3166 code. Both compare
exactly first (case, spacing, hyphens and old/new tone placement ignored), then without
diacritics, then fuzzily (rapidfuzz) for OCR slips. Pure apart from reading the CSV once.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

from pipeline.extract.parsers import name_key
from pipeline.extract.placenames import fold_text

DATA_DIR = Path(__file__).resolve().parents[1] / "data"

#: Spellings seen in registers and software that the CSV lacks (official code → spellings).
_EXTRA_ETHNIC_NAMES = {
    "01": ("Người Việt",),
    "05": ("Khmer", "Khơ-me Krôm"),
    "08": ("Mông", "H'Mông", "Hmong"),
    "10": ("Jrai",),
    "12": ("Rađê",),
    "13": ("Bahnar",),
    "14": ("Xê-đăng", "Sedang"),
    "16": ("K'Ho", "Koho"),
    "22": ("Stiêng",),
    "26": ("Katu",),
    "27": ("Giẻ Triêng", "Giẻ-Triêng"),
    "29": ("Khmu",),
    "31": ("Pa Cô",),
}

#: Nationalities: (ISO 3166-1 alpha-2 code, the name in Vietnamese official use, other spellings).
#: "SU" (Liên Xô), "CS" (Tiệp Khắc) and "DD" (CHDC Đức) are the former codes of ISO 3166-3,
#: for old registers; statelessness has no code.
_NATIONALITIES: tuple[tuple[str | None, str, tuple[str, ...]], ...] = (
    ("VN", "Việt Nam", ("Viet Nam", "Vietnam", "VN", "Cộng hòa xã hội chủ nghĩa Việt Nam")),
    ("CN", "Trung Quốc", ("Trung Hoa", "TQ", "China")),
    ("TW", "Đài Loan (Trung Quốc)", ("Đài Loan", "Taiwan")),
    ("HK", "Hồng Kông (Trung Quốc)", ("Hồng Kông", "Hong Kong")),
    ("LA", "Lào", ("Cộng hòa dân chủ nhân dân Lào", "CHDCND Lào", "Laos")),
    ("KH", "Campuchia", ("Cam-pu-chia", "Căm-pu-chia", "Cao Miên", "Cam Bốt", "Kampuchia")),
    ("TH", "Thái Lan", ("Thailand",)),
    ("KR", "Hàn Quốc", ("Đại Hàn", "Nam Hàn", "Korea")),
    ("KP", "Triều Tiên", ("Bắc Triều Tiên", "CHDCND Triều Tiên")),
    ("JP", "Nhật Bản", ("Nhật", "Japan")),
    ("US", "Hoa Kỳ", ("Mỹ", "USA", "Hợp chúng quốc Hoa Kỳ")),
    ("FR", "Pháp", ("France",)),
    ("DE", "Đức", ("CHLB Đức", "Cộng hòa Liên bang Đức", "Germany")),
    ("DD", "Cộng hòa Dân chủ Đức", ("CHDC Đức", "Đông Đức")),
    ("GB", "Anh", ("Vương quốc Anh", "Liên hiệp Vương quốc Anh và Bắc Ai-len")),
    ("RU", "Nga", ("Liên bang Nga", "LB Nga", "Russia")),
    ("SU", "Liên Xô", ("Liên Xô cũ", "Liên bang Xô viết")),
    ("CS", "Tiệp Khắc", ()),
    ("CZ", "Séc", ("Cộng hòa Séc",)),
    ("PL", "Ba Lan", ()),
    ("HU", "Hungary", ("Hung-ga-ri",)),
    ("BG", "Bulgaria", ("Bun-ga-ri",)),
    ("CU", "Cuba", ("Cu-ba",)),
    ("AU", "Úc", ("Ô-xtrây-li-a", "Australia")),
    ("CA", "Canada", ("Ca-na-đa",)),
    ("SG", "Singapore", ("Xin-ga-po",)),
    ("MY", "Malaysia", ("Ma-lai-xi-a",)),
    ("PH", "Philippines", ("Phi-líp-pin",)),
    ("ID", "Indonesia", ("In-đô-nê-xi-a",)),
    ("MM", "Myanmar", ("Mi-an-ma", "Miến Điện")),
    ("IN", "Ấn Độ", ("India",)),
    ("IT", "Italia", ("I-ta-li-a", "Ý")),
    ("NL", "Hà Lan", ()),
    ("SE", "Thụy Điển", ()),
    (None, "Không quốc tịch", ("Không có quốc tịch",)),
)

_PREFIX_RE = re.compile(r"(?i)^\W*(?:dân\s+tộc|quốc\s+tịch|dt|qt|người)\b\W*")


@dataclass(frozen=True)
class EthnicMatch:
    """An ethnic group as printed, with its official name and code (121-TCTK/PPCĐ).

    ``candidates`` are other official groups the printed name can also denote ("Mán": Dao and
    Sán Dìu; "Thổ" is an official group and an old name of the Tày and the Khmer); ``ambiguous``
    is true when the printed name is only an alternate name shared by several groups.
    """

    name: str
    code: str
    as_printed: str
    score: float
    ambiguous: bool = False
    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class NationalityMatch:
    """A nationality as printed, with its usual Vietnamese name and ISO 3166 code."""

    name: str
    code: str | None
    as_printed: str
    score: float


@dataclass(frozen=True)
class _Entry:
    code: str
    official: bool
    key: str
    fold: str


def _key(text: str) -> str:
    return re.sub(r"[\W_]+", "", name_key(text))


class _Vocabulary:
    """Official names and alternate names of one list, with layered look-up."""

    def __init__(self, names: dict[str, str], others: Iterable[tuple[str, str]]) -> None:
        self.names = names
        rows = [(c, True, n) for c, n in names.items()] + [(c, False, n) for c, n in others]
        self.entries = [_Entry(c, off, _key(n), fold_text(_key(n))) for c, off, n in rows]

    def lookup(self, text: str) -> tuple[list[str], bool, float] | None:
        """(codes best first, whether an official name matched, score) or None."""
        key = _key(text)
        if not key:
            return None
        fold = fold_text(key)
        plain = fold == key  # printed without diacritics: "Lao" may be Lào as well as La Hủ's Lao
        layers = [
            (1.0, [e for e in self.entries if e.key == key or (plain and e.fold == fold)]),
            (0.9, [e for e in self.entries if e.fold == fold]),
        ]
        for score, hits in layers:
            if hits:
                return self._rank(hits, key, score)
        return self._fuzzy(key, fold)

    def _rank(self, hits: list[_Entry], key: str, score: float) -> tuple[list[str], bool, float]:
        official = [e for e in hits if e.official]
        best = official or hits
        if len(best) > 1:  # prefer the exact spelling, then the lower (larger) group code
            best.sort(key=lambda e: (-fuzz.ratio(e.key, key), e.code))
        codes = list(dict.fromkeys(e.code for e in best + hits))
        return codes, bool(official), score if best[0].key == key else min(score, 0.95)

    def _fuzzy(self, key: str, fold: str) -> tuple[list[str], bool, float] | None:
        if len(fold) < 4:
            return None
        choices = {i: e.fold for i, e in enumerate(self.entries) if len(e.fold) >= 3}
        found = process.extract(fold, choices, scorer=fuzz.ratio, score_cutoff=75, limit=5)
        if not found:
            return None
        scored = []
        for _, s, i in found:
            e = self.entries[i]
            exact = fuzz.ratio(key, e.key)
            scored.append((0.9 * (0.6 * s + 0.4 * exact) / 100 * (1.0 if e.official else 0.95), e))
        scored.sort(key=lambda x: (-x[0], x[1].code))
        top = scored[0][0]
        hits = [e for s, e in scored if s >= top - 0.02]
        if len({e.code for e in hits}) > 1 and top < 0.8:
            return None  # two groups equally near: not a confident slip correction
        return list(dict.fromkeys(e.code for e in hits)), hits[0].official, round(top, 3)


@cache
def _ethnic_vocabulary(data_dir: Path = DATA_DIR) -> _Vocabulary:
    with (data_dir / "ethnic_groups.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = {r["code"]: r["name"] for r in rows}
    others = [(r["code"], o.strip()) for r in rows for o in re.split(r"[,.]", r["other_names"])]
    others += [(c, n) for c, extra in _EXTRA_ETHNIC_NAMES.items() for n in extra]
    return _Vocabulary(names, [(c, n) for c, n in others if n])


@cache
def _nationality_vocabulary() -> _Vocabulary:
    names = {name: name for _, name, _ in _NATIONALITIES}
    others = [(name, o) for _, name, extra in _NATIONALITIES for o in extra]
    return _Vocabulary(names, others)


def _clean(text: str) -> str:
    text = " ".join(text.split())
    return _PREFIX_RE.sub("", text) if not re.match(r"(?i)người\s+nước", text) else text


def normalize_ethnic(text: str) -> EthnicMatch | None:
    """The official ethnic group named by ``text`` ("Mèo", "dân tộc Kinh", "KHƠ ME", "Tầy").

    Returns:
        The match (official name, code, score in 0..1), or ``None`` when no group is near.
    """
    vocab = _ethnic_vocabulary()
    found = vocab.lookup(_clean(text))
    if found is None:
        return None
    codes, official, score = found
    ambiguous = not official and len(codes) > 1
    score = score if official else score * (0.8 if ambiguous else 0.95)
    return EthnicMatch(
        name=vocab.names[codes[0]],
        code=codes[0],
        as_printed=text,
        score=round(score, 3),
        ambiguous=ambiguous,
        candidates=tuple(vocab.names[c] for c in codes[1:]),
    )


def normalize_nationality(text: str) -> NationalityMatch | None:
    """The nationality named by ``text`` ("Việt Nam", "Mỹ", "Cam-pu-chia", "quốc tịch: Lào")."""
    found = _nationality_vocabulary().lookup(_clean(text))
    if found is None:
        return None
    names, official, score = found
    code = next(c for c, n, _ in _NATIONALITIES if n == names[0])
    return NationalityMatch(names[0], code, text, round(score if official else score * 0.97, 3))


def nationality_names() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each nationality's official Vietnamese name with its other spellings."""
    return tuple((name, others) for _code, name, others in _NATIONALITIES)
