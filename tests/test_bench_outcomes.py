"""Per-field outcomes, register cells and held-out calibration figures (pure, no OCR)."""

from __future__ import annotations

import pytest

from bench import calibrate
from bench.calibrate import (
    SampleSet,
    bench_samples,
    held_out_groups,
    leave_one_group_out,
    pool_held_out,
)
from bench.metrics import grouped_counts, match_entries, outcome_counts, page_outcomes
from pipeline.extract.calibration import Calibration


def _rec(**fields: tuple[str | None, bool]) -> dict:
    """A contract record: name=(value, needs_review)."""
    return {
        "schema": "so_khai_sinh",
        "fields": {k: {"value": v, "needs_review": nr} for k, (v, nr) in fields.items()},
    }


def test_page_outcomes_marks_handwritten_and_unlisted() -> None:
    truth = {
        "fields": {"so_ky_hieu": "115/CV-PA83", "nguoi_ky": "Giàng Seo Phử", "trich_yeu": "V/v"},
        "handwritten": ["so_ky_hieu"],
        "unlisted": ["nguoi_ky"],
    }
    pred = [_rec(so_ky_hieu=("175/CV-PA83", False), nguoi_ky=("Giàng Seo Phử", True))]
    out = {o["name"]: o for o in page_outcomes(pred, truth)}
    assert out["so_ky_hieu"] == {
        "name": "so_ky_hieu",
        "right": False,
        "accepted": True,
        "hand": True,
        "unlisted": False,
        "cell": False,
    }
    assert out["nguoi_ky"]["right"] and not out["nguoi_ky"]["accepted"]
    assert out["nguoi_ky"]["unlisted"]
    assert not out["trich_yeu"]["right"] and not out["trich_yeu"]["accepted"]
    assert outcome_counts(out.values()) == {
        "fields": 3,
        "exact": 1,
        "accepted": 1,
        "accepted_right": 0,
    }


def test_match_entries_by_number_then_row() -> None:
    truth = [{"so": "12"}, {"so": "13"}, {"so": "14"}]
    # Row 0's number misread as 72; rows 1 and 2 swapped in the output.
    pred = [_rec(so=("72", False)), _rec(so=("14", False)), _rec(so=("13", False))]
    assert match_entries(pred, truth) == [0, 2, 1]
    # A missing record: the last entry has none left.
    assert match_entries(pred[:2], truth) == [0, None, 1]


def test_register_cells_count_per_entry() -> None:
    truth = {
        "fields": {"quyen_so": "01/2005"},
        "entries": [
            {
                "so": "12",
                "ho_ten": "Lò Văn Pấng",
                "ghi_chu": "",
                "handwritten": ["ho_ten"],
                "unlisted": ["ho_ten"],
            },
            {"so": "13", "ho_ten": "Hờ Thị Mỷ", "ghi_chu": ""},
        ],
    }
    pred = [
        _rec(quyen_so=("01/2005", False), so=("12", False), ho_ten=("Lò Văn Pâng", False)),
        _rec(so=("13", False), ho_ten=("Hờ Thị Mỷ", False), ghi_chu=("", False)),
    ]
    out = page_outcomes(pred, truth)
    cells = [o for o in out if o["cell"]]
    assert len(out) == 7 and len(cells) == 6  # markers are not fields
    wrong_accepted = [o["name"] for o in cells if o["accepted"] and not o["right"]]
    assert wrong_accepted == ["ho_ten"]
    # ghi_chu of row 0 absent: right (empty) but not accepted.
    assert [o["accepted"] for o in cells if o["name"] == "ghi_chu"] == [False, True]
    groups = grouped_counts([({"font": "serif", "kind": "so_khai_sinh"}, out)])
    assert groups["field"]["register cells"] == {
        "fields": 6,
        "exact": 5,
        "accepted": 5,
        "accepted_right": 4,
    }
    assert groups["field"]["handwritten"]["accepted_right"] == 0
    assert groups["field"]["unlisted name/place"]["fields"] == 1


def test_grouped_counts_faces_and_degradations() -> None:
    outcomes = [
        {"name": "so", "right": True, "accepted": True, "hand": True, "cell": False},
        {"name": "x", "right": False, "accepted": True, "hand": False, "cell": False},
    ]
    page = {
        "font": "serif",
        "hand_face": "charm",
        "kind": "tthc",
        "degradations": ["blur", "scan_bilevel_150"],
    }
    g = grouped_counts([(page, outcomes)])
    assert g["face"]["serif"]["fields"] == 1 and g["face"]["serif"]["accepted_right"] == 0
    assert g["hand face"]["charm"] == {"fields": 1, "exact": 1, "accepted": 1, "accepted_right": 1}
    assert g["degradation"]["blur"]["fields"] == 2
    assert g["degradation"]["scan_bilevel_150"]["fields"] == 2
    g2 = grouped_counts([({"font": "mono", "kind": "tthc"}, outcomes)])
    assert "(none)" in g2["degradation"]


def _samples(groups: list[frozenset[str]], right: list[bool]) -> SampleSet:
    rows = [{"ocr_mean": 0.9, "tag": float(i)} for i in range(len(groups))]
    return SampleSet(rows, right, [True] * len(groups), groups)


