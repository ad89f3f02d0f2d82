from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from pipeline.imaging.cleanup import analyse, rotate_fill
from pipeline.imaging.ocr_copy import make_ocr_copy
from pipeline.imaging.page import count_ruled_lines, estimate_skew, rotate_quarter
from pipeline.imaging.quality import page_quality
from schemas.models import PageQuality

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


@pytest.fixture(scope="module")
def page() -> Image.Image:
    import random

    words = (
        "Nơi cư trú thôn Đông xã Hòa Bình tỉnh Thái Nguyên họ tên người mẹ ngày tháng năm "
        "sinh quê quán dân tộc Kinh Tày quốc tịch Việt Nam đăng ký khai sinh Ủy ban"
    ).split()
    rng = random.Random(7)
    font = ImageFont.truetype(FONT, 34)
    im = Image.new("L", (1700, 2200), 255)
    d = ImageDraw.Draw(im)
    for i in range(28):  # lines of different words and lengths, as on a real page
        line = " ".join(rng.choice(words) for _ in range(rng.randint(5, 11)))
        d.text((150 + rng.randint(0, 40), 150 + i * 70), line, font=font, fill=20)
    return im


@settings(max_examples=12, deadline=None)
@given(st.floats(min_value=-15, max_value=15))
def test_skew_estimate_matches_pillow_rotation(page, angle):
    rotated = np.asarray(page.rotate(angle, expand=True, fillcolor=255))
    assert abs(estimate_skew(rotated) - angle) <= 0.1


@settings(max_examples=8, deadline=None)
@given(st.sampled_from([0, 90, 180, 270]), st.floats(min_value=-10, max_value=10))
def test_orientation_and_skew_together(page, turn, angle):
    skewed = page.rotate(angle, expand=True, fillcolor=255)
    turned = np.asarray(skewed.rotate(turn, expand=True, fillcolor=255))
    a = analyse(turned)
    assert a.orientation == turn
    assert abs(a.skew - angle) <= 0.1


def test_rotate_fill_undoes_skew(page):
    rotated = np.asarray(page.rotate(6.0, expand=True, fillcolor=255))
    fixed = rotate_fill(rotated, -estimate_skew(rotated))
    assert abs(estimate_skew(fixed)) <= 0.1


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_rotate_quarter_restores_upright(page, turn):
    arr = np.asarray(page)
    turned = np.asarray(page.rotate(turn, expand=True))
    assert np.array_equal(rotate_quarter(turned, turn), arr)


def _quality(gray: np.ndarray, dpi: float | None = 300) -> PageQuality:
    a = analyse(gray)
    return page_quality(gray, make_ocr_copy(gray, a, dpi=dpi), a, dpi=dpi)


def test_blank_page_is_flagged_and_text_page_is_not(page):
    blank = np.full((2200, 1700), 245, np.uint8)
    assert "blank" in _quality(blank).flags
    assert _quality(np.asarray(page)).flags == []
    assert "low_dpi" in _quality(np.asarray(page), dpi=150).flags


def test_blur_is_flagged(page):
    import cv2

    blurred = cv2.GaussianBlur(np.asarray(page), (0, 0), 6)
    assert "blurry" in _quality(blurred).flags


def test_ruled_lines_counted(page):
    arr = np.asarray(page).copy()
    assert count_ruled_lines(arr) == 0
    for y in range(100, 2100, 150):
        arr[y : y + 3, 80:1620] = 0
    assert count_ruled_lines(arr) >= 12


def test_labelling_falls_back_to_32_bit_labels_on_a_very_noisy_page() -> None:
    """More components than 16-bit labels hold: labelled again, same count, nothing lost."""
    import cv2

    from pipeline.imaging.cleanup import drop_specks, label

    dots = np.zeros((1200, 1600), np.uint8)
    dots[::3, ::3] = 255  # 213 600 separate dots
    n, labels, stats = label(dots, 8)
    assert n == 213_601 and labels.dtype == np.int32 and stats[1:, 4].max() == 1
    few = np.zeros((200, 300), np.uint8)
    cv2.rectangle(few, (10, 10), (60, 40), 255, -1)
    few[100, 100] = 255
    n, labels, _ = label(few, 8)
    assert n == 3 and labels.dtype == np.uint16
    kept = drop_specks(few, 6)
    assert kept[100, 100] == 0 and kept[20, 20] == 255
    assert drop_specks(dots, 2).max() == 0  # every dot is a speck
