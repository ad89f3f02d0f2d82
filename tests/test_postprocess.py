from __future__ import annotations

import pytest

from ocr.postprocess import annotate_page, annotate_word, check_word
from schemas.models import OcrWord
from tests.fakes import page_from_lines


def test_check_word():
    assert check_word("Nguyễn") is True
    assert check_word("12/03/2018") is None
    assert check_word("ngiêng") is False


def test_confusion_fixed_only_when_lexicon_confirms():
    w = annotate_word(OcrWord(text="xyzq", conf=0.5, bbox=(0, 0, 1, 1)))
    assert w.text == "xyzq" and w.lexicon is False and w.corrected_from is None


def test_annotate_page_keeps_layout():
    page = page_from_lines(["Họ tên: Trần Thị Hoa", "Số: 12"])
    out = annotate_page(page)
    assert [ln.text for ln in out.lines] == [ln.text for ln in page.lines]
    assert [w.lexicon for w in out.lines[1].words] == [True, None]


def test_glued_syllables_are_split_with_their_boxes() -> None:
    from ocr.postprocess import split_glued

    w = OcrWord(text="HồngAnh", conf=0.9, bbox=(100, 10, 70, 20))
    left, right = split_glued(w)
    assert (left.text, right.text) == ("Hồng", "Anh")
    assert left.bbox[0] == 100 and right.bbox[0] + right.bbox[2] == 170
    assert left.corrected_from == "HồngAnh"
    for keep in ("KiẾt", "iPhone", "UBND", "Nguyễn"):
        assert split_glued(OcrWord(text=keep, conf=0.9, bbox=(0, 0, 10, 10)))[0].text == keep


def test_a_capital_inside_a_word_is_lowered_when_that_reads() -> None:
    from ocr.postprocess import fix_inner_capitals

    def fixed(t: str) -> str:
        return fix_inner_capitals(OcrWord(text=t, conf=0.9, bbox=(0, 0, 10, 10))).text

    assert fixed("tẾ") == "tế" and fixed("KiẾt") == "Kiết" and fixed("TrÍ") == "Trí"
    assert fixed("iPhone") == "iPhone" and fixed("UBND") == "UBND" and fixed("H'Mông") == "H'Mông"


@pytest.mark.parametrize(
    ("read", "want"),
    [
        ("01\u20442009", "01/2009"),  # fraction slash
        ("01/\u20442000", "01/2000"),  # slash read twice
        ("09\u204402/\u20441994", "09/02/1994"),
        ("5Ø", "50"),
        ("2O03", "2003"),
        ("(2O18)", "(2018)"),
        # words and lone letters stay as read
        ("Bo", "Bo"),
        ("Ô", "Ô"),
        ("O", "O"),
        ("1O", "10"),
        ("1ô", "10"),
        ("Ø", "Ø"),
    ],
)
def test_digit_tokens(read: str, want: str) -> None:
    from ocr.postprocess import fix_digit_token

    assert fix_digit_token(read) == want


def test_digit_fix_is_recorded_on_the_word() -> None:
    w = annotate_word(OcrWord(text="14/07\u20441957", conf=0.9, bbox=(0, 0, 1, 1)))
    assert w.text == "14/07/1957" and w.corrected_from == "14/07\u20441957"
