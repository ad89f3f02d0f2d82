"""Pure scoring functions for ``sohoa bench``.

Text is compared after :func:`normalize_for_cer` (NFC, whitespace collapsed), keeping case and
diacritics: "hòa" and "hoà" differ (their NFC forms differ), "Hòa" and "hòa" differ too. Field
and row scores return counts, not rates, so pages can be pooled (:func:`pool_counts`) before
rates are taken (:func:`field_rates`).

Predicted records may be contract dicts as written by ``sohoa process``
(``{"schema", "fields": {name: {"value", ..., "needs_review"}}}``) or
:class:`schemas.models.Record` objects; both are read the same way.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from rapidfuzz.distance import Levenshtein

#: Keys of :func:`field_scores`' counts.
FIELD_COUNT_KEYS = ("fields", "exact", "accepted", "accepted_right")


# --------------------------------------------------------------------------- text


def normalize_for_cer(text: str) -> str:
    """NFC, every run of whitespace (newlines, tabs, form feeds, NBSP) made one space, stripped.

    Case and diacritics are kept.
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


def _rate(distance: int, ref_len: int, hyp_len: int) -> float:
    if ref_len == 0:
        return 0.0 if hyp_len == 0 else 1.0
    return distance / ref_len


def cer(hyp: str, ref: str) -> float:
    """Character error rate: Levenshtein distance / reference length, on normalized text.

    An empty reference gives 0.0 for an empty hypothesis, else 1.0. The rate can exceed 1
    when the hypothesis is much longer than the reference.
    """
    h, r = normalize_for_cer(hyp), normalize_for_cer(ref)
    return _rate(Levenshtein.distance(h, r), len(r), len(h))


def wer(hyp: str, ref: str) -> float:
    """Word error rate: word-level Levenshtein distance / number of reference words.

    Words are the space-separated tokens of the normalized text (punctuation stays attached).
    An empty reference gives 0.0 for an empty hypothesis, else 1.0.
    """
    h, r = normalize_for_cer(hyp).split(), normalize_for_cer(ref).split()
    return _rate(Levenshtein.distance(h, r), len(r), len(h))


# --------------------------------------------------------------------------- skew


def skew_error(est: float | None, truth: float) -> float:
    """Absolute difference in degrees between an estimated and the true skew.

    A missing estimate (the estimator gave up) is scored as 0°, i.e. "no correction"; count
    such failures separately (``sum(e is None for e in estimates)``).
    """
    return abs((0.0 if est is None else float(est)) - float(truth))


def summary(values: Iterable[float]) -> dict[str, float | int | None]:
    """Median, mean and 90th percentile of ``values``, plus their count.

    Returns:
        ``{"median", "mean", "p90", "n"}`` as plain Python numbers; the statistics are None
        when there are no values (JSON-friendly, unlike NaN).
    """
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        return {"median": None, "mean": None, "p90": None, "n": 0}
    return {
        "median": float(np.median(arr)),
        "mean": float(np.mean(arr)),
        "p90": float(np.percentile(arr, 90)),
        "n": int(arr.size),
    }


# --------------------------------------------------------------------------- fields


def _record_fields(record: Any) -> Mapping[str, Any]:
    if isinstance(record, Mapping):
        return record.get("fields") or {}
    return getattr(record, "fields", None) or {}


def _attr(field: Any, name: str, default: Any) -> Any:
    if isinstance(field, Mapping):
        return field.get(name, default)
    return getattr(field, name, default)


def _norm_value(value: Any) -> str:
    return "" if value is None else normalize_for_cer(str(value))


def _field_value(field: Any | None) -> str:
    return _norm_value(None if field is None else _attr(field, "value", None))


def _predicted(pred_records: Sequence[Any], name: str) -> Any | None:
    for record in pred_records:
        field = _record_fields(record).get(name)
        if field is not None:
            return field
    return None


def field_scores(pred_records: Sequence[Any], truth_fields: Mapping[str, Any]) -> dict[str, int]:
    """Count exactly-read and auto-accepted fields of one record against its truth.

    For each truth field, the prediction is that field in the first predicted record that has
    it. Values are equal when they match after NFC and whitespace collapsing (dates compare as
    their ISO strings); a missing or None prediction reads as "", so it is right only for an
    empty truth value. A field is auto-accepted when it was predicted with
    ``needs_review`` False. For a register page, call this once per truth entry with the
    record that has the same ``so``, then :func:`pool_counts`.

    Returns:
        ``{"fields": n, "exact": k, "accepted": a, "accepted_right": r}``; see
        :func:`field_rates` for exact-match rate, coverage (a/n) and precision (r/a).
    """
    counts = dict.fromkeys(FIELD_COUNT_KEYS, 0)
    for name, truth in truth_fields.items():
        field = _predicted(pred_records, name)
        right = _field_value(field) == _norm_value(truth)
        accepted = field is not None and _attr(field, "needs_review", True) is False
        counts["fields"] += 1
        counts["exact"] += right
        counts["accepted"] += accepted
        counts["accepted_right"] += accepted and right
    return counts


def pool_counts(counts: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Sum count dicts (from :func:`field_scores`) key by key."""
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return {k: total[k] for k in FIELD_COUNT_KEYS}


def field_rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """Exact-match rate, auto-accept coverage and precision from (pooled) field counts.

    A rate whose denominator is 0 is None.
    """

    def ratio(num: int, den: int) -> float | None:
        return num / den if den else None

    return {
        "exact_rate": ratio(counts["exact"], counts["fields"]),
        "coverage": ratio(counts["accepted"], counts["fields"]),
        "precision": ratio(counts["accepted_right"], counts["accepted"]),
    }


def rows_split_correctly(
    pred_records: Sequence[Any], truth_entries: Sequence[Mapping[str, Any]]
) -> tuple[int, int]:
    """How many register entries were split into a record of their own.

    An entry is split right when a predicted record has the same entry number ``so`` and the
    same ``ho_ten`` (compared as in :func:`field_scores`); each predicted record can match one
    entry only.

    Returns:
        (entries split right, entries in the truth).
    """
    keys: Counter[tuple[str, str]] = Counter()
    for fields in map(_record_fields, pred_records):
        so, ho_ten = fields.get("so"), fields.get("ho_ten")
        if so is not None and ho_ten is not None:
            keys[(_field_value(so), _field_value(ho_ten))] += 1
    right = 0
    for entry in truth_entries:
        key = (_norm_value(entry.get("so")), _norm_value(entry.get("ho_ten")))
        if keys[key] > 0:
            keys[key] -= 1
            right += 1
    return right, len(truth_entries)