def test_leave_one_group_out_never_fits_on_the_held_out_group(monkeypatch) -> None:
    a, b = frozenset({"face:serif", "degradation:blur"}), frozenset({"face:mono"})
    c = frozenset({"face:serif", "hand face:charm"})
    groups = [a] * 30 + [b] * 30 + [c] * 30
    samples = _samples(groups, [True] * 90)
    fitted: list[tuple[str, set[int]]] = []
    judged_group: list[str] = []

    def fake_fit(pick, rows, right, eligible, *, target):
        fitted.append(("", {int(rows[i]["tag"]) for i in pick}))
        return Calibration(weights=(0.0,) * 18, bias=10.0, threshold=0.9, target_precision=target)

    monkeypatch.setattr(calibrate, "_fit_on", fake_fit)
    out = leave_one_group_out(samples, samples, target=0.99, min_fit=10)
    judged_group = sorted(out)
    assert judged_group == [
        "degradation:blur",
        "face:mono",
        "face:serif",
        "hand face:charm",
    ]
    for group, (_, fit_tags) in zip(judged_group, fitted, strict=True):
        assert all(group not in groups[i] for i in fit_tags), group
        assert out[group]["fitted_on"] == len(fit_tags)
    assert out["face:serif"]["fields"] == 60 and out["face:serif"]["fitted_on"] == 30


def test_leave_one_group_out_skips_when_nothing_left_to_fit() -> None:
    samples = _samples([frozenset({"face:serif"})] * 20, [True] * 20)
    out = leave_one_group_out(samples, samples, target=0.99)
    assert out == {"face:serif": {"fields": 20, "skipped": "0 samples to fit on"}}
    assert pool_held_out(out)["precision"] is None


def test_pool_held_out_and_worst_group() -> None:
    by_group = {
        "face:serif": {"fields": 10, "accepted": 8, "accepted_right": 8},
        "degradation:blur": {"fields": 10, "accepted": 5, "accepted_right": 4},
        "face:x": {"fields": 3, "skipped": "0 samples to fit on"},
    }
    pooled = pool_held_out(by_group)
    assert pooled["precision"] == pytest.approx(12 / 13)
    assert pooled["coverage"] == pytest.approx(13 / 20)
    assert pooled["worst_group"] == "degradation:blur"


def test_bench_samples_eligibility_and_groups() -> None:
    page = {
        "font": "sans",
        "hand_face": "",
        "degradations": ["photo_lowres"],
        "sohoa": {
            "outcomes": [
                {"right": True, "accepted": True, "signals": {"valid": 1.0}, "confidence": 0.99},
                {"right": False, "accepted": False, "signals": {"valid": 0.0}, "confidence": 0.4},
                {"right": True, "accepted": False, "signals": {"valid": 1.0}, "confidence": 0.8},
                {"right": True, "accepted": False, "signals": {"valid": 1.0}, "confidence": 0.99},
                {"right": True, "accepted": False},
            ]
        },
    }
    s = bench_samples([page], threshold=0.975)
    assert s.eligible == [True, False, True, False]
    assert s.groups[0] == held_out_groups("sans", "", ["photo_lowres"])
    assert s.groups[0] == frozenset({"face:sans", "degradation:photo_lowres"})


def test_held_out_report_falls_back_to_the_bench_pages_without_the_group(tmp_path) -> None:
    def page(font: str, degs: list[str], good: bool) -> dict:
        sig = {"ocr_mean": 0.95 if good else 0.3, "valid": 1.0}
        outcome = {"right": good, "accepted": good, "signals": sig, "confidence": 0.9}
        return {"font": font, "degradations": degs, "sohoa": {"outcomes": [outcome] * 60}}

    results = [page("serif", ["blur"], True), page("mono", [], False), page("sans", [], True)]
    held = calibrate.held_out_report(
        results,
        calib_samples=tmp_path / "missing.json",
        judged_on="seed 2020",
        threshold=0.975,
        target=0.9,
    )
    assert "bench's own pages" in held["fitted_on"]
    assert held["by_group"]["face:serif"]["fitted_on"] == 120
    assert held["by_group"]["degradation:blur"]["fields"] == 60
    assert held["pooled"]["groups"] == 4


def test_threshold_is_replayed_on_fields_read_at_the_floor() -> None:
    # the bench reads at the floor threshold: a field no check held is "free", and accepted
    # only at the product's threshold (or when its entry number was confirmed by its neighbours)
    def field(value: str, held: bool, conf: float, **extra: float) -> dict:
        signals = {"ocr_mean": conf, "valid": 1.0, **extra}
        return {"value": value, "needs_review": held, "confidence": conf, "signals": signals}

    pred = [
        {
            "schema": "khai_sinh",
            "fields": {
                "so": field("12", False, 0.7),
                "quyen_so": field("01", False, 0.95),
                "ho_ten": field("Lò Văn A", True, 0.99),
                "ngay_sinh": field("2001-01-02", False, 0.6, sequence=1.0),
            },
        }
    ]
    truth = {"fields": {"so": "12", "quyen_so": "01", "ho_ten": "Lò Văn A", "ngay_sinh": "x"}}
    out = {o["name"]: o for o in page_outcomes(pred, truth, threshold=0.9)}
    assert (out["so"]["free"], out["so"]["accepted"]) == (True, False)
    assert (out["quyen_so"]["free"], out["quyen_so"]["accepted"]) == (True, True)
    assert (out["ho_ten"]["free"], out["ho_ten"]["accepted"]) == (False, False)
    assert out["ngay_sinh"]["accepted"] is True
    # held-out samples take "free" as it is: the held field is never eligible
    samples = bench_samples([{"font": "serif", "sohoa": {"outcomes": list(out.values())}}], 0.9)
    assert list(samples.eligible) == [True, True, False, True]
    # without the replay, the read decision stands
    plain = {o["name"]: o for o in page_outcomes(pred, truth)}
    assert plain["so"]["accepted"] is True and "free" not in plain["so"]
