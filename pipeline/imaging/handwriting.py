"""Is a word's ink handwritten? Measures of its strokes, shape, colour and place in its line.

Offices write the document number and the day in by hand after signing, and old books are
filled in by hand; Tesseract reads handwritten digits as confident typed ones. A word judged
handwritten is never auto-accepted on one reading. The measures are plain image statistics
of the word's crop of the OCR copy; :class:`HandModel` (boosted stumps fitted on the bench's
typed and handwritten renderings by ``bench/hand_model.py``, weights in
``pipeline/data/handwriting.json``) turns them into a probability. Blue or violet ink on a page
is a pen whatever the model says.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.imaging.ink import BLUE, colour_shares
from schemas.models import OcrLine, OcrWord

#: The measures, in the order the model's weights are.
FEATURES = (
    "stroke_cv",  # variation of the stroke width along the strokes
    "stroke_rel",  # mean stroke width ÷ ink height
    "parts_per_char",  # connected ink parts per character (cursive joins letters)
    "straight_edges",  # share of edge directions within 10° of horizontal or vertical
    "slant",  # mean lean of the ink (shear of its second moments)
    "height_rel",  # ink height ÷ the median word height of its line
    "baseline_rel",  # bottom of the ink against the line's median bottom, ÷ height
    "stroke_vs_line",  # mean stroke width ÷ the line's median
    "level_vs_line",  # median ink gray against the line's median (a lighter pen), ÷ 255
)
#: Ink of a word at least this blue (share of its ink pixels) is a pen.
BLUE_PEN_SHARE = 0.25
MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "handwriting.json"


#: One decision stump: (feature index, threshold, sign, weight); it votes ``sign * weight``
#: when the feature is above the threshold, the opposite below.
Stump = tuple[int, float, int, float]


@dataclass(frozen=True)
class HandModel:
    """Boosted decision stumps over :data:`FEATURES` (AdaBoost), and the decision threshold.

    Stumps suit measures whose useful ranges are bands (a stroke neither too even nor too
    uneven) better than one weighted sum; held out face by face they found 5–10 points more
    of the handwritten words than a logistic model at the same share of typed words flagged.
    """

    stumps: tuple[Stump, ...]
    threshold: float = 0.5

    def probability(self, x: Sequence[float]) -> float:
        """Probability that measures ``x`` are of handwritten ink (logistic of twice the vote)."""
        vote = sum(a * s * (1 if x[j] > t else -1) for j, t, s, a in self.stumps)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, 2.0 * vote))))

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> HandModel:
        """The packaged model (fitted by ``python -m bench.hand_model``)."""
        d = json.loads(path.read_text(encoding="utf-8"))
        if tuple(d["features"]) != FEATURES:
            raise ValueError(f"{path}: features {d['features']} != {FEATURES}")
        stumps = tuple((int(j), float(t), int(s), float(a)) for j, t, s, a in d["stumps"])
        return cls(stumps, float(d["threshold"]))


@functools.cache
def hand_model() -> HandModel:
    """The packaged model, read once."""
    return HandModel.load()


def _ink_crop(gray: np.ndarray, box: Sequence[int]) -> np.ndarray | None:
    """The word's ink as a boolean mask (Otsu inside the box), or None when there is none."""
    x, y, w, h = (int(v) for v in box)
    crop = gray[max(0, y) : y + h, max(0, x) : x + w]
    if crop.size < 16 or min(crop.shape) < 4:
        return None
    t, _ = cv2.threshold(crop, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    ink = crop < min(t, 200)
    return ink if np.count_nonzero(ink) >= 8 else None


def _stroke_stats(ink: np.ndarray) -> tuple[float, float]:
    """(coefficient of variation, mean) of the stroke width along the strokes' middles."""
    dist = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 3)
    ridge = (dist > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)))
    widths = 2.0 * dist[ridge]
    if widths.size < 3:
        return 0.0, float(widths.mean()) if widths.size else 0.0
    mean = float(widths.mean())
    return float(widths.std()) / max(mean, 1e-6), mean


