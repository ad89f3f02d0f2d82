"""Handwriting samples from the calibration corpus, measured on the pipeline's own words.

    python -m bench.hand_corpus [--pages 240] [--threshold 0.5] [--out FILE]

The rendered-line samples of :mod:`bench.hand_model` are clean type beside clean fonts; real
typed pages are faded, bled-through, foxed and rescanned, and there the first model flagged
typed words by the dozen. Here each page of the calibration corpus (seed 7, never the bench's
seed) is cleaned and read as the product does; a word takes its label from the field whose
box holds it (handwritten when the page's truth lists that field as handwritten; number and
date lines of decisions only for their digits, the rest of those lines being typed). It
reports the packaged model (fitted on rendered lines by :mod:`bench.hand_model`) on these
words, which it never saw, and a model fitted on them with each face and degradation held out
in turn (``--out`` writes that one). Measured on 2026-12-07 the two were about as good (30 %
of handwritten words at 7.8 % of typed words flagged, against 37 % at 10.6 %): word shapes
alone tell degraded handwriting from degraded type poorly. The model refitted on 2026-12-08
(bold and capital typed values among its samples) flags 1.3 % of typed words at 0.9 (2.4 %
before; typed capitals 3.2 %, was 11.5 %) and finds 16 % of handwritten ones (19 % before).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.calibrate import CALIBRATION_SEED
from bench.corpus.build import CorpusPage, build_corpus
from bench.hand_model import _prob, fit_stumps, held_out_table
from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import packaged
from pipeline.extract.kinds import extract_page
from pipeline.imaging.handwriting import FEATURES, MODEL_FILE, line_measures
from pipeline.process import _clean_and_read
from schemas.models import Record

#: The collected samples, kept beside the corpus (to compare models without reading again).
SAMPLES_FILE = "hand_samples.json"
#: Decision lines whose typed text holds handwritten digits.
_MIXED = ("so_ky_hieu", "ngay_ban_hanh")


def _hand_fields(truth: dict[str, Any], index: int) -> set[str]:
    entries = truth.get("entries") or []
    if entries and index < len(entries):
        return set(entries[index].get("handwritten") or [])
    return set(truth.get("handwritten") or [])


def _label(word_text: str, name: str, hand: set[str]) -> int | None:
    if name in _MIXED and name in hand:
        return 1 if any(c.isdigit() for c in word_text) else None  # "Số:", symbol typed
    return int(name in hand)


def _boxes(records: list[Record], truth: dict[str, Any]) -> list[tuple[tuple, str, set[str]]]:
    out = []
    for i, rec in enumerate(records):
        hand = _hand_fields(truth, i)
        out += [(f.bbox, n, hand) for n, f in rec.fields.items() if f.bbox and f.value]
    return out


def page_samples(page: CorpusPage) -> list[tuple[list[float], int, list[str]]]:
    """(measures, label, groups) of the words of one corpus page that sit in a field's box."""
    truth = json.loads(page.truth_path.read_text(encoding="utf-8"))
    groups = [f"face:{page.font}", *(f"degradation:{d}" for d in page.degradations)]
    if truth.get("hand_face"):
        groups.append(f"hand face:{truth['hand_face']}")
    with Image.open(page.image_path) as im, tempfile.TemporaryDirectory() as d:
        im.load()
        opts = ProcessOptions()
        clean, ocr, *_ = _clean_and_read(
            im, stem="p", workdir=Path(d), options=opts, engine=TesseractEngine()
        )
    cal = packaged()
    ex = extract_page(
        truth["kind"], ocr.page, threshold=cal.threshold, calibration=cal, gray=clean.gray
    )
    boxes = _boxes(ex.records, truth)
    out = []
    for line in ocr.page.lines:
        for word, x, _ink in line_measures(clean.gray, line):
            cx, cy = word.bbox[0] + word.bbox[2] / 2, word.bbox[1] + word.bbox[3] / 2
            for (bx, by, bw, bh), name, hand in boxes:
                if bx <= cx <= bx + bw and by <= cy <= by + bh:
                    label = _label(word.text, name, hand)
                    if label is not None and any(c.isalnum() for c in word.text):
                        out.append((x, label, groups))
                    break
    return out


def collect(n_pages: int, workers: int, root: Path) -> list[tuple[list[float], int, list[str]]]:
    """Samples of every page of the calibration corpus (built or reused under ``root``)."""
    cache = root / SAMPLES_FILE
    pages = build_corpus(root, n_pages=n_pages, seed=CALIBRATION_SEED)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        data = [s for page in pool.map(page_samples, pages) for s in page]
    cache.write_text(json.dumps(data), encoding="utf-8")
    return data


def held_out(data: list, threshold: float) -> list[dict[str, Any]]:
    """Per group: fitted without the pages that have it, judged on those that do."""
    x = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data], dtype=float)
    rows = []
    for group in sorted({g for d in data for g in d[2]}):
        test = np.array([group in d[2] for d in data])
        if test.all() or not test.any():
            continue
        hit = _prob(fit_stumps(x[~test], y[~test]), x[test]) >= threshold
        hand = y[test] == 1
        rows.append(
            {
                "held_out": group,
                "hand_words": int(hand.sum()),
                "recall": round(float((hit & hand).sum() / max(1, hand.sum())), 3),
                "typed_words": int((~hand).sum()),
                "typed_flagged": round(float((hit & ~hand).sum() / max(1, (~hand).sum())), 3),
            }
        )
    return rows


def packaged_figures(data: list) -> list[str]:
    """The packaged model on these words (it never saw them): recall and typed words flagged."""
    x = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data], dtype=float) == 1
    model = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    p = _prob(model["stumps"], x)
    lines = [
        "| packaged model, threshold | hand words found | typed words flagged |",
        "|---|---|---|",
    ]
    for t in sorted({0.5, 0.7, 0.9, float(model["threshold"])}):
        hit = p >= t
        lines.append(
            f"| {t:.2f} | {(hit & y).sum() / max(1, y.sum()):.1%} | "
            f"{(hit & ~y).sum() / max(1, (~y).sum()):.1%} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Collect; report the packaged model and a model fitted here, held out by group."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=240)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--root", type=Path, default=Path("var/bench/calib-7-240"))
    ap.add_argument("--out", type=Path, default=None, help="write the model fitted here")
    a = ap.parse_args(argv)
    data = collect(a.pages, a.workers, a.root)
    print("\n".join(packaged_figures(data)))
    rows = held_out(data, a.threshold)
    print("\n" + "\n".join(held_out_table(rows)))
    if a.out is None:
        return
    x = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data], dtype=float)
    model = {
        "features": list(FEATURES),
        "stumps": fit_stumps(x, y),
        "threshold": a.threshold,
        "trained_on": {"corpus_seed": CALIBRATION_SEED, "pages": a.pages, "words": len(data)},
        "held_out": rows,
    }
    a.out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
