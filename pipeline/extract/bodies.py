"""Tone marks OCR lost on an issuer line, put back from the names of state bodies (pure).

Issuer lines are printed in bold capitals, and Tesseract's fast Vietnamese model often drops
or swaps their marks ("PHONG AN CHINH TRỊ NỘI BỘ", "THÀNH PHÓ ĐÀ NẴNG"). A word is restored
only when it and a neighbour spell, without marks, two consecutive words of a known body name
(``pipeline/data/body_names.txt``) — the pair decides, never one word alone — and only its
marks change. A restored value is a repair: shown to a clerk, never auto-accepted.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pipeline.extract.labels import fold

DATA = Path(__file__).resolve().parents[1] / "data" / "body_names.txt"


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


def restore_marks(text: str) -> tuple[str, list[str]]:
    """``text`` with lost or wrong tone marks put back, and the words changed ("PHONG→PHÒNG").

    Only capitals are touched (an issuer line); a word keeps its own spelling when no known
    pair holds it.
    """
    words = text.split()
    folded = [fold(w) for w in words]
    pairs = _pairs()
    out = list(words)
    for i, word in enumerate(words):
        if not word.isupper():
            continue
        found = None
        if i + 1 < len(words) and (folded[i], folded[i + 1]) in pairs:
            found = pairs[(folded[i], folded[i + 1])][0]
        elif i > 0 and (folded[i - 1], folded[i]) in pairs:
            found = pairs[(folded[i - 1], folded[i])][1]
        if found and found != word and fold(found) == fold(word) and word.strip(".,;:") == word:
            out[i] = found
    changed = [f"{a}→{b}" for a, b in zip(words, out, strict=True) if a != b]
    return " ".join(out), changed
