from __future__ import annotations

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
