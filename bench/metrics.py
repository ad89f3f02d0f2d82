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


# --------------------------------------------------------------------------- outcomes

#: Keys of a truth entry (or page truth) that are markers, not fields.
MARKER_KEYS = frozenset({"handwritten", "unlisted"})


def _fields_of_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A truth entry's fields: its scalar values, without marker lists."""
    return {
        k: v for k, v in entry.items() if k not in MARKER_KEYS and not isinstance(v, list | dict)
    }


def field_outcomes(
    pred_records: Sequence[Any],
    truth_fields: Mapping[str, Any],
    *,
    handwritten: Iterable[str] = (),
    unlisted: Iterable[str] = (),
    cell: bool = False,
    threshold: float | None = None,
) -> list[dict[str, Any]]:
    """One outcome per truth field: was it read right, was it auto-accepted, what it was.

    Fields are looked up and compared as in :func:`field_scores`. With ``threshold``, the
    records were read with the review threshold at its floor (as the calibration corpus is)
    and the product's decision is replayed: a field is auto-accepted when no check held it
    (``"free"``) and its confidence reaches ``threshold`` (or its entry number was confirmed
    by the numbers around it). The held-out figures then know which fields a lower threshold
    would really take — after the second reader and the handwriting checks had their say.

    Args:
        pred_records: predicted records (the first one that has a field gives it).
        truth_fields: field name → true value.
        handwritten: names of the fields whose value was handwritten on the page.
        unlisted: names of the fields holding a name or place absent from the product lists.
        cell: True for the cells of a register entry.
        threshold: the product's auto-accept threshold to replay (None: read at it).

    Returns:
        ``{"name", "right", "accepted", "hand", "unlisted", "cell"}`` per field (JSON-ready),
        plus ``"signals"`` and ``"confidence"`` when the prediction carries signals (a
        :class:`schemas.models.FieldValue`), for the held-out calibration figures, and
        ``"free"`` when ``threshold`` is replayed.
    """
    hand, unl = set(handwritten), set(unlisted)
    out = []
    for name, truth in truth_fields.items():
        field = _predicted(pred_records, name)
        outcome = {
            "name": name,
            "right": _field_value(field) == _norm_value(truth),
            "accepted": field is not None and _attr(field, "needs_review", True) is False,
            "hand": name in hand,
            "unlisted": name in unl,
            "cell": cell,
        }
        if field is not None and _attr(field, "signals", None):
            outcome["signals"] = dict(_attr(field, "signals", {}))
            outcome["confidence"] = float(_attr(field, "confidence", 0.0))
            if threshold is not None:
                free = outcome["accepted"]
                sure = outcome["confidence"] >= threshold or outcome["signals"].get("sequence")
                outcome.update(free=free, accepted=bool(free and sure))
        out.append(outcome)
    return out


def match_entries(
    pred_records: Sequence[Any], truth_entries: Sequence[Mapping[str, Any]]
) -> list[int | None]:
    """Index of the predicted record matched to each truth entry (None: no record left).

    First by entry number: a record whose ``so`` was read as the entry's number. Entries left
    then take the unmatched record at their own row index, and the rest pair up in row order.
    Each record matches one entry at most.
    """
    free = list(range(len(pred_records)))
    match: list[int | None] = [None] * len(truth_entries)
    for t, entry in enumerate(truth_entries):
        want = _norm_value(entry.get("so"))
        for i in free:
            if want and _field_value(_record_fields(pred_records[i]).get("so")) == want:
                match[t] = i
                free.remove(i)
                break
    for t in range(len(truth_entries)):
        if match[t] is None and t in free:
            match[t] = t
            free.remove(t)
    for t in range(len(truth_entries)):
        if match[t] is None and free:
            match[t] = free.pop(0)
    return match


def page_outcomes(
    pred_records: Sequence[Any], truth: Mapping[str, Any], *, threshold: float | None = None
) -> list[dict[str, Any]]:
    """Outcomes of a page's fields and, on a register page, of every entry's cells.

    The page's own fields (an extract's fields, a register page's header) are looked up in
    all records; each truth entry's cells only in the record matched to it
    (:func:`match_entries`), so a cell read into the wrong row counts as wrong.
    ``threshold`` as in :func:`field_outcomes`.
    """
    out = field_outcomes(
        pred_records,
        _fields_of_entry(truth.get("fields") or {}),
        handwritten=truth.get("handwritten") or (),
        unlisted=truth.get("unlisted") or (),
        threshold=threshold,
    )
    entries = truth.get("entries") or []
    for entry, idx in zip(entries, match_entries(pred_records, entries), strict=True):
        out += field_outcomes(
            [] if idx is None else [pred_records[idx]],
            _fields_of_entry(entry),
            handwritten=entry.get("handwritten") or (),
            unlisted=entry.get("unlisted") or (),
            cell=True,
            threshold=threshold,
        )
    return out


def outcome_counts(outcomes: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Pool outcomes into :func:`field_scores`-style counts."""
    counts = dict.fromkeys(FIELD_COUNT_KEYS, 0)
    for o in outcomes:
        counts["fields"] += 1
        counts["exact"] += bool(o["right"])
        counts["accepted"] += bool(o["accepted"])
        counts["accepted_right"] += bool(o["accepted"] and o["right"])
    return counts


def page_groups(page: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (section, group) pairs a measured page belongs to.

    Sections: ``"face"`` (typed face), ``"hand face"``, ``"degradation"`` (``(none)`` when
    none) and ``"kind"``.
    """
    groups = [("face", str(page.get("font") or "?")), ("kind", str(page.get("kind") or "?"))]
    if page.get("hand_face"):
        groups.append(("hand face", str(page["hand_face"])))
    groups += [("degradation", d) for d in page.get("degradations") or ["(none)"]]
    return groups


def grouped_counts(
    pages: Iterable[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
) -> dict[str, dict[str, dict[str, int]]]:
    """Field counts per section and group, from (page, its outcomes) pairs.

    A field counts under its page's kind and each of its page's degradations; under the
    page's typed face when typed and under the page's handwriting face when handwritten.
    The section ``"field"`` pools across pages: ``all``, ``handwritten``, ``register cells``
    and ``unlisted name/place``.

    Returns:
        section → group → counts (keys of :data:`FIELD_COUNT_KEYS`).
    """
    bins: dict[str, dict[str, list[Mapping[str, Any]]]] = {}

    def put(section: str, group: str, items: Iterable[Mapping[str, Any]]) -> None:
        bins.setdefault(section, {}).setdefault(group, []).extend(items)

    for page, outcomes in pages:
        for section, group in page_groups(page):
            if section == "face":
                put(section, group, [o for o in outcomes if not o.get("hand")])
            elif section == "hand face":
                put(section, group, [o for o in outcomes if o.get("hand")])
            else:
                put(section, group, outcomes)
        put("field", "all", outcomes)
        for flag, label in (("hand", "handwritten"), ("cell", "register cells")):
            put("field", label, [o for o in outcomes if o.get(flag)])
        put("field", "unlisted name/place", [o for o in outcomes if o.get("unlisted")])
    return {s: {g: outcome_counts(v) for g, v in groups.items()} for s, groups in bins.items()}
