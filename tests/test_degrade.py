"""Tests of the degradations of old scanned book pages (bench.corpus.degrade)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from rapidfuzz.distance import Levenshtein

from bench.corpus import degrade as dg
from bench.corpus import synth, synth_extracts
from pipeline.imaging import page as imaging

GEOMETRIC = {"skew", "borders", "turn", "rescale", "gutter"}
GEOMETRIC |= {"scan_bilevel_150", "scan_bilevel_200", "scan_colour_150", "photo_lowres"}
ALL_OPS = (
    "ink_colour fade bleed_through yellow stains foxing torn_edge missing_corner gutter "
    "skew borders uneven_light turn blur motion_blur rescale noise salt_pepper "
    "scan_bilevel_150 scan_bilevel_200 scan_colour_150 photo_lowres jpeg"
).split()
CAPTURES = ("scan_bilevel_150", "scan_bilevel_200", "scan_colour_150", "photo_lowres")


@pytest.fixture(scope="module")
def page():
    """A small clean birth extract and its truth."""
    return synth.render_birth_extract(4, dpi=100)


@pytest.fixture(scope="module")
def register():
    return synth.render_register_page(2, dpi=100)


def step(name: str, severity: float = 0.6, seed: int = 0) -> dict:
    return dg.sample_step(name, np.random.default_rng(seed), severity)


# ------------------------------------------------------------------ registry and determinism


def test_registry_has_every_op_in_physical_order():
    assert list(dg.OPS) == ALL_OPS
    assert [op.stage for op in dg.OPS.values()] == sorted(op.stage for op in dg.OPS.values())


@pytest.mark.parametrize("name", ALL_OPS)
def test_same_seed_gives_same_pixels_and_truth(page, name):
    img, truth = page
    recipe = [step(name)]
    out1, t1 = dg.degrade(img, truth, seed=5, recipe=recipe)
    out2, t2 = dg.degrade(img, truth, seed=5, recipe=recipe)
    assert out1.tobytes() == out2.tobytes() and t1 == t2
    json.dumps(t1)  # the truth stays JSON


@pytest.mark.parametrize("name", ALL_OPS)
def test_every_op_changes_the_page_and_keeps_a_sensible_size(page, name):
    img, truth = page
    out, new = dg.degrade(img, truth, seed=1, recipe=[step(name)])
    params = new["degradations"][-1]
    a, b = np.asarray(img), np.asarray(out)
    assert b.dtype == np.uint8 and b.shape[:2] == (out.height, out.width)
    assert new["size"] == [out.width, out.height]
    if name in ("skew", "borders"):
        assert img.width < out.width < img.width * 1.4
        assert img.height < out.height < img.height * 1.4
    elif name == "turn":
        assert out.size == (img.size[::-1] if params["deg"] != 180 else img.size)
    elif name in ("rescale", *CAPTURES):
        f = params["dpi"] / params["from_dpi"]
        assert out.size == (round(img.width * f), round(img.height * f))
        assert new["dpi"] == params["dpi"]
    else:
        assert out.size == img.size
    if b.shape == a.shape:
        assert np.abs(b.astype(int) - a.astype(int)).mean() > 0.01, name
    if name in ("yellow", "ink_colour", "scan_colour_150", "photo_lowres"):
        assert out.mode == "RGB" and new["mode"] == "RGB"
    elif name.startswith("scan_bilevel"):
        assert out.mode == "L" and new["mode"] == "1"
    elif name not in ("turn",):
        assert out.mode == img.mode == "L" and new["mode"] == "L"


def test_truth_lists_every_step_with_full_params_and_the_input_is_left_alone(page):
    img, truth = page
    before = json.dumps(truth, sort_keys=True)
    recipe = [
        {"op": "yellow", "strength": 0.5},
        "skew",
        {"op": "rescale", "dpi": 200},
        {"op": "jpeg", "quality": 40},
    ]
    out, new = dg.degrade(img, truth, seed=3, recipe=recipe)
    assert json.dumps(truth, sort_keys=True) == before
    ops = new["degradations"]
    assert [d["op"] for d in ops] == ["yellow", "skew", "rescale", "jpeg"]
    assert ops[0] == {"op": "yellow", "strength": 0.5} and ops[3] == {"op": "jpeg", "quality": 40}
    assert set(ops[1]) == {"op", "deg", "fill"} and new["skew_deg"] == ops[1]["deg"]
    assert ops[2] == {"op": "rescale", "dpi": 200, "from_dpi": 100} and new["dpi"] == 200
    assert new["lines"] == truth["lines"] and new["fields"] == truth["fields"]
    for s in [*new["lines"], *map(str, new["fields"].values())]:
        assert unicodedata.is_normalized("NFC", s)


def test_arrays_in_give_arrays_out(page):
    arr = np.asarray(page[0])
    out, _ = dg.degrade(arr, page[1], seed=1, recipe=[{"op": "noise", "sigma": 5}])
    assert isinstance(out, np.ndarray) and out.shape == arr.shape


def test_unknown_turn_is_refused(page):
    with pytest.raises(ValueError):
        dg.degrade(page[0], page[1], seed=1, recipe=[{"op": "turn", "deg": 45}])


# ------------------------------------------------------------------ geometry truth


@pytest.mark.parametrize(
    ("deg", "fill"), [(4.3, None), (-11.7, None), (-2.5, 30), (0.6, None), (14.5, None)]
)
def test_skew_truth_matches_the_estimate(deg, fill):
    img, truth = synth.render_birth_extract(2, dpi=150)
    out, new = dg.degrade(img, truth, seed=1, recipe=[{"op": "skew", "deg": deg, "fill": fill}])
    assert new["skew_deg"] == deg
    assert abs(imaging.estimate_skew(np.asarray(out)) - deg) <= 0.2


def coarse(gray: np.ndarray) -> np.ndarray:
    small = Image.fromarray(gray).resize((40, 56), Image.Resampling.BOX)
    v = np.asarray(small, np.float64)
    return (v - v.mean()) / (v.std() + 1e-9)


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_orientation_truth_turns_back_to_upright(page, turn):
    img, truth = page
    recipe = [{"op": "skew", "deg": 1.5}, {"op": "turn", "deg": turn}]
    out, new = dg.degrade(img, truth, seed=2, recipe=recipe)
    assert new["orientation_deg"] == turn and new["skew_deg"] == 1.5  # skew stays the residual
    back = imaging.rotate_quarter(np.asarray(out), new["orientation_deg"])
    assert back.shape[0] > back.shape[1]  # portrait again
    clean = coarse(np.asarray(img))
    scores = {
        k: float((coarse(imaging.rotate_quarter(back, k)) * clean).mean())
        for k in (0, 90, 180, 270)
    }
    assert max(scores, key=scores.get) == 0 and scores[0] > 0.6


def test_orientation_adds_up_over_two_turns(page):
    _, new = dg.degrade(
        page[0], page[1], seed=1, recipe=[{"op": "turn", "deg": 270}, {"op": "turn", "deg": 180}]
    )
    assert new["orientation_deg"] == 90


geometric_step = st.one_of(
    st.builds(lambda d: {"op": "skew", "deg": d}, st.floats(-15, 15).map(lambda d: round(d, 2))),
    st.builds(lambda k: {"op": "turn", "deg": k}, st.sampled_from([90, 180, 270])),
    st.builds(
        lambda s: {"op": "borders", "sides": s, "level": 250},  # light: only the dot is dark
        st.lists(st.floats(0, 0.05).map(lambda f: round(f, 3)), min_size=4, max_size=4),
    ),
    st.builds(lambda d: {"op": "rescale", "dpi": d}, st.sampled_from([200, 240, 400])),
    st.builds(
        lambda side, curl: {
            "op": "gutter",
            "side": side,
            "width": 0.1,
            "darkness": 0.0,
            "curl": curl,
        },
        st.sampled_from(["left", "right"]),
        st.sampled_from([0.0, 0.01, 0.03]),
    ),
)


@settings(max_examples=40, deadline=None)
@given(x=st.integers(5, 194), y=st.integers(5, 294), steps=st.lists(geometric_step, max_size=4))
def test_boxes_and_corners_follow_the_geometry(x, y, steps):
    img = np.full((300, 200), 255, np.uint8)
    img[y - 3 : y + 4, x - 3 : x + 4] = 0
    truth = {"degradations": [], "dpi": 300, "cell_boxes": [{"dot": [x - 3, y - 3, x + 4, y + 4]}]}
    if any(s["op"] == "gutter" for s in steps) and min(x, 199 - x) < 25:
        return  # the curl may squeeze a dot at the very edge off the page
    out, new = dg.degrade(img, truth, seed=0, recipe=steps)
    dark = np.argwhere(out < 60)
    cy, cx = dark.mean(axis=0)
    x0, y0, x1, y1 = new["cell_boxes"][0]["dot"]
    assert x0 - 2 <= cx <= x1 + 2 and y0 - 2 <= cy <= y1 + 2
    h, w = out.shape
    for px, py in new["page_corners"]:
        assert -2 <= px <= w + 2 and -2 <= py <= h + 2


def test_register_cell_boxes_stay_on_their_cells(register):
    img, truth = register
    recipe = [
        {"op": "skew", "deg": -3.0},
        {"op": "borders", "sides": [0.02, 0.01, 0.0, 0.03]},
        {"op": "turn", "deg": 90},
        {"op": "rescale", "dpi": 200},
    ]
    out, new = dg.degrade(img, truth, seed=0, recipe=recipe)
    arr = np.asarray(out)
    for row in new["cell_boxes"]:
        x0, y0, x1, y1 = row["ho_ten"]
        assert 0 <= x0 < x1 <= out.width and 0 <= y0 < y1 <= out.height
        assert (arr[y0:y1, x0:x1] < 128).mean() > 0.01  # the name's ink (and rules) are inside


# ------------------------------------------------------------------ recipes


def test_random_recipe_is_deterministic_ordered_and_bounded():
    for seed in range(40):
        severity = seed / 39
        r1 = dg.random_recipe(np.random.default_rng(seed), severity)
        assert r1 == dg.random_recipe(np.random.default_rng(seed), severity)
        assert r1 == dg.sort_recipe(r1)
        names = [s["op"] for s in r1]
        assert len(names) == len(set(names)) and not {"blur", "motion_blur"} <= set(names)
        for s in r1:
            if s["op"] == "skew":
                assert 0.2 <= abs(s["deg"]) <= 15
            if s["op"] == "jpeg":
                assert 30 <= s["quality"] <= 80
            if s["op"] == "rescale":
                assert 200 <= s["dpi"] <= 400
        json.dumps(r1)


def test_severity_means_more_degradation():
    def count(severity: float) -> float:
        return np.mean(
            [len(dg.random_recipe(np.random.default_rng(i), severity)) for i in range(200)]
        )

    assert count(0.1) < count(0.5) < count(0.95)


def test_bleed_through_renders_a_different_page_of_the_same_kind(page):
    img, truth = page
    out, new = dg.degrade(
        img, truth, seed=1, recipe=[{"op": "bleed_through", "back_seed": 77, "strength": 0.2}]
    )
    params = new["degradations"][0]
    assert params["back_kind"] == "khai_sinh" and params["back_font"] == truth["font"]
    diff = np.asarray(img).astype(int) - np.asarray(out).astype(int)
    assert diff.min() >= 0 and (diff > 3).mean() > 0.005  # only darkens, in many places


def test_moderate_ops_keep_the_ink_readable(page):
    """Contrast between ink and paper survives every op at severity 0.6 (cheap legibility)."""
    img, truth = page
    mask = np.asarray(img) < 100  # ink of the clean page
    for name in ALL_OPS:
        if name in GEOMETRIC:
            continue
        out, _ = dg.degrade(img, truth, seed=1, recipe=[step(name, 0.6)])
        gray = np.asarray(out.convert("L"), np.float64)
        ink, paper = np.median(gray[mask]), np.median(gray[~mask])
        assert paper - ink > 60, (name, ink, paper)


def cer(reference: str, hypothesis: str) -> float:
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


@pytest.mark.tesseract
def test_tesseract_still_reads_a_moderately_degraded_page(tmp_path):
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)")
    img, truth = synth_extracts.render_death_extract(5, font="serif")
    recipe = [
        {"op": "fade", "amount": 0.35},
        {"op": "yellow", "strength": 0.5},
        {"op": "stains", "n": 2, "strength": 0.25},
        {"op": "foxing", "n": 40},
        {"op": "bleed_through", "strength": 0.12},
        {"op": "uneven_light", "strength": 0.2},
        {"op": "blur", "sigma": 0.9},
        {"op": "noise", "sigma": 5},
        {"op": "jpeg", "quality": 55},
    ]
    out, new = dg.degrade(img, truth, seed=9, recipe=recipe)
    path = tmp_path / "page.png"
    out.save(path, dpi=(new["dpi"], new["dpi"]))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    run = subprocess.run(
        ["tesseract", str(path), "-", "-l", "vie", "--psm", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if "Failed loading language" in run.stderr:
        pytest.skip("Tesseract has no Vietnamese data (apt-get install tesseract-ocr-vie)")
    text = unicodedata.normalize("NFC", run.stdout)
    assert cer("\n".join(new["lines"]), text) < 0.03


# ------------------------------------------------------------------ scans and photos


@pytest.fixture(scope="module")
def inked_decision():
    """A small decision with a handwritten number and day, a seal and a signature."""
    return synth.render_tthc_decision(
        6, dpi=300, handwritten=["so_ky_hieu", "ngay_ban_hanh"], marks=["seal", "signature"]
    )


@pytest.mark.parametrize("name", CAPTURES)
def test_capture_ops_set_the_dpi_and_keep_every_box_inside_the_image(inked_decision, name):
    img, truth = inked_decision
    out, new = dg.degrade(img, truth, seed=2, recipe=[step(name, 0.9)])
    assert new["dpi"] == new["degradations"][-1]["dpi"] < truth["dpi"] == 300
    assert new["size"] == [out.width, out.height]
    boxes = [b["box"] for b in new["hand_boxes"] + new["mark_boxes"]]
    assert len(boxes) == len(truth["hand_boxes"]) + len(truth["mark_boxes"]) > 0
    for x0, y0, x1, y1 in boxes:
        assert 0 <= x0 < x1 <= out.width and 0 <= y0 < y1 <= out.height
    for x, y in new["page_corners"]:
        assert 0 <= x <= out.width and 0 <= y <= out.height


def test_bilevel_scans_hold_only_black_and_white(inked_decision):
    img, truth = inked_decision
    for name in ("scan_bilevel_150", "scan_bilevel_200"):
        out, new = dg.degrade(img, truth, seed=1, recipe=["skew", "noise", step(name)])
        values = set(np.unique(np.asarray(out)).tolist())
        assert values == {0, 255} and new["mode"] == "1"
        assert new["dpi"] == int(name[-3:])


def test_photo_is_small_oblique_and_the_hand_boxes_follow_the_ink(inked_decision):
    img, truth = inked_decision
    out, new = dg.degrade(img, truth, seed=3, recipe=[step("photo_lowres", 0.9)])
    assert 60 <= new["dpi"] <= 80 and out.mode == "RGB"
    arr = np.asarray(out).astype(int)
    corners = np.asarray(new["page_corners"])
    assert not np.allclose(
        corners, [[0, 0], [out.width, 0], [out.width, out.height], [0, out.height]]
    )
    for item in new["hand_boxes"]:
        x0, y0, x1, y1 = item["box"]
        cut = arr[y0:y1, x0:x1].reshape(-1, 3)
        assert ((cut[:, 2] - cut[:, 0] > 40) & (cut[:, 2] > 80)).sum() > 3, item  # blue ink


def test_capture_replaces_other_captures_and_bilevel_drops_jpeg():
    rng = np.random.default_rng(0)
    recipe = [dg.sample_step(n, rng, 0.5) for n in ("skew", "rescale", "noise", "jpeg")]
    bilevel = dg.with_capture(recipe, dg.sample_step("scan_bilevel_150", rng, 0.5))
    assert [s["op"] for s in bilevel] == ["skew", "noise", "scan_bilevel_150"]
    photo = dg.with_capture(recipe, dg.sample_step("photo_lowres", rng, 0.5))
    assert [s["op"] for s in photo] == ["skew", "noise", "photo_lowres", "jpeg"]
    assert dg.with_capture(recipe, None) == dg.sort_recipe(recipe)
