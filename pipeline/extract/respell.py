"""Two OCR slips of printed Vietnamese put right by spelling rules (pure).

- **Words run together**: Tesseract drops the space between two bold capitals or tight words
  ("HƯƠNGSƠN", "Thanhtra"). A token that is no Vietnamese syllable is split where, and only
  where, both halves are syllables of the ``vie`` word list in the same case; a token with
  two such places is left alone.
- **The conventions of "Nơi nhận:"** (Decree 30/2020, Annex I): "Như trên", the abbreviation
  "(để b/c)" ("để báo cáo") and the file copy "Lưu: VT" ("văn thư") are written the same way
  on every document; a reading one or two letters off them is put back ("Nhưưên", "bíc",
  "VI").

Both are repairs: the field goes to a clerk with what was changed, never auto-accepted.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz

#: The ``vie`` word list's syllables, each valid by Vietnamese spelling (pipeline/data/README.md).
SYLLABLES = Path(__file__).resolve().parents[1] / "data" / "vie_syllables.txt"


@cache
def _known() -> frozenset[str]:
    lines = SYLLABLES.read_text(encoding="utf-8").splitlines()
    return frozenset(s for s in (ln.strip() for ln in lines) if s and not s.startswith("#"))


def is_known_syllable(word: str) -> bool:
    """Is the word (any case) a syllable of the ``vie`` word list?"""
    return unicodedata.normalize("NFC", word.lower()) in _known()


_TOKEN = re.compile(r"^([(\[\"“]*)([^\W\d_]+)([)\].,;:\"”]*)$")


def _same_case(a: str, b: str) -> bool:
    if a.isupper() and b.isupper():
        return True
    return a[:1].isupper() and a[1:].islower() and b.islower() or a.islower() and b.islower()


def _syllable(part: str) -> bool:
    return len(part) >= 2 and is_known_syllable(part)


def split_word(word: str) -> str | None:
    """The word split in two ("HƯƠNGSƠN" → "HƯƠNG SƠN"); None: one word, or no one split."""
    if len(word) < 4 or is_known_syllable(word):
        return None
    cuts = [
        i
        for i in range(2, len(word) - 1)
        if _same_case(word[:i], word[i:]) and _syllable(word[:i]) and _syllable(word[i:])
    ]
    return f"{word[: cuts[0]]} {word[cuts[0] :]}" if len(cuts) == 1 else None


def split_joined(text: str) -> tuple[str, list[str]]:
    """``text`` with words run together split, and the changes ("HƯƠNGSƠN→HƯƠNG SƠN")."""
    out, changed = [], []
    for token in text.split():
        m = _TOKEN.match(token)
        split = split_word(m[2]) if m else None
        if m and split:
            out.append(f"{m[1]}{split}{m[3]}")
            changed.append(f"{m[2]}→{split}")
        else:
            out.append(token)
    return " ".join(out), changed


#: "(để b/c)" ("to report"), the commonest remark of a "Nơi nhận" list, as OCR slips it: "để"
#: with another tone ("đề"), the b read h, the slash read as an i (any tone mark), a 1, an l
#: or a bar, or lost, or doubled ("bí/c"), the c read e: a b, one or two such marks and a c
#: is no other remark.
_TO_REPORT = re.compile(
    r"\(\s*[đd][ểềếệễẻeé]\s+[bh]\s*[iíìỉĩị1l|/\\]{0,2}\s*[ce]\s*\)", re.IGNORECASE
)
#: "Lưu" with its L read as a bracket, a bar or a 1 (or a bracket before it); "VT" with its T
#: read as I, 1, l, F, 7
_FILE_COPY = re.compile(r"^\[?[\[|I1(L]ưu(\s*:?\s*)(V[IT1lF7])?\b")
#: "Như Điều3": the article's number run into "Điều"
_ARTICLE = re.compile(r"\b(Điều|điều)(\d)")
_AS_ABOVE = "Như trên"


def recipient_item(item: str) -> tuple[str, list[str]]:
    """One "Nơi nhận" item with its conventional wording put back, and what changed."""
    text, changed = split_joined(item)
    fixed = _TO_REPORT.sub("(để b/c)", text)
    if fixed != text:
        changed.append("để b/c")
    spaced = _ARTICLE.sub(r"\1 \2", fixed)
    if spaced != fixed:
        changed.append("Điều …")
        fixed = spaced
    m = _FILE_COPY.match(fixed)
    if m:
        lead = f"Lưu{m[1]}{'VT' if m[2] else ''}"
        if lead != fixed[: m.end()]:
            changed.append(f"{fixed[: m.end()]}→{lead}")
            fixed = lead + fixed[m.end() :]
    head = fixed.rstrip(" .;,")
    near = head.lower().startswith("nh") and fuzz.ratio(head, _AS_ABOVE) >= 70
    if head != _AS_ABOVE and 5 <= len(head) <= 10 and near:
        changed.append(f"{head}→{_AS_ABOVE}")
        fixed = _AS_ABOVE
    return fixed, changed
