from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from pipeline.imaging import (
    count_ruled_lines,
    estimate_skew,
    quality_flags,
    rotate,
    rotate_quarter,
)

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


@pytest.fixture(scope="module")
def page() -> Image.Image:
    font = ImageFont.truetype(FONT, 34)
    im = Image.new("L", (1700, 2200), 255)
    d = ImageDraw.Draw(im)
    for i in range(28):
        d.text(
            (150, 150 + i * 70),
            f"Nơi cư trú: thôn Đông, xã Hòa Bình, tỉnh Thái Nguyên {i}",
            font=font,
            fill=20,
        )
    return im


@settings(max_examples=12, deadline=None)
@given(st.floats(min_value=-15, max_value=15))
def test_skew_estimate_matches_pillow_rotation(page, angle):
    rotated = np.asarray(page.rotate(angle, expand=True, fillcolor=255))
    assert abs(estimate_skew(rotated) - angle) <= 0.15


def test_rotate_undoes_skew(page):
    rotated = np.asarray(page.rotate(6.0, expand=True, fillcolor=255))
    fixed = rotate(rotated, -estimate_skew(rotated))
    assert abs(estimate_skew(fixed)) <= 0.1


@pytest.mark.parametrize("turn", [0, 90, 180, 270])
def test_rotate_quarter_restores_upright(page, turn):
    arr = np.asarray(page)
    turned = np.asarray(page.rotate(turn, expand=True))
    assert np.array_equal(rotate_quarter(turned, turn), arr)


def test_blank_page_is_flagged_and_text_page_is_not(page):
    blank = np.full((2200, 1700), 245, np.uint8)
    assert "blank" in quality_flags(blank, dpi=300)["flags"]
    assert quality_flags(np.asarray(page), dpi=300)["flags"] == []
    assert "low_dpi" in quality_flags(np.asarray(page), dpi=150)["flags"]


def test_blur_is_flagged(page):
    import cv2

    blurred = cv2.GaussianBlur(np.asarray(page), (0, 0), 6)
    assert "blurry" in quality_flags(blurred, dpi=300)["flags"]


def test_ruled_lines_counted(page):
    arr = np.asarray(page).copy()
    assert count_ruled_lines(arr) == 0
    for y in range(100, 2100, 150):
        arr[y : y + 3, 80:1620] = 0
    assert count_ruled_lines(arr) >= 12
