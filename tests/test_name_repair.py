"""Names, book numbers and document kinds survive typical OCR slips."""

from __future__ import annotations

import pytest

from pipeline.extract import parsers
from pipeline.extract.fields import check_name
from pipeline.extract.kinds import KIND_BIRTH, KIND_DEATH, KIND_UNKNOWN, detect_kind
from pipeline.extract.signals import is_known_surname, reference_fit, repair_surname
from tests.fakes import page_from_lines


@pytest.mark.parametrize(
    ("read", "fixed"),
    [
        ("NGUYÊN THỊ THANH XUÂN", "NGUYỄN THỊ THANH XUÂN"),
        ("PHAM QUANG HUY", "PHẠM QUANG HUY"),
        ("Tran Văn Bình", "Trần Văn Bình"),
    ],
)
def test_surname_diacritics_are_restored_and_sent_to_review(read, fixed):
    checked = check_name(read)
    assert checked.value == fixed
    assert checked.repaired and "họ sửa theo danh mục" in checked.note


@pytest.mark.parametrize("name", ["Nguyễn Văn An", "LÊ THỊ HOA", "Ông Văn Ích", "Xyzq Văn An"])
def test_listed_or_unknown_surnames_are_left_alone(name):
    assert repair_surname(name) == (name, None)


def test_mixed_case_names_get_every_syllable_capitalised():
    assert check_name("Phạm quốc Khánh").value == "Phạm Quốc Khánh"
    assert check_name("PHẠM QUỐC KHÁNH").value == "PHẠM QUỐC KHÁNH"
    assert not check_name("Phạm quốc Khánh").repaired


def test_surname_fit_needs_the_diacritics():
    assert is_known_surname("NGUYỄN") and is_known_surname("nguyễn")
    assert not is_known_surname("Nguyên")
    assert reference_fit("ho_ten", "Nguyễn Văn An")[0] > reference_fit("ho_ten", "Nguyên Văn An")[0]


@pytest.mark.parametrize(
    ("text", "want"),
    [("01/1995", "01/1995"), ("011995", "01/1995"), ("12001", "1/2001"), ("123456", "123456")],
)
def test_book_number_with_a_lost_slash(text, want):
    assert parsers.parse_book_number(text) == want


def test_kind_from_a_misread_title():
    page = page_from_lines(["UBND XÃ CẨM LĨNH", "TRÍCH LỤC KHAIT SINH", "Số: 145"])
    assert detect_kind(page) == KIND_BIRTH


def test_kind_from_labels_when_the_title_is_lost():
    page = page_from_lines(
        [
            "xxxx",
            "Họ, chữ đệm, tên: Lê Văn A",
            "Đã chết vào lúc: 10 giờ",
            "Nơi chết: Trạm y tế",
            "Nguyên nhân chết: bệnh già",
        ]
    )
    assert detect_kind(page) == KIND_DEATH


def test_no_kind_from_too_little_evidence():
    assert detect_kind(page_from_lines(["Nơi sinh: Hà Nội", "Quê quán: Hà Tây"])) == KIND_UNKNOWN
