"""Tests of the benchmark corpus generator (bench.corpus.build)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.corpus import build as corpus
from bench.corpus import capture
from bench.corpus import degrade as dg

QUICK = {"n_pages": 10, "seed": 3, "dpi": 80}


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> tuple[Path, list[corpus.CorpusPage]]:
    """A quick corpus, built once (in worker processes) for the module."""
    root = tmp_path_factory.mktemp("corpus")
    return root, corpus.build_corpus(root, workers=2, **QUICK)


def strings(obj) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in [k, *strings(v)]]
    if isinstance(obj, list):
        return [s for v in obj for s in strings(v)]
    return []


# ------------------------------------------------------------------ planning


def test_plan_is_deterministic_by_seed():
    assert corpus.plan_corpus(12, 5) == corpus.plan_corpus(12, 5)
    assert corpus.plan_corpus(12, 5) != corpus.plan_corpus(12, 6)
    assert corpus.plan_corpus(4, 5) == corpus.plan_corpus(12, 5)[:4]  # a prefix of a bigger one
    assert [s.id for s in corpus.plan_corpus(3, 1)] == [
        f"p{i:04d}_{s.kind}" for i, s in enumerate(corpus.plan_corpus(3, 1), start=1)
    ]


@pytest.mark.parametrize("n", [10, 11, 60])
def test_every_degradation_is_planned_and_quick_plans_cover_every_kind(n):
    specs = corpus.plan_corpus(n, 11)
    ops = {step["op"] for s in specs for step in s.recipe}
    assert ops == set(dg.OPS)
    if n >= len(corpus.KINDS):
        assert {s.kind for s in specs} == set(corpus.KINDS)
    for s in specs:
        assert s.recipe == dg.sort_recipe(s.recipe)
        assert s.suffix == (".jpg" if s.recipe[-1]["op"] == "jpeg" else ".png")


def test_a_bigger_plan_mixes_faces_and_dates_in_digits_and_words():
    specs = corpus.plan_corpus(60, 2)
    assert {s.font for s in specs} == set(corpus.corpus_faces())
    assert all(s.font != "hand" for s in specs if s.kind == "tthc")  # decisions are typed
    words = {s.options.get("date_words", "n/a") for s in specs}
    assert {None, "standard", "regional"} <= words
    assert len({s.severity for s in specs}) > 20


def test_faces_without_handwriting_still_plan():
    specs = corpus.plan_corpus(10, 2, faces=("serif", "mono", "sans"))
    assert {s.font for s in specs} <= {"serif", "mono", "sans"}


# ------------------------------------------------------------------ building


def test_quick_corpus_writes_every_file_with_its_truth(quick):
    root, pages = quick
    assert len(pages) == 10 and {p.kind for p in pages} == set(corpus.KINDS)
    assert {d for p in pages for d in p.degradations} == set(dg.OPS)
    for page in pages:
        truth = corpus.read_truth(page)
        assert truth["id"] == page.id and truth["kind"] == page.kind
        assert truth["font"] == page.font
        assert [d["op"] for d in truth["degradations"]] == page.degradations
        assert page.image_path.name == truth["file"] and page.image_path.parent == root
        assert page.clean_path.name == truth["clean"]["file"] == f"{page.id}_clean.png"
        assert truth["recipe_hash"] and truth["generator"]["function"].startswith(
            ("bench.corpus.synth.", "bench.corpus.synth_extracts.")
        )
        for s in strings(truth):
            assert unicodedata.is_normalized("NFC", s), s
        with Image.open(page.image_path) as img:
            assert img.format == ("JPEG" if page.degradations[-1] == "jpeg" else "PNG")
            assert round(img.info["dpi"][0]) == truth["dpi"]
            assert [img.width, img.height] == truth["size"]
            assert img.mode == truth["mode"]
        with Image.open(page.clean_path) as clean:
            assert round(clean.info["dpi"][0]) == truth["clean"]["dpi"] == QUICK["dpi"]
            assert [clean.width, clean.height] == truth["clean"]["size"]
            inked = bool(truth["handwritten"] or truth["marks"])
            assert clean.mode == ("RGB" if inked else "L")


def test_quick_corpus_truth_describes_the_geometry(quick):
    _, pages = quick
    for page in pages:
        truth = corpus.read_truth(page)
        ops = {d["op"]: d for d in truth["degradations"]}
        assert truth["skew_deg"] == ops.get("skew", {}).get("deg", 0.0)
        assert truth["orientation_deg"] == ops.get("turn", {}).get("deg", 0)
        captures = [d for d in truth["degradations"] if d["op"] in capture.CAPTURE]
        assert len(captures) <= 1
        assert truth["dpi"] == (captures[0]["dpi"] if captures else QUICK["dpi"])


def test_second_build_reuses_the_files(quick):
    root, pages = quick
    before = {p: p.stat().st_mtime_ns for p in root.iterdir()}
    again = corpus.build_corpus(root, **QUICK)
    assert again == pages
    assert {p: p.stat().st_mtime_ns for p in root.iterdir()} == before


def test_a_page_whose_recipe_changed_is_rebuilt_alone(tmp_path):
    pages = corpus.build_corpus(tmp_path, n_pages=3, seed=4, dpi=60, workers=1)
    stale = pages[1].truth_path
    truth = json.loads(stale.read_text("utf-8"))
    stale.write_text(json.dumps({**truth, "recipe_hash": "old"}), "utf-8")
    before = {p: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    corpus.build_corpus(tmp_path, n_pages=3, seed=4, dpi=60, workers=1)
    changed = {p.name for p in tmp_path.iterdir() if p.stat().st_mtime_ns != before.get(p)}
    assert changed == {pages[1].image_path.name, pages[1].clean_path.name, stale.name}
    assert json.loads(stale.read_text("utf-8")) == truth


def test_same_seed_gives_the_same_files_in_or_out_of_worker_processes(quick, tmp_path):
    root, pages = quick
    serial = corpus.build_corpus(
        tmp_path, workers=1, n_pages=4, seed=QUICK["seed"], dpi=QUICK["dpi"]
    )
    for a, b in zip(pages[:4], serial, strict=True):
        assert a.id == b.id
        assert a.truth_path.read_bytes() == b.truth_path.read_bytes()
        assert a.clean_path.read_bytes() == b.clean_path.read_bytes()
        with Image.open(a.image_path) as ia, Image.open(b.image_path) as ib:
            assert np.array_equal(np.asarray(ia), np.asarray(ib))


def test_clean_page_is_the_undegraded_render(quick):
    _, pages = quick
    page = next(p for p in pages if p.kind == "so_khai_sinh")
    truth = corpus.read_truth(page)
    from bench.corpus import synth

    img, clean_truth = synth.render_register_page(
        truth["generator"]["seed"], font=page.font, **truth["generator"]["options"]
    )
    with Image.open(page.clean_path) as stored:
        assert np.array_equal(np.asarray(stored), np.asarray(img))
    assert truth["clean"]["cell_boxes"] == clean_truth["cell_boxes"]
    assert truth["lines"] == clean_truth["lines"] and truth["entries"] == clean_truth["entries"]
