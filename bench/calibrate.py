"""Fit the field-confidence calibration on a corpus generated with its own seed.

The benchmark's corpus (seed 2020) is never used for fitting, so the benchmark measures the
calibration on pages it was not fitted on. Held-out figures go further: for each typed face,
handwriting face and degradation kind, a model is fitted on pages *without* it and judged on
pages *with* it (:func:`leave_one_group_out`) — what to expect from a scanner, a hand or a face
the calibration has never seen.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.corpus.build import CorpusPage, build_corpus
from bench.metrics import _norm_value
from flows.wiring import second_reader
from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import Calibration, choose_threshold, fit, packaged
from pipeline.process import process_image

CALIBRATION_SEED = 7
#: The lowest review threshold (pipeline.extract.calibration.choose_threshold never goes below it).
MIN_THRESHOLD = 0.5


#: One calibration sample: the field's signals, whether it was right, and whether only the
#: threshold decides it (no validator or cross-check sent it to review already).
Sample = tuple[dict[str, float], bool, bool]


def _pairs(records: list[Any], truth: dict) -> list[Sample]:
    out = []
    entries = truth.get("entries") or []
    if entries:
        by_so = {_norm_value(e.get("so")): e for e in entries}
        for rec in records:
            entry = by_so.get(
                _norm_value(rec.fields.get("so").value if "so" in rec.fields else None)
            )
            if entry is None:
                continue
            for name, f in rec.fields.items():
                if name in entry and f.signals:
                    ok = _norm_value(f.value) == _norm_value(entry[name])
                    out.append((f.signals, ok, not f.needs_review))
        return out
    fields = truth.get("fields") or {}
    for rec in records[:1]:
        for name, f in rec.fields.items():
            if name in fields and f.signals:
                ok = _norm_value(f.value) == _norm_value(fields[name])
                out.append((f.signals, ok, not f.needs_review))
    return out


def collect_page(page: CorpusPage) -> tuple[list[Sample], list[str]]:
    """Signals and rightness of every field of one page, and the page's held-out groups.

    Read with the review threshold at its floor (0.5), so a field still sent to review was
    sent by a validator or a cross-check, not by the threshold being fitted.
    """
    os.environ["OMP_THREAD_LIMIT"] = "1"
    truth = json.loads(page.truth_path.read_text(encoding="utf-8"))
    groups = held_out_groups(page.font, truth.get("hand_face"), page.degradations)
    with Image.open(page.image_path) as im, tempfile.TemporaryDirectory() as d:
        im.load()
        out = process_image(
            im,
            stem=page.id,
            workdir=Path(d),
            options=ProcessOptions(review_threshold=MIN_THRESHOLD),
            engine=TesseractEngine(),
            second=second_reader(),
            calibration=packaged(),
        )
    return _pairs(out.result.records, truth), sorted(groups)


def calibrate(
    root: Path,
    *,
    n_pages: int,
    seed: int = CALIBRATION_SEED,
    workers: int = 2,
    target: float = 0.995,
) -> tuple[Calibration, dict[str, Any]]:
    """Build the calibration corpus, read it, fit the model; return it with a summary."""
    pages = build_corpus(root, n_pages=n_pages, seed=seed)
    rows: list[dict[str, float]] = []
    right: list[bool] = []
    eligible: list[bool] = []
    page_of: list[int] = []
    page_groups: list[list[str]] = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        for i, (samples, groups) in enumerate(pool.map(collect_page, pages)):
            page_groups.append(groups)
            for sig, ok, free in samples:
                rows.append(sig)
                right.append(ok)
                eligible.append(free)
                page_of.append(i)
    save_samples(root / SAMPLES_FILE, rows, right, eligible, page_of, page_groups, seed=seed)
    cal = fit(
        rows,
        right,
        target=target,
        fitted_on=f"corpus seed {seed}, {n_pages} pages",
        eligible=eligible,
    )
    cal = with_cross_validated_threshold(cal, rows, right, eligible, page_of, target=target)
    accepted = [
        ok
        for sig, ok, free in zip(rows, right, eligible, strict=True)
        if free and cal.probability(sig) >= cal.threshold
    ]
    summary = {
        "fields": len(rows),
        "right": sum(right),
        "accepted": len(accepted),
        "accepted_right": sum(accepted),
        "threshold": cal.threshold,
        **held_out(rows, right, eligible, page_of, target=target),
    }
    own = SampleSet(rows, right, eligible, [frozenset(page_groups[p]) for p in page_of])
    by_group = leave_one_group_out(own, own, target=target)
    summary["held_out_by_group"] = by_group
    summary["held_out_by_group_pooled"] = pool_held_out(by_group)
    return cal, summary


#: Folds of the cross-validation (by page: a page's fields never split between folds).
FOLDS = 10


def _folds(page_of: list[int], k: int = FOLDS) -> list[tuple[list[int], list[int]]]:
    """(fit on, judge) index lists: each tenth of the pages judged by a model fitted on the rest.

    Two folds were tried first: with half the pages the threshold swung by 0.01 between
    splits; ten folds agree to 0.003.
    """
    out = []
    for fold in range(k):
        fit_on = [i for i, p in enumerate(page_of) if p % k != fold]
        judge = [i for i, p in enumerate(page_of) if p % k == fold]
        if fit_on and judge:
            out.append((fit_on, judge))
    return out


def _fit_on(
    pick: list[int],
    rows: list[dict[str, float]],
    right: list[bool],
    eligible: list[bool],
    *,
    target: float,
) -> Calibration:
    return fit(
        [rows[i] for i in pick],
        [right[i] for i in pick],
        target=target,
        eligible=[eligible[i] for i in pick],
    )


def with_cross_validated_threshold(
    cal: Calibration,
    rows: list[dict[str, float]],
    right: list[bool],
    eligible: list[bool],
    page_of: list[int],
    *,
    target: float,
) -> Calibration:
    """The calibration with its threshold chosen on out-of-fold probabilities.

    A threshold chosen on the very fields the model was fitted on sits at the edge of what
    those fields allow and is optimistic on new pages. Here every field is scored by the
    model fitted on the other pages (:data:`FOLDS` folds), and the threshold is the lowest at which
    those scores reach ``target``; the model itself is the one fitted on all pages.
    (With ten folds the threshold lands close to the one chosen on all pages; the point is
    that it is checked, not assumed, to hold on pages the model has not seen.)
    """
    folds = _folds(page_of)
    if len(folds) < 2:
        return cal
    scores = [0.0] * len(rows)
    for fit_on, judge in folds:
        part = _fit_on(fit_on, rows, right, eligible, target=target)
        for i in judge:
            scores[i] = part.probability(rows[i])
    pick = [i for i, free in enumerate(eligible) if free]
    threshold = choose_threshold(
        np.array([scores[i] for i in pick]), np.array([right[i] for i in pick]), target=target
    )
    return replace(cal, threshold=threshold)


def held_out(
    rows: list[dict[str, float]],
    right: list[bool],
    eligible: list[bool],
    page_of: list[int],
    *,
    target: float,
) -> dict[str, float]:
    """Cross-validated estimate of how the calibration does on pages it was not fitted on.

    Each fold of pages is judged by a model and threshold fitted on the other folds. The
    precision a threshold reaches on its own fitting pages is optimistic (it was chosen
    there); this is the figure to expect on new pages of the same kind.
    """
    accepted = wrong = 0
    folds = _folds(page_of)
    if len(folds) < 2:
        return {}
    for fit_on, judge in folds:
        cal = _fit_on(fit_on, rows, right, eligible, target=target)
        taken = [i for i in judge if eligible[i] and cal.probability(rows[i]) >= cal.threshold]
        accepted += len(taken)
        wrong += sum(1 for i in taken if not right[i])
    return {
        "held_out_coverage": round(accepted / max(1, len(rows)), 4),
        "held_out_precision": round((accepted - wrong) / max(1, accepted), 4),
    }


# --------------------------------------------------------------------------- held out by group

#: The calibration corpus's samples, written beside its pages by :func:`calibrate`.
SAMPLES_FILE = "fields.json"


@dataclass(frozen=True)
class SampleSet:
    """Calibration samples with the held-out groups of the page each one comes from."""

    rows: Sequence[dict[str, float]]
    right: Sequence[bool]
    eligible: Sequence[bool]
    groups: Sequence[frozenset[str]]


def held_out_groups(
    font: str | None, hand_face: str | None, degradations: Iterable[str]
) -> frozenset[str]:
    """The groups a page is held out by: its typed face, handwriting face, degradation kinds.

    Named ``face:<font>``, ``hand face:<face>`` and ``degradation:<name>``.
    """
    groups = {f"face:{font}"} if font else set()
    if hand_face:
        groups.add(f"hand face:{hand_face}")
    return frozenset(groups | {f"degradation:{d}" for d in degradations})


def leave_one_group_out(
    fit_set: SampleSet, judge_set: SampleSet, *, target: float, min_fit: int = 100
) -> dict[str, dict[str, Any]]:
    """For each group of the judged pages: fit on pages without it, judge pages with it.

    ``fit_set`` and ``judge_set`` may be the same set (leave-one-group-out within one corpus)
    or two corpora (fit on the development seed, judge on the reported one). A group whose
    complement leaves fewer than ``min_fit`` samples to fit on is reported as skipped.

    Returns:
        group → ``{"fields", "accepted", "accepted_right", "fitted_on", "threshold"}`` (or
        ``{"fields", "skipped"}``).
    """
    out: dict[str, dict[str, Any]] = {}
    for group in sorted(set().union(*judge_set.groups)):
        pick = [i for i, gs in enumerate(fit_set.groups) if group not in gs]
        judged = [i for i, gs in enumerate(judge_set.groups) if group in gs]
        if len(pick) < min_fit:
            out[group] = {"fields": len(judged), "skipped": f"{len(pick)} samples to fit on"}
            continue
        cal = _fit_on(
            pick, list(fit_set.rows), list(fit_set.right), list(fit_set.eligible), target=target
        )
        taken = [
            i
            for i in judged
            if judge_set.eligible[i] and cal.probability(judge_set.rows[i]) >= cal.threshold
        ]
        out[group] = {
            "fields": len(judged),
            "accepted": len(taken),
            "accepted_right": sum(1 for i in taken if judge_set.right[i]),
            "fitted_on": len(pick),
            "threshold": round(cal.threshold, 4),
        }
    return out


def pool_held_out(by_group: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Pooled held-out precision and coverage over every group judged, and the worst group.

    A field counts once per group it is judged in (a blurred serif page's fields count under
    the serif face and under blur), so the pool weighs every held-out condition.
    """
    done = {g: c for g, c in by_group.items() if "skipped" not in c}
    fields = sum(c["fields"] for c in done.values())
    acc = sum(c["accepted"] for c in done.values())
    right = sum(c["accepted_right"] for c in done.values())
    worst = (
        min((c["accepted_right"] / c["accepted"], g) for g, c in done.items() if c["accepted"])
        if acc
        else None
    )
    return {
        "groups": len(done),
        "fields": fields,
        "accepted": acc,
        "accepted_right": right,
        "precision": right / acc if acc else None,
        "coverage": acc / fields if fields else None,
        "worst_group": None if worst is None else worst[1],
        "worst_precision": None if worst is None else worst[0],
    }


