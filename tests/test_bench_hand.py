"""The handwriting model's fitting (bench/hand_model.py) and the packaged model's file."""

from __future__ import annotations

import numpy as np

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
