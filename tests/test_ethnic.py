"""Ethnic groups (121-TCTK/PPCĐ) and nationalities as printed."""

from __future__ import annotations

import pytest

from pipeline.extract.ethnic import normalize_ethnic, normalize_nationality


@pytest.mark.parametrize(
    ("printed", "name", "code"),
    [
        ("Kinh", "Kinh", "01"),
        ("KINH", "Kinh", "01"),
        ("dân tộc Kinh", "Kinh", "01"),
        ("Dân tộc: Tày", "Tày", "02"),
        ("người Nùng", "Nùng", "07"),
        ("Khơ me", "Khơ-me", "05"),
        ("KHƠ-ME", "Khơ-me", "05"),
        ("Ê Đê", "Ê-đê", "12"),
        ("Bru - Vân Kiều", "Bru-Vân Kiều", "23"),
        ("H'Mông", "HMông", "08"),
        ("Rơ Măm", "Rơ măm", "54"),
        ("Người nước ngoài", "Người nước ngoài", "55"),
    ],
)
def test_official_names_any_case_or_spacing(printed: str, name: str, code: str) -> None:
    m = normalize_ethnic(printed)
    assert m is not None
    assert (m.name, m.code, m.score, m.ambiguous) == (name, code, 1.0, False)
    assert m.as_printed == printed


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("Mèo", "HMông"),
        ("Mông", "HMông"),
        ("Chàm", "Chăm"),
        ("Hán", "Hoa"),
        ("Việt", "Kinh"),
        ("Khmer", "Khơ-me"),
        ("Cao Lan", "Sán Chay"),
        ("Vân Kiều", "Bru-Vân Kiều"),
    ],
)
def test_old_and_alternate_names(printed: str, name: str) -> None:
    m = normalize_ethnic(printed)
    assert m is not None and m.name == name
    assert 0.9 <= m.score < 1.0 and not m.ambiguous


def test_alternate_name_of_several_groups_is_ambiguous() -> None:
    m = normalize_ethnic("Mán")
    assert m is not None
    assert (m.name, m.code, m.ambiguous) == ("Dao", "09", True)
    assert "Sán Dìu" in m.candidates
    assert m.score < 0.9


def test_official_name_wins_but_lists_other_meanings() -> None:
    m = normalize_ethnic("Thổ")  # a group of its own, and an old name of Tày and Khmer
    assert m is not None
    assert (m.name, m.code, m.ambiguous) == ("Thổ", "24", False)
    assert set(m.candidates) == {"Tày", "Khơ-me"}


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("Tầy", "Tày"),  # wrong diacritic
        ("Muờng", "Mường"),
        ("Tay", "Tày"),  # printed without diacritics
        ("Nguoi nuoc ngoai", "Người nước ngoài"),
        ("Kiuh", "Kinh"),  # OCR slips: n read as iu / u
        ("Nùug", "Nùng"),
        ("Mườug", "Mường"),
    ],
)
def test_diacritic_loss_and_ocr_slips(printed: str, name: str) -> None:
    m = normalize_ethnic(printed)
    assert m is not None and m.name == name
    assert 0.6 <= m.score < 1.0


def test_unaccented_name_prefers_the_official_group() -> None:
    m = normalize_ethnic("Lao")  # Lào without its accent, not the Lao of the La Hủ
    assert m is not None and m.name == "Lào"


@pytest.mark.parametrize("printed", ["", "  ", "xyz", "123", "Kih"])
def test_not_an_ethnic_group(printed: str) -> None:
    assert normalize_ethnic(printed) is None


@pytest.mark.parametrize(
    ("printed", "name", "code"),
    [
        ("Việt Nam", "Việt Nam", "VN"),
        ("VIỆT NAM", "Việt Nam", "VN"),
        ("Viet Nam", "Việt Nam", "VN"),
        ("Quốc tịch: Việt Nam", "Việt Nam", "VN"),
        ("Trung Quốc", "Trung Quốc", "CN"),
        ("Lào", "Lào", "LA"),
        ("Cam-pu-chia", "Campuchia", "KH"),
        ("Hàn Quốc", "Hàn Quốc", "KR"),
        ("Mỹ", "Hoa Kỳ", "US"),
        ("Hoa Kỳ", "Hoa Kỳ", "US"),
        ("Nhật Bản", "Nhật Bản", "JP"),
        ("Pháp", "Pháp", "FR"),
        ("Đài Loan (Trung Quốc)", "Đài Loan (Trung Quốc)", "TW"),
        ("Đài Loan", "Đài Loan (Trung Quốc)", "TW"),
        ("Liên Xô", "Liên Xô", "SU"),
    ],
)
def test_nationalities(printed: str, name: str, code: str) -> None:
    m = normalize_nationality(printed)
    assert m is not None and (m.name, m.code) == (name, code)
    assert m.score >= 0.9


@pytest.mark.parametrize("printed", ["Việt Nan", "Viêt Nam", "Vịêt Nam", "Campuchla"])
def test_nationality_slips(printed: str) -> None:
    m = normalize_nationality(printed)
    assert m is not None and m.code in ("VN", "KH") and m.score < 1.0


def test_stateless_has_no_code() -> None:
    m = normalize_nationality("Không quốc tịch")
    assert m is not None and m.code is None


@pytest.mark.parametrize("printed", ["", "ABC", "Sao Hỏa"])
def test_not_a_nationality(printed: str) -> None:
    assert normalize_nationality(printed) is None
