"""Tests for bench/metrics.py (pure)."""

from __future__ import annotations

import math
import unicodedata

import pytest

from bench.metrics import (
    cer,
    field_rates,
    field_scores,
    normalize_for_cer,
    pool_counts,
    rows_split_correctly,
    skew_error,
    summary,
    wer,
)
from schemas.models import FieldValue, Record


def _rec(**fields: tuple[str | None, bool]) -> dict:
    """A record in the ``sohoa process`` contract shape: name=(value, needs_review)."""
    return {
        "schema": "khai_sinh",
        "fields": {
            k: {"value": v, "raw": v or "", "confidence": 0.9, "bbox": None, "needs_review": nr}
            for k, (v, nr) in fields.items()
        },
    }


# --------------------------------------------------------------------------- text


def test_normalize_collapses_whitespace_keeps_case_and_diacritics() -> None:
    nfd = unicodedata.normalize("NFD", "Hòa")
    assert normalize_for_cer(f"  {nfd}\n\n\tBình\f  AN\u00a0 ") == "Hòa Bình AN"


def test_cer_known_values() -> None:
    assert cer("abc", "abc") == 0.0
    assert cer("abd", "abc") == pytest.approx(1 / 3)
    assert cer("", "abcd") == 1.0
    assert cer("abcdef", "abc") == pytest.approx(1.0)  # 3 insertions / 3
    assert cer("", "") == 0.0
    assert cer("x", "") == 1.0
    assert cer(" \n ", "") == 0.0  # whitespace only is empty after normalizing


def test_cer_ignores_whitespace_layout() -> None:
    assert cer("Họ và\n\ntên:  Lý   Văn", "Họ và tên: Lý Văn") == 0.0


def test_cer_vietnamese_diacritics() -> None:
    # NFD vs NFC of the same word: equal.
    assert cer(unicodedata.normalize("NFD", "Nguyễn"), "Nguyễn") == 0.0
    # Old vs new tone placement differ in NFC: 2 substitutions out of 3 characters.
    assert unicodedata.normalize("NFC", "hòa") != unicodedata.normalize("NFC", "hoà")
    assert cer("hoà", "hòa") == pytest.approx(2 / 3)
    # A lost tone mark is one substitution; case counts too.
    assert cer("Nguyen", "Nguyễn") == pytest.approx(1 / 6)
    assert cer("nguyễn", "Nguyễn") == pytest.approx(1 / 6)
    # Đ (U+0110) and its look-alike Ð (U+00D0) differ.
    assert cer("\u00d0ào", "\u0110ào") == pytest.approx(1 / 3)


def test_wer_known_values() -> None:
    ref = "Nơi sinh: xã Quỳnh Hưng"
    assert wer(ref, ref) == 0.0
    assert wer("Nơi sinh: xã Quynh Hưng", ref) == pytest.approx(1 / 5)
    assert wer("Nơi sinh xã Quỳnh Hưng thêm", ref) == pytest.approx(2 / 5)
    assert wer("", ref) == 1.0
    assert wer("", "") == 0.0
    assert wer("a", "") == 1.0
    assert wer("xã  Quỳnh\nHưng", "xã Quỳnh Hưng") == 0.0


# --------------------------------------------------------------------------- skew, summary


def test_skew_error() -> None:
    assert skew_error(2.0, 2.5) == pytest.approx(0.5)
    assert skew_error(-4.0, 4.0) == pytest.approx(8.0)  # a wrong sign costs twice the angle
    assert skew_error(None, 3.0) == pytest.approx(3.0)  # no estimate = no correction
    assert skew_error(None, 0.0) == 0.0


def test_summary() -> None:
    s = summary([1.0, 2.0, 3.0, 4.0, 10.0])
    assert s["n"] == 5
    assert s["median"] == pytest.approx(3.0)
    assert s["mean"] == pytest.approx(4.0)
    assert s["p90"] == pytest.approx(7.6)  # numpy's linear interpolation
    assert all(isinstance(s[k], float) for k in ("median", "mean", "p90"))
    assert summary(x for x in [0.5]) == {"median": 0.5, "mean": 0.5, "p90": 0.5, "n": 1}


def test_summary_empty_is_json_friendly() -> None:
    s = summary([])
    assert s == {"median": None, "mean": None, "p90": None, "n": 0}
    assert not any(isinstance(v, float) and math.isnan(v) for v in s.values())


# --------------------------------------------------------------------------- fields

TRUTH = {
    "so": "105",
    "ho_ten": "NGUYỄN THU HUYỀN",
    "ngay_sinh": "2011-11-22",
    "dan_toc": "Thái",
    "noi_sinh": "xã Quỳnh Hưng, huyện Quỳnh Lưu",
    "ghi_chu": "",
}


