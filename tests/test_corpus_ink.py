"""Tests of handwriting and marks on synthetic pages (bench.corpus.handwriting, marks, inked)."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bench.corpus import build as corpus
from bench.corpus import capture, synth, synth_extracts
from bench.corpus import handwriting as hw
from bench.corpus import marks as mk
from schemas.models import ENTRY_EXTRAS

ALL_MARKS = ["seal", "signature", "margin_note", "copy_stamp"]


@pytest.fixture(scope="module")
def decision():
    """A decision with its number and day handwritten and every mark, and the same page typed."""
    inked = synth.render_tthc_decision(
        11, dpi=150, handwritten=["so_ky_hieu", "ngay_ban_hanh"], marks=ALL_MARKS
    )
    return inked, synth.render_tthc_decision(11, dpi=150)


def blue(arr: np.ndarray) -> np.ndarray:
    a = arr.astype(int)
    return (a[..., 2] - a[..., 0] > 50) & (a[..., 2] - a[..., 1] > 30)


def red(arr: np.ndarray) -> np.ndarray:
    a = arr.astype(int)
    return (a[..., 0] - a[..., 1] > 60) & (a[..., 0] - a[..., 2] > 50)


def cut(arr: np.ndarray, box: list[int]) -> np.ndarray:
    x0, y0, x1, y1 = box
    return arr[y0:y1, x0:x1]


def test_handwritten_decision_records_its_hand_and_marks(decision):
    (img, truth), (typed, typed_truth) = decision
    assert img.mode == "RGB" and truth["mode"] == "RGB" and typed.mode == "L"
    assert truth["handwritten"] == ["so_ky_hieu", "ngay_ban_hanh"]
    assert truth["hand_face"] in hw.HAND_FACES
    assert truth["marks"] == ALL_MARKS
    assert [m["mark"] for m in truth["mark_boxes"]] == ALL_MARKS
    assert {b["field"] for b in truth["hand_boxes"]} == {"so_ky_hieu", "ngay_ban_hanh"}
    # the same document: fields and the text a reader reads do not change
    assert truth["fields"] == typed_truth["fields"] and truth["lines"] == typed_truth["lines"]
    for key in ("handwritten", "marks", "hand_boxes", "mark_boxes"):
        assert key not in typed_truth


def test_hand_ink_is_where_the_number_is_and_the_typed_symbol_stays(decision):
    (img, truth), _ = decision
    arr = np.asarray(img)
    number = next(b["box"] for b in truth["hand_boxes"] if b["field"] == "so_ky_hieu")
    assert blue(cut(arr, number)).sum() > 20  # seed 11's clerk writes in blue ballpoint
    assert blue(arr[: number[1] - 5]).sum() == 0  # and nothing above is blue
    # the digits are ink, not type: few neutral dark (typed) pixels in their box
    px = cut(arr, number).astype(int).reshape(-1, 3)
    neutral = (px.max(axis=1) < 100) & (px.max(axis=1) - px.min(axis=1) < 25)
    assert blue(cut(arr, number)).sum() > 5 * neutral.sum()
    # the typed symbol "/QĐ-…" stays, right of the digits, in black
    right = arr[number[1] : number[3], number[2] : number[2] + 60].astype(int)
    assert ((right.max(axis=2) < 100) & (np.ptp(right, axis=2) < 25)).sum() > 20
    line = truth["lines"][2]
    assert line.startswith(f"Số: {truth['fields']['so_ky_hieu']}")


def test_hand_ink_is_coloured(decision):
    (img, truth), _ = decision
    arr = np.asarray(img).astype(int)
    for item in truth["hand_boxes"]:
        px = cut(arr, item["box"]).reshape(-1, 3)
        dark = px[px.sum(axis=1) < 450]
        assert len(dark) > 10, item
        spread = (dark.max(axis=1) - dark.min(axis=1)).mean()
        assert spread > 25 or dark.mean() < 80, item  # blue/violet ink, or black


def test_seal_is_red_and_sits_over_the_signer(decision):
    (img, truth), _ = decision
    arr = np.asarray(img)
    seal = next(m["box"] for m in truth["mark_boxes"] if m["mark"] == "seal")
    sign = next(m["box"] for m in truth["mark_boxes"] if m["mark"] == "signature")
    assert red(cut(arr, seal)).sum() > 500
    overlap_x = min(seal[2], sign[2]) - max(seal[0], sign[0])
    overlap_y = min(seal[3], sign[3]) - max(seal[1], sign[1])
    assert overlap_x > 0 and overlap_y > 0
    assert red(arr).sum() <= red(cut(arr, seal)).sum() + red(cut(arr, _stamp(truth))).sum()


def _stamp(truth: dict) -> list[int]:
    return next(m["box"] for m in truth["mark_boxes"] if m["mark"] == "copy_stamp")


def test_truth_lines_never_hold_mark_text(decision):
    (_, truth), _ = decision
    text = "\n".join(truth["lines"])
    for phrase in ("SAO Y", "BẢN SAO", "Thời gian ký", "/SY-VP", "*", *mk.NOTES):
        assert phrase not in text


def test_same_seed_same_bytes_and_other_content_unchanged():
    kw = {"dpi": 80, "handwritten": ["so_ky_hieu"], "marks": ["seal", "margin_note"]}
    a, ta = synth.render_tthc_decision(5, **kw)
    b, tb = synth.render_tthc_decision(5, **kw)
    assert a.tobytes() == b.tobytes() and ta == tb
    c, tc = synth.render_tthc_decision(6, **kw)
    assert c.tobytes() != a.tobytes()


@pytest.mark.parametrize("face", hw.HAND_FACES)
def test_every_face_writes_vietnamese_in_ink_and_returns_its_box(face):
    page = np.full((120, 700, 3), 250, np.uint8)
    hand = hw.Hand(face, 40, (30, 50, 170), 0, 1)
    box = hw.draw_hand(page, (10, 80), "Nguyễn Thị Hường 31/5", hand, random.Random(1))
    assert box is not None
    x0, y0, x1, y1 = box
    assert 0 <= x0 < 40 and x1 > 300 and 0 <= y0 < y1 <= 120
    inside = page[y0:y1, x0:x1]
    assert blue(inside).sum() > 200
    outside = page.copy()
    outside[y0:y1, x0:x1] = 250
    assert (outside < 245).sum() == 0  # no ink outside the box


def test_hand_size_follows_the_typed_x_height():
    rng = random.Random(3)
    for _ in range(20):
        hand = hw.Hand.pick(rng, x_height_px=25)
        xh = hw.x_height_ratio(hand.face) * hand.size_px
        assert 24 <= xh <= 36


# ------------------------------------------------------------------ extracts and registers


@pytest.mark.parametrize(
    "render",
    [
        synth.render_birth_extract,
        synth_extracts.render_marriage_extract,
        synth_extracts.render_death_extract,
    ],
)
def test_handwritten_extract_keeps_labels_typed_and_text_the_same(render):
    img, truth = render(4, dpi=100, handwritten="some", date_words="standard")
    _, typed = render(4, dpi=100, date_words="standard")
    assert img.mode == "RGB" and truth["hand_face"] in hw.HAND_FACES
    assert truth["fields"] == typed["fields"]
    assert " ".join(truth["lines"]) == " ".join(typed["lines"])  # only the wrapping may move
    assert 0 < len(truth["handwritten"]) < len(truth["fields"])
    assert set(truth["handwritten"]) <= set(truth["fields"])
    assert {b["field"] for b in truth["hand_boxes"]} == set(truth["handwritten"])
    _, every = render(4, dpi=100, handwritten="all", date_words="standard")
    # every value of the form by hand; the signer's name and issue 19's extra lines stay typed
    extras = set(ENTRY_EXTRAS[every["kind"]])
    assert set(every["handwritten"]) == {k for k, v in every["fields"].items() if v} - extras


def test_register_entries_record_their_handwritten_columns_inside_their_rows():
    img, truth = synth.render_register_page(8, dpi=100, handwritten="some")
    assert img.mode == "RGB"
    for i, (entry, cells) in enumerate(zip(truth["entries"], truth["cell_boxes"], strict=True)):
        mine = [b for b in truth["hand_boxes"] if b["entry"] == i]
        assert entry["handwritten"] == [k for k in cells if k in {b["field"] for b in mine}]
        for b in mine:
            x0, y0, x1, y1 = cells[b["field"]]
            cy = (b["box"][1] + b["box"][3]) / 2  # hand ink may cross the rules a little
            assert x0 <= b["box"][0] < x1 and y0 <= cy < y1
    assert {f for e in truth["entries"] for f in e["handwritten"]} == set(truth["handwritten"])
    _, typed = synth.render_register_page(8, dpi=100)
    assert "handwritten" not in typed and all("handwritten" not in e for e in typed["entries"])
    assert typed["lines"] == truth["lines"]


def test_a_sixty_page_plan_has_hands_marks_and_every_capture():
    specs = corpus.plan_corpus(60, 1)
    hand = {s.kind for s in specs if s.options.get("handwritten")}
    assert hand == set(corpus.KINDS)
    assert {m for s in specs for m in s.options.get("marks", [])} == set(mk.MARKS)
    for s in specs:
        captures = [st["op"] for st in s.recipe if st["op"] in capture.CAPTURE]
        assert len(captures) <= 1
        if captures and captures[0] in capture.BILEVEL:
            assert s.recipe[-1]["op"] != "jpeg"
