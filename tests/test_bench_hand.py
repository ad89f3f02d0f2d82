"""The handwriting model's fitting (bench/hand_model.py) and the packaged model's file."""

from __future__ import annotations

import numpy as np
import pytest

from bench.hand_model import _prob, fit_stumps, held_out_table
from pipeline.imaging.handwriting import FEATURES, HandModel


def test_stumps_learn_a_band_a_single_weighted_sum_cannot() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, size=(600, 2))
    y = ((x[:, 0] > 0.3) & (x[:, 0] < 0.7)).astype(float)  # a band on the first measure
    stumps = fit_stumps(x, y, rounds=60)
    p = _prob(stumps, x)
    assert ((p >= 0.5) == (y == 1)).mean() > 0.95


def test_the_product_reads_the_stumps_the_bench_writes() -> None:
    rng = np.random.default_rng(4)
    k = len(FEATURES)
    x = rng.normal(size=(300, k))
    y = (x[:, 2] > 0.2).astype(float)
    stumps = fit_stumps(x, y, rounds=20)
    model = HandModel(tuple((int(j), t, int(s), a) for j, t, s, a in stumps), 0.5)
    bench = _prob(stumps, x[:20])
    product = [model.probability(list(row)) for row in x[:20]]
    assert np.allclose(bench, product)


def test_held_out_table_has_a_row_per_group() -> None:
    rows = [
        {"held_out": g, "hand_words": 1, "recall": 1.0, "typed_words": 2, "typed_flagged": 0.0}
        for g in ("a", "b")
    ]
    table = held_out_table(rows)
    assert len(table) == 4 and table[2].startswith("| a |")


def test_typed_values_printed_in_bold_are_typed_not_hand(monkeypatch) -> None:
    """Extracts print values in bold: the typed samples must hold such words, labelled typed."""
    import random

    import bench.hand_model as hm

    fonts = hm._typed_fonts()
    if not fonts:
        pytest.skip("no typed fonts installed")
    _name, regular, bold = next(f for f in fonts if f[0].endswith("Regular.ttf"))
    monkeypatch.setattr(hm, "BOLD_VALUES", 1.0)
    hand = sorted(hm.HAND_DIR.glob("*.ttf"))[0]
    arr, words = hm.render_line(random.Random(5), regular, hand, bold)
    ink = arr < 128

    def density(w: dict) -> float:
        x, y, bw, bh = w["bbox"]
        return float(ink[y : y + bh, x : x + bw].mean())

    typed = [w for w in words if not w["hand"]]
    values = [density(w) for w in typed if any(c.isdigit() for c in w["text"])]
    labels = [density(w) for w in typed if not any(c.isdigit() for c in w["text"])]
    if not values or not labels:
        pytest.skip("this line drew no typed value beside a label")
    assert min(values) > max(labels) * 0.9  # heavier strokes, still labelled typed


def test_faded_ink_stays_readable_and_lighter() -> None:
    import random

    from bench.hand_model import _faded

    img = np.full((40, 120), 255, np.uint8)
    for x in range(10, 110, 8):
        img[10:30, x : x + 3] = 0  # strokes 3 px wide, as at 300 dpi
    out = _faded(img, random.Random(1))
    assert out.min() > 60  # no black left
    assert (out < out.max() - 40).any()  # but ink is still there