def test_field_scores_counts() -> None:
    pred = [
        _rec(
            so=("105", False),  # accepted, right
            ho_ten=(unicodedata.normalize("NFD", "NGUYỄN  THU\nHUYỀN"), False),  # right after NFC
            ngay_sinh=("2011-11-21", False),  # accepted, wrong
            dan_toc=("Thai", True),  # to review, wrong
            noi_sinh=("xã Quỳnh Hưng, huyện Quỳnh Lưu", True),  # to review, right
            extra=("ignored", False),  # not in the truth: not counted
        )
    ]
    counts = field_scores(pred, TRUTH)
    # ghi_chu is missing from the prediction: reads as "", which equals the empty truth.
    assert counts == {"fields": 6, "exact": 4, "accepted": 3, "accepted_right": 2}
    rates = field_rates(counts)
    assert rates["exact_rate"] == pytest.approx(4 / 6)
    assert rates["coverage"] == pytest.approx(3 / 6)
    assert rates["precision"] == pytest.approx(2 / 3)


def test_field_scores_missing_and_none_values() -> None:
    pred = [_rec(so=(None, False))]
    counts = field_scores(pred, {"so": "7", "ho_ten": "Lý Văn"})
    assert counts == {"fields": 2, "exact": 0, "accepted": 1, "accepted_right": 0}
    assert field_scores([], {"so": "7"}) == {
        "fields": 1,
        "exact": 0,
        "accepted": 0,
        "accepted_right": 0,
    }


def test_field_scores_tone_placement_is_a_difference() -> None:
    counts = field_scores([_rec(dan_toc=("Hoà", False))], {"dan_toc": "Hòa"})
    assert counts["exact"] == 0


def test_field_scores_takes_first_record_with_the_field() -> None:
    pred = [_rec(so=("1", True)), _rec(so=("2", False), ho_ten=("B", False))]
    counts = field_scores(pred, {"so": "2", "ho_ten": "B"})
    assert counts == {"fields": 2, "exact": 1, "accepted": 1, "accepted_right": 1}


def test_field_scores_reads_record_models() -> None:
    rec = Record(
        schema="khai_sinh",
        fields={
            "so": FieldValue(value="105", confidence=0.95, needs_review=False),
            "dan_toc": FieldValue(value="Kinh", confidence=0.4, needs_review=True),
        },
    )
    counts = field_scores([rec], {"so": "105", "dan_toc": "Thái"})
    assert counts == {"fields": 2, "exact": 1, "accepted": 1, "accepted_right": 1}


def test_pool_counts_and_empty_rates() -> None:
    a = {"fields": 3, "exact": 2, "accepted": 1, "accepted_right": 1}
    b = {"fields": 2, "exact": 0, "accepted": 0, "accepted_right": 0}
    assert pool_counts([a, b]) == {"fields": 5, "exact": 2, "accepted": 1, "accepted_right": 1}
    assert pool_counts([]) == {"fields": 0, "exact": 0, "accepted": 0, "accepted_right": 0}
    assert field_rates(pool_counts([])) == {
        "exact_rate": None,
        "coverage": None,
        "precision": None,
    }


# --------------------------------------------------------------------------- rows

ENTRIES = [
    {"so": "1", "ho_ten": "Lý Khánh Hoàn"},
    {"so": "2", "ho_ten": "Nguyễn Hùng Cường"},
    {"so": "3", "ho_ten": "Dương Thúy Ngân"},
]


def test_rows_split_correctly() -> None:
    pred = [
        _rec(so=("1", False), ho_ten=("Lý Khánh Hoàn", False)),
        _rec(so=("2", True), ho_ten=(unicodedata.normalize("NFD", "Nguyễn Hùng Cường"), True)),
        _rec(so=("3", False), ho_ten=("Dương Thuý Ngân", False)),  # other tone placement
    ]
    assert rows_split_correctly(pred, ENTRIES) == (2, 3)


def test_rows_split_merged_rows_and_empty_prediction() -> None:
    merged = [_rec(so=("1", False), ho_ten=("Lý Khánh Hoàn Nguyễn Hùng Cường", False))]
    assert rows_split_correctly(merged, ENTRIES) == (0, 3)
    assert rows_split_correctly([], ENTRIES) == (0, 3)
    assert rows_split_correctly([], []) == (0, 0)


def test_rows_split_one_record_matches_one_entry() -> None:
    twice = [{"so": "1", "ho_ten": "A"}, {"so": "1", "ho_ten": "A"}]
    assert rows_split_correctly([_rec(so=("1", False), ho_ten=("A", False))], twice) == (1, 2)
    # A record without both fields cannot match.
    assert rows_split_correctly([_rec(so=("1", False))], twice) == (0, 2)