def _straight_edges(ink: np.ndarray) -> float:
    """Share of strong edges running within 10° of horizontal or vertical."""
    img = ink.astype(np.float32)
    gx = cv2.Sobel(img, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(img, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    strong = mag > 0.5 * float(mag.max() or 1.0)
    if not strong.any():
        return 0.0
    ang = np.degrees(np.arctan2(np.abs(gy[strong]), np.abs(gx[strong])))  # 0..90
    return float(np.count_nonzero((ang < 10) | (ang > 80))) / ang.size


def _slant(ink: np.ndarray) -> float:
    m = cv2.moments(ink.astype(np.uint8), binaryImage=True)
    return float(m["mu11"] / m["mu02"]) if m["mu02"] > 0 else 0.0


def _own_measures(gray: np.ndarray, word: OcrWord) -> dict[str, Any] | None:
    """What can be measured of a word alone (None: no ink in its box)."""
    ink = _ink_crop(gray, word.bbox)
    if ink is None:
        return None
    x, y, w, h = (int(v) for v in word.bbox)
    crop = gray[max(0, y) : y + h, max(0, x) : x + w]
    ys = np.nonzero(ink.any(axis=1))[0]
    height = float(ys[-1] - ys[0] + 1)
    cv, mean_w = _stroke_stats(ink)
    parts, _ = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    chars = max(1, sum(1 for c in word.text if c.isalnum()))
    return {
        "ink": ink,
        "height": height,
        "bottom": y + float(ys[-1]) + 1,
        "stroke": mean_w,
        "level": float(np.median(crop[ink])),
        "x": [
            cv,
            mean_w / height,
            (parts - 1) / chars,
            _straight_edges(ink),
            _slant(ink),
        ],
    }


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def line_measures(gray: np.ndarray, line: OcrLine) -> list[tuple[OcrWord, list[float], np.ndarray]]:
    """Each inked word of a line with its :data:`FEATURES` (against the line) and ink mask."""
    own = [(w, _own_measures(gray, w)) for w in line.words]
    found = [(w, m) for w, m in own if m is not None]
    if not found:
        return []
    med_h = max(1.0, _median([w.bbox[3] for w, _ in found]))
    med_b = _median([m["bottom"] for _, m in found])
    med_s = max(0.5, _median([m["stroke"] for _, m in found]))
    med_l = _median([m["level"] for _, m in found])
    out = []
    for w, m in found:
        x = [
            *m["x"],
            m["height"] / med_h,
            (m["bottom"] - med_b) / med_h,
            m["stroke"] / med_s,
            (m["level"] - med_l) / 255.0,
        ]
        out.append((w, x, m["ink"]))
    return out


@dataclass(frozen=True)
class HandJudgement:
    """Why a word was judged handwritten: the model's probability and its ink colour."""

    word: OcrWord
    probability: float
    blue: float
    red: float

    @property
    def reason(self) -> str:
        """Plain words for the clerk."""
        if self.blue >= BLUE_PEN_SHARE:
            return "mực xanh (viết tay)"
        return f"nét chữ giống viết tay ({self.probability:.0%})"


def judge_words(
    gray: np.ndarray,
    lines: Sequence[OcrLine],
    *,
    model: HandModel,
    colours: np.ndarray | None = None,
) -> list[HandJudgement]:
    """The words of ``lines`` whose ink looks handwritten (blue pen, or the model says so).

    Blue ink counts as a pen only on a page printed in black: where most of the page's ink
    is blue or violet (a typewriter ribbon, a hectograph or carbon copy) it says nothing.
    """
    if colours is not None and not blue_is_a_pen(gray, colours):
        colours = None
    out = []
    for line in lines:
        for word, x, ink in line_measures(gray, line):
            if not any(c.isalnum() for c in word.text):
                continue
            blue, red = colour_shares(_crop(colours, word.bbox), ink)
            p = model.probability(x)
            if blue >= BLUE_PEN_SHARE or p >= model.threshold:
                out.append(HandJudgement(word, round(p, 3), round(blue, 3), round(red, 3)))
    return out


#: On a page where more than this share of the ink is blue, blue is the print's colour.
BLUE_PRINT_SHARE = 0.5


def blue_is_a_pen(gray: np.ndarray, colours: np.ndarray) -> bool:
    """Is blue ink on this page the exception (a pen) rather than the print itself?"""
    ink = int(np.count_nonzero(gray < 160))
    return ink > 0 and bool(np.count_nonzero(colours == BLUE) <= BLUE_PRINT_SHARE * ink)


def _crop(labels: np.ndarray | None, box: Sequence[int]) -> np.ndarray | None:
    if labels is None:
        return None
    x, y, w, h = (int(v) for v in box)
    return labels[max(0, y) : y + h, max(0, x) : x + w]