def save_samples(
    path: Path,
    rows: list[dict[str, float]],
    right: list[bool],
    eligible: list[bool],
    page_of: list[int],
    page_groups: list[list[str]],
    *,
    seed: int,
) -> None:
    """Write the calibration corpus's samples (with their pages' groups) as JSON."""
    data = {
        "seed": seed,
        "rows": rows,
        "right": right,
        "eligible": eligible,
        "page_of": page_of,
        "page_groups": page_groups,
    }
    path.write_text(json.dumps(data), encoding="utf-8")


def load_samples(path: Path) -> SampleSet | None:
    """The samples :func:`save_samples` wrote; None when absent or without page groups."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or "page_groups" not in data:
        return None
    groups = [frozenset(data["page_groups"][p]) for p in data["page_of"]]
    return SampleSet(data["rows"], data["right"], data["eligible"], groups)


def bench_samples(results: Iterable[Mapping[str, Any]], threshold: float) -> SampleSet:
    """Samples of the bench's own pages, from the outcomes :mod:`bench.run` records.

    The bench reads with the threshold at its floor, as the calibration corpus does, so a
    field is eligible when no check held it (``"free"``). Results of older runs (read at the
    packaged threshold) have no ``"free"``: a field is then estimated eligible when it was
    auto-accepted, or valid, not repaired and below ``threshold``.
    """
    rows, right, eligible, groups = [], [], [], []
    for page in results:
        page_set = held_out_groups(
            page.get("font"), page.get("hand_face"), page.get("degradations") or []
        )
        for o in (page.get("sohoa") or {}).get("outcomes") or []:
            sig = o.get("signals")
            if not sig:
                continue
            free = _eligible(o, sig, threshold)
            rows.append(sig)
            right.append(bool(o["right"]))
            eligible.append(free)
            groups.append(page_set)
    return SampleSet(rows, right, eligible, groups)


def _eligible(outcome: Mapping[str, Any], sig: Mapping[str, float], threshold: float) -> bool:
    """Did only the threshold decide this bench field (see :func:`bench_samples`)?"""
    if "free" in outcome:
        return bool(outcome["free"])
    return bool(outcome["accepted"]) or (
        sig.get("valid", 0) >= 1
        and not sig.get("repaired")
        and outcome.get("confidence", 0.0) < threshold
    )


def held_out_report(
    results: Iterable[Mapping[str, Any]],
    *,
    calib_samples: Path | None,
    judged_on: str,
    threshold: float,
    target: float,
) -> dict[str, Any]:
    """Held-out figures for the report: judge the bench's pages group by group.

    Each group of the bench's pages (typed face, handwriting face, degradation) is judged by a
    model fitted on the calibration corpus's pages without that group (``calib_samples``,
    written by :func:`calibrate`). Without such samples, the model is fitted on the bench's
    own pages without the group — still never on the group judged.
    """
    results = list(results)
    judge = bench_samples(results, threshold)
    fit_set = load_samples(calib_samples) if calib_samples else None
    if fit_set is not None and calib_samples is not None:
        fitted_on = f"calibration corpus ({calib_samples.parent.name}), pages without the group"
    else:
        fit_set = judge
        fitted_on = (
            "the bench's own pages without the group (no calibration samples with page groups "
            "cached: run `sohoa bench --calibrate`)"
        )
    by_group = leave_one_group_out(fit_set, judge, target=target)
    return {
        "fitted_on": fitted_on,
        "judged_on": judged_on,
        "target": target,
        "by_group": by_group,
        "pooled": pool_held_out(by_group),
    }
