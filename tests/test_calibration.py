from __future__ import annotations

import numpy as np
import pytest

from pipeline.extract.calibration import (
    FALLBACK,
    SIGNALS,
    choose_threshold,
    fit,
    load,
    wilson_lower,
)


def _sample(rng: np.random.Generator, n: int):
    rows, right = [], []
    for _ in range(n):
        good = rng.random() < 0.85
        base = rng.uniform(0.85, 0.99) if good else rng.uniform(0.3, 0.9)
        rows.append(
            {
                "ocr_mean": base,
                "ocr_min": base - rng.uniform(0, 0.1),
                "valid": 1.0 if good or rng.random() < 0.5 else 0.0,
                "lexicon": 1.0 if good else rng.uniform(0.3, 1),
                "reference": 0.5,
                "label": 1.0,
                "short": 0.0,
            }
        )
        right.append(good)
    return rows, right


def test_fit_separates_and_threshold_keeps_precision():
    rng = np.random.default_rng(0)
    rows, right = _sample(rng, 3000)
    cal = fit(rows, right, target=0.995)
    assert len(cal.weights) == len(SIGNALS)
    probs = np.array([cal.probability(r) for r in rows])
    accepted = probs >= cal.threshold
    precision = np.asarray(right)[accepted].mean()
    assert precision >= 0.995 and accepted.mean() > 0.3
    # held-out data from the same process keeps (nearly) the same precision
    rows2, right2 = _sample(np.random.default_rng(1), 3000)
    probs2 = np.array([cal.probability(r) for r in rows2])
    assert np.asarray(right2)[probs2 >= cal.threshold].mean() >= 0.99


def test_choose_threshold_with_margin():
    probs = np.array([0.99, 0.98, 0.97, 0.6, 0.5])
    right = np.array([True, True, True, False, True])
    kw = {"z": 0.0}  # the point estimate
    assert choose_threshold(probs, right, target=0.85, min_accepted=2, **kw) == 0.97
    assert choose_threshold(probs, right, target=0.8, min_accepted=4, **kw) == 0.5  # 4 of 5
    assert choose_threshold(probs, right, target=0.9, min_accepted=4, **kw) == 0.999  # never


def test_a_small_fitting_set_needs_more_than_its_point_estimate():
    """Precision must reach the target with confidence: a few hundred fields are not enough."""
    probs = np.linspace(0.999, 0.6, 400)
    right = np.ones(400, bool)
    right[[150, 390]] = False  # one wrong among the first 151, a second far down
    loose = choose_threshold(probs, right, target=0.99, z=0.0)
    strict = choose_threshold(probs, right, target=0.99, z=1.2816)
    assert loose < strict < 0.999  # the bound accepts fewer, yet some
    many = np.linspace(0.999, 0.6, 20000)
    assert choose_threshold(many, np.ones(20000, bool), target=0.995, z=1.2816) == pytest.approx(
        0.6
    )
    assert wilson_lower(0, 0, 1.28) == 0.0 and 0.99 < wilson_lower(999, 1000, 1.28) < 0.999


def test_save_and_load_roundtrip(tmp_path):
    path = tmp_path / "cal.json"
    FALLBACK.save(path)
    assert load(path) == FALLBACK
    assert load(tmp_path / "missing.json") == FALLBACK


def test_threshold_is_chosen_on_the_fields_it_decides():
    """Fields a validator already sent to review do not move the auto-accept threshold."""
    rng = np.random.default_rng(2)
    rows, right = _sample(rng, 3000)
    # wrong fields that look sure but were refused by a cross-check (flagged anyway)
    for _ in range(60):
        rows.append(dict(rows[int(np.argmax(right))]))
        right.append(False)
    eligible = [True] * 3000 + [False] * 60
    with_flagged = fit(rows, right, target=0.995)
    without = fit(rows, right, target=0.995, eligible=eligible)
    assert without.threshold < with_flagged.threshold
    probs = np.array([without.probability(r) for r in rows[:3000]])
    assert np.asarray(right[:3000])[probs >= without.threshold].mean() >= 0.995


def test_held_out_estimate_judges_pages_it_was_not_fitted_on():
    from bench.calibrate import held_out

    rows, right = _sample(np.random.default_rng(3), 4000)
    pages = [i // 20 for i in range(4000)]
    est = held_out(rows, right, [True] * 4000, pages, target=0.995)
    assert 0.3 < est["held_out_coverage"] < 0.9
    assert est["held_out_precision"] >= 0.98
    # fields a validator sent to review are never counted as accepted
    none = held_out(rows, right, [False] * 4000, pages, target=0.995)
    assert none["held_out_coverage"] == 0.0


def test_cross_validated_threshold_keeps_the_model_and_holds_on_new_pages():
    from bench.calibrate import with_cross_validated_threshold

    rows, right = _sample(np.random.default_rng(4), 4000)
    pages = [i // 20 for i in range(4000)]
    cal = fit(rows, right, target=0.995)
    cv = with_cross_validated_threshold(cal, rows, right, [True] * 4000, pages, target=0.995)
    assert cv.weights == cal.weights and cv.bias == cal.bias
    assert 0.5 <= cv.threshold <= 0.999
    new_rows, new_right = _sample(np.random.default_rng(5), 4000)
    probs = np.array([cv.probability(r) for r in new_rows])
    assert np.asarray(new_right)[probs >= cv.threshold].mean() >= 0.99
    # one page parity only: nothing to cross-validate with, the threshold is kept
    same = with_cross_validated_threshold(cal, rows, right, [True] * 4000, [0] * 4000, target=0.995)
    assert same == cal
