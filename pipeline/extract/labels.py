"""Label-anchored form reading: find printed labels in OCR lines, cut out their values."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from schemas.models import BBox, OcrLine, OcrWord

_PUNCT = ":;,.-–—_()[]\"'“”‘’*/"


@functools.lru_cache(maxsize=1 << 16)
def fold(text: str) -> str:
    """Comparison key: lower case, no diacritics, đ→d, punctuation dropped.

    Cached: the readers fold the same words and windows of words many times a page.
    """
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    decomposed = decomposed.replace("Ð", "D")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = "".join(" " if c in _PUNCT else c for c in plain.lower())
    return " ".join(plain.split())


@dataclass(frozen=True)
class LabelSpec:
    """A printed label and the field it introduces.

    ``key`` may name a scoped field (``"@dan_toc"``) whose real name depends on the
    section of the form (child, mother, father).
    """

    key: str
    variants: tuple[str, ...]
    starts_section: str | None = None


@dataclass(frozen=True)
class LabelHit:
    """A label found in a line: which one, where, and how well it matched."""

    spec: LabelSpec
    start: int  # first word index of the label
    end: int  # one past the last word of the label
    score: float
    #: the wording matched ("Nơi thường trú" of the residence label): what the form says
    variant: str = ""


@dataclass(frozen=True)
class Segment:
    """A label and the words of its value on the same line."""

    hit: LabelHit
    words: tuple[OcrWord, ...]

    @property
    def raw(self) -> str:
        """Value text as read, with the leading colon removed."""
        text = " ".join(w.text for w in self.words).strip()
        return text.lstrip(":;.").strip()

    @property
    def bbox(self) -> BBox | None:
        """Union box of the value words."""
        return union_bbox([w.bbox for w in self.words])


def union_bbox(boxes: Sequence[BBox]) -> BBox | None:
    """Smallest box holding all ``boxes`` (None for none)."""
    if not boxes:
        return None
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def _colon_after(words: Sequence[OcrWord], end: int) -> bool:
    last = words[end - 1].text.rstrip()
    nxt = words[end].text if end < len(words) else ""
    return last.endswith((":", ";")) or nxt.startswith((":", ";"))


def find_labels(
    words: Sequence[OcrWord], specs: Sequence[LabelSpec], *, min_score: float = 86.0
) -> list[LabelHit]:
    """Find non-overlapping labels in a line's words, longest and best first.

    A label must be followed by a colon, or match exactly at the start of the line,
    so the same words inside a value (a place called "Quê Quán") are not labels.
    """
    folded = [fold(w.text) for w in words]
    candidates: list[LabelHit] = []
    for spec in specs:
        for variant in spec.variants:
            target = fold(variant)
            n = len(target.split())
            for i in range(len(words) - n + 1):
                got = " ".join(t for t in folded[i : i + n] if t)
                score = 100.0 if got == target else fuzz.ratio(got, target)
                if len(target) < 8 and score < 100:
                    continue  # short labels must match exactly
                colon = _colon_after(words, i + n)
                if score >= min_score and (colon or (i == 0 and score == 100.0)):
                    candidates.append(LabelHit(spec, i, i + n, score, variant))
    # the best match first, then the longest ("Họ tên mẹ" before "Họ tên")
    candidates.sort(key=lambda h: (-round(h.score), -(h.end - h.start), h.start))
    taken: list[LabelHit] = []
    for hit in candidates:
        if all(hit.end <= t.start or hit.start >= t.end for t in taken):
            taken.append(hit)
    return sorted((_longest_wording(h, candidates, taken) for h in taken), key=lambda h: h.start)


def _longest_wording(
    hit: LabelHit, candidates: Sequence[LabelHit], taken: Sequence[LabelHit]
) -> LabelHit:
    """The longer wording of the same label, when the page has it.

    "Nơi cư trú cuối cùng:" read "cuối càng" matches less well than the exact "Nơi cư trú",
    yet it is the label: its last words must not be left at the head of the value.
    """
    others = [t for t in taken if t is not hit]
    longer = [
        c
        for c in candidates
        if c.spec == hit.spec
        and c.start == hit.start
        and c.end > hit.end
        and all(c.end <= t.start or c.start >= t.end for t in others)
    ]
    return max(longer, key=lambda c: c.end) if longer else hit


def split_line(line: OcrLine, specs: Sequence[LabelSpec]) -> list[Segment]:
    """Cut a line into label/value segments (empty when the line has no label)."""
    hits = find_labels(line.words, specs)
    segments = []
    for k, hit in enumerate(hits):
        stop = hits[k + 1].start if k + 1 < len(hits) else len(line.words)
        segments.append(Segment(hit, tuple(line.words[hit.end : stop])))
    return segments


def split_columns(line: OcrLine, *, gap_factor: float = 1.5) -> list[OcrLine]:
    """Split a line at gaps wider than ``gap_factor`` × its height and 3 × its usual word gap.

    Tesseract often joins side-by-side blocks on one baseline (the issuing body and
    the national motto, the number and the place-date line); each column is its own line.
    """
    words = line.words
    if len(words) < 2:
        return [line]
    height = sorted(w.bbox[3] for w in words)[len(words) // 2]
    gaps = [b.bbox[0] - (a.bbox[0] + a.bbox[2]) for a, b in zip(words, words[1:], strict=False)]
    usual = sorted(gaps)[len(gaps) // 2]
    limit = max(gap_factor * height, 3 * usual)
    parts: list[list[OcrWord]] = [[words[0]]]
    for gap, word in zip(gaps, words[1:], strict=True):
        if gap > limit:
            parts.append([word])
        else:
            parts[-1].append(word)
    if len(parts) == 1:
        return [line]
    return [OcrLine(words=p, bbox=union_bbox([w.bbox for w in p]) or line.bbox) for p in parts]


def column_lines(lines: Sequence[OcrLine]) -> list[OcrLine]:
    """Every line split into its columns, in reading order."""
    return [part for line in lines for part in split_columns(line)]
