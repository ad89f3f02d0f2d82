"""The slashed-zero check: a "9" shaped like a crossed zero sends its field to review."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.extract.fields import flag_suspect_zeros
from pipeline.imaging.glyphs import find_suspect_zeros, looks_like_slashed_zero, suspect_zeros
from schemas.models import FieldValue, OcrLine, OcrPage, OcrWord, Record

#: A face that crosses its zeros (the bench's "mono" face; installed with the system packages).
SLASHED = "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf"
PLAIN = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def _render(text: str, font: str, size: int = 42) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    face = ImageFont.truetype(font, size)
    im = Image.new("L", (40 + size * len(text), size * 2), 255)
    ImageDraw.Draw(im).text((20, size // 3), text, font=face, fill=0)
    page = np.array(im)
    ys, xs = np.nonzero(page < 128)
    box = (int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1))
    return page, box


def _word(text: str, box: tuple[int, int, int, int]) -> OcrWord:
    return OcrWord(text=text, conf=0.96, bbox=box)


def test_a_slashed_zero_read_as_nine_is_found() -> None:
    page, box = _render("20/10/2003", SLASHED)
    assert suspect_zeros(page, _word("29/10/2003", box)) == [1]
    assert suspect_zeros(page, _word("20/10/2003", box)) == []  # read right: nothing to say


def test_real_eights_nines_and_sixes_are_left_alone() -> None:
    for font in (SLASHED, PLAIN):
        page, box = _render("1986", font)
        assert suspect_zeros(page, _word("1986", box)) == [], font
    page, box = _render("6809", SLASHED)
    assert suspect_zeros(page, _word("6809", box)) == []


def test_the_check_abstains_when_blobs_do_not_match_characters() -> None:
    page, box = _render("20/10/2003", SLASHED)
    assert suspect_zeros(page, _word("29/10/203", box)) == []  # a character missing
    assert suspect_zeros(page, _word("ngày 29", box)) == []  # letters: no blob matching


def test_hole_shapes() -> None:
    eight = np.zeros((40, 24), np.uint8)
    eight[2:38, 2:22] = 255
    eight[6:17, 7:17] = 0  # upper hole
    eight[22:34, 7:17] = 0  # lower hole, stacked
    assert not looks_like_slashed_zero(np.pad(eight, 1))
    crossed = np.zeros((40, 24), np.uint8)
    crossed[2:38, 2:22] = 255
    crossed[6:30, 6:11] = 0  # left hole
    crossed[10:34, 13:18] = 0  # right hole, beside it
    assert looks_like_slashed_zero(np.pad(crossed, 1))


def test_fields_holding_the_word_go_to_review() -> None:
    page, box = _render("20/10/2003", SLASHED)
    word = _word("29/10/2003", box)
    ocr = OcrPage(
        lines=[OcrLine(words=[word], bbox=box)], width=page.shape[1], height=page.shape[0]
    )
    sure = FieldValue(
        value="2003-10-29", raw="29/10/2003", confidence=0.999, bbox=box, needs_review=False
    )
    other = FieldValue(
        value="Nam", raw="Nam", confidence=0.999, bbox=(0, 0, 5, 5), needs_review=False
    )
    rec = Record(schema="khai_tu", fields={"ngay_dang_ky": sure, "gioi_tinh": other})
    (out,) = flag_suspect_zeros([rec], find_suspect_zeros(ocr, page))
    assert out.fields["ngay_dang_ky"].needs_review
    assert "gạch chéo" in out.fields["ngay_dang_ky"].provenance[-1]
    assert out.fields["ngay_dang_ky"].value == "2003-10-29"  # the value is not changed
    assert not out.fields["gioi_tinh"].needs_review
