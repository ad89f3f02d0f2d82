"""Words run together and the conventions of "Nơi nhận" put right by spelling (issue 18)."""

from __future__ import annotations

import pytest

from pipeline.extract.respell import recipient_item, split_joined, split_word
from pipeline.extract.tthc import check_body, check_recipients


@pytest.mark.parametrize(
    ("word", "split"),
    [("HƯƠNGSƠN", "HƯƠNG SƠN"), ("Thanhtra", "Thanh tra"), ("quyhoạch", "quy hoạch")],
)
def test_two_syllables_run_together_are_split(word: str, split: str) -> None:
    assert split_word(word) == split


@pytest.mark.parametrize(
    "word",
    ["UBND", "HĐND", "STNMT", "Nguyễn", "nghiêng", "TRƯỜNGTHPT", "Hạnh", "Vĩnh"],
)
def test_syllables_and_abbreviations_are_left_alone(word: str) -> None:
    assert split_word(word) is None


def test_a_split_keeps_the_punctuation_around_the_word() -> None:
    assert split_joined("(HƯƠNGSƠN),") == ("(HƯƠNG SƠN),", ["HƯƠNGSƠN→HƯƠNG SƠN"])


@pytest.mark.parametrize(
    ("item", "fixed"),
    [
        ("UBND tỉnh (để bíc)", "UBND tỉnh (để b/c)"),
        ("Lưu: VI", "Lưu: VT"),
        ("[ưu VT, CTrTT", "Lưu VT, CTrTT"),
        ("lưu trữ", "lưu trữ"),
        ("Giám đốc Sở (để bịc)", "Giám đốc Sở (để b/c)"),
        ("Nhưưên", "Như trên"),
        ("Thanhtra", "Thanh tra"),
        ("Như Điều 3", "Như Điều 3"),
        ("Sở Tư pháp (để biết)", "Sở Tư pháp (để biết)"),
        ("Nhà văn hóa", "Nhà văn hóa"),
    ],
)
def test_recipient_items_get_their_conventional_wording(item: str, fixed: str) -> None:
    assert recipient_item(item)[0] == fixed


def test_a_respelled_value_is_a_repair_the_clerk_sees() -> None:
    checked = check_recipients("Nhưưên; UBND tỉnh (để bíc); Lưu: VT")
    assert checked.value == "Như trên; UBND tỉnh (để b/c); Lưu: VT"
    assert checked.repaired and "sửa theo chính tả" in checked.note
    body = check_body("ỦY BAN NHÂN DÂN XÃ HƯƠNGSƠN")
    assert body.value == "ỦY BAN NHÂN DÂN XÃ HƯƠNG SƠN" and body.repaired
    assert not check_recipients("Như trên; Lưu: VT").repaired
