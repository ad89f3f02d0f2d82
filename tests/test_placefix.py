"""Places read by OCR are spelled as the unit tables spell them — only where that is safe."""

from __future__ import annotations

import pytest

from pipeline.extract.fields import check_field
from pipeline.extract.gazetteer import match_place
from pipeline.extract.placefix import fix_place, tidy_punctuation


def _fixed(text: str) -> str | None:
    m = match_place(text)
    assert m is not None, text
    f = fix_place(text, m)
    return None if f is None else f.value


@pytest.mark.parametrize(
    ("read", "want"),
    [
        # unit-type words: a closed list
        (
            "Trạm y tế phường Phúc Xá, quận Ba Đình, thành phô Hà Nội",
            "Trạm y tế phường Phúc Xá, quận Ba Đình, thành phố Hà Nội",
        ),
        (
            "Bệnh viện đa khoa huyện Kim Sơn, tính Ninh Bình",
            "Bệnh viện đa khoa huyện Kim Sơn, tỉnh Ninh Bình",
        ),
        # province names: a closed list
        (
            "xã Định Hóa, huyện Kim Sơn, tỉnh Ninh Binh",
            "xã Định Hóa, huyện Kim Sơn, tỉnh Ninh Bình",
        ),
        # a district read in the wrong case, and a name with digits in it
        (
            "Bệnh viện đa khoa huyện Ba VÌ, thành phố Hà Nội",
            "Bệnh viện đa khoa huyện Ba Vì, thành phố Hà Nội",
        ),
        # punctuation between units
        (
            "xã Khánh Thượng, huyện Yên Mô. tỉnh Ninh Bình",
            "xã Khánh Thượng, huyện Yên Mô, tỉnh Ninh Bình",
        ),
        (
            "phường Phúc Xá, quận: Ba Đình, thành phố Hà Nội",
            "phường Phúc Xá, quận Ba Đình, thành phố Hà Nội",
        ),
        # a historical province is spelled as the tables spell it
        (
            "Bệnh viện đa khoa huyện Phúc Thọ, tỉnh Hà Tầy",
            "Bệnh viện đa khoa huyện Phúc Thọ, tỉnh Hà Tây",
        ),
        # a mark read inside a unit type
        (
            "Bệnh viện đa khoa huyện Phúc Thọ, thành. phố Hà Nội",
            "Bệnh viện đa khoa huyện Phúc Thọ, thành phố Hà Nội",
        ),
        # the fixed wording that opens a place: a closed list
        (
            "Ủy ban nhân dẫn xã Ba Vì, huyện Ba Vì, thành phố Hà Nội",
            "Ủy ban nhân dân xã Ba Vì, huyện Ba Vì, thành phố Hà Nội",
        ),
        (
            "Trạm y tê xã Thanh Đa, huyện Phúc Thọ, tỉnh Hà Tây",
            "Trạm y tế xã Thanh Đa, huyện Phúc Thọ, tỉnh Hà Tây",
        ),
        (
            "Trạm y tế xã Yên Bài, huyện Ba Vì, thành phố. Hà Nội",
            "Trạm y tế xã Yên Bài, huyện Ba Vì, thành phố Hà Nội",
        ),
        # hamlet words: a closed list
        (
            "Âp 4, xã Định Mỹ, huyện Thoại Sơn, tỉnh An Giang",
            "Ấp 4, xã Định Mỹ, huyện Thoại Sơn, tỉnh An Giang",
        ),
        # all capitals stay capitals
        (
            "XÃ QUỲNH LÂM, HUYỆN QUỲNH LƯU, TÍNH NGHỆ AN",
            "XÃ QUỲNH LÂM, HUYỆN QUỲNH LƯU, TỈNH NGHỆ AN",
        ),
    ],
)
def test_safe_corrections(read: str, want: str) -> None:
    assert _fixed(read) == want


def test_a_commune_missing_from_the_tables_is_never_rewritten() -> None:
    """ "Yên Đông" may be a real commune the tables lack: kept, the table's spelling noted."""
    read = "Xóm 11, xã Yên Đông, huyện Yên Mô, tỉnh Ninh Bình"
    m = match_place(read)
    assert m is not None and "Yên Đồng" in (m.ward_old or "")
    fix = fix_place(read, m)
    assert fix is not None and fix.value == read and fix.suggestions == (("Yên Đông", "Yên Đồng"),)
    checked = check_field("noi_cu_tru", read)
    assert checked.value == read and not checked.ok and not checked.fixed  # a clerk looks
    assert "Yên Đồng" in checked.note


def test_a_unit_name_read_with_other_letters_is_kept_and_never_sure() -> None:
    """ "Yên Ihải" (T read as I) was auto-accepted at 0.945: the table's name is shown."""
    read = "Xóm 8, xã Yên Ihải, huyện Yên Mô, tỉnh Ninh Bình"
    checked = check_field("noi_cu_tru_cha", read)
    assert checked.value == read and not checked.ok
    assert "Yên Thái" in checked.note


def test_a_place_read_up_to_a_comma_lost_its_next_line() -> None:
    """ "…, huyện Chợ Mới," then the province on a line not joined: never auto-accepted."""
    checked = check_field("noi_cu_tru_me", "Ấp 2, xã Mỹ Hiệp, huyện Chợ Mới,")
    assert checked.value == "Ấp 2, xã Mỹ Hiệp, huyện Chợ Mới" and not checked.ok
    assert "bị cắt" in checked.note
    assert check_field("noi_cu_tru_me", "Ấp 2, xã Mỹ Hiệp, huyện Chợ Mới, tỉnh An Giang").ok


def test_a_ward_outside_the_district_written_is_never_sure() -> None:
    checked = check_field("noi_cu_tru", "xã Yên Thái, huyện Chợ Mới, tỉnh An Giang")
    assert not checked.ok


def test_right_places_are_left_alone() -> None:
    for text in (
        "xã Quỳnh Lâm, huyện Quỳnh Lưu, tỉnh Nghệ An",
        "Số 12 phố Hàng Bông, phường Hàng Gai, quận Hoàn Kiếm, thành phố Hà Nội",
        "phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
    ):
        assert _fixed(text) is None


def test_place_field_check_marks_the_fix() -> None:
    c = check_field("noi_sinh", "Trạm y tế xã Định Thành, huyện Thoại Sơn, tỉnh An 61ang")
    assert c.value == "Trạm y tế xã Định Thành, huyện Thoại Sơn, tỉnh An Giang"
    assert c.ok and c.fixed and "61ang → Giang" in c.note
    assert check_field("dia_danh", "Hung Yên").value == "Hưng Yên"


def test_tidy_punctuation() -> None:
    assert tidy_punctuation("huyện Thoại Sơn,tỉnh An Giang") == "huyện Thoại Sơn, tỉnh An Giang"
    assert tidy_punctuation("Thôn 5 ; xã Châu Lý") == "Thôn 5, xã Châu Lý"
    lost = "Bệnh viện đa khoa huyện Ba Vì tỉnh Hà Tây"
    assert tidy_punctuation(lost) == "Bệnh viện đa khoa huyện Ba Vì, tỉnh Hà Tây"
    lost = "Trạm y tế xã Châu Sơn, huyện Ba Vì tỉnh Hà Tây"
    assert tidy_punctuation(lost) == "Trạm y tế xã Châu Sơn, huyện Ba Vì, tỉnh Hà Tây"
    assert tidy_punctuation("XÃ AN BÌNH HUYỆN THOẠI SƠN") == "XÃ AN BÌNH, HUYỆN THOẠI SƠN"
    kept = "Bệnh viện đa khoa thị xã Sơn Tây, tỉnh Hà Tây"
    assert tidy_punctuation(kept) == kept


def test_old_tone_placement_in_the_opening_wording_is_kept() -> None:
    """ "Uỷ ban" (old placement) is right as printed: not a misreading to fix."""
    assert _fixed("Uỷ ban nhân dân xã Ba Vì, huyện Ba Vì, thành phố Hà Nội") is None


def test_a_commune_in_no_table_is_never_sure() -> None:
    """ "xã Rông Rắn" (Rồng Rắn, a commune the tables lack, with a tone misread) stays as read."""
    checked = check_field("noi_cu_tru_cha", "Ấp 4, xã Rông Rắn, huyện Chợ Mới, tỉnh An Giang")
    assert checked.value == "Ấp 4, xã Rông Rắn, huyện Chợ Mới, tỉnh An Giang"
    assert not checked.ok and "không tìm thấy" in checked.note


@pytest.mark.parametrize(
    "read",
    [
        "xã Tân Phú, huyện Đức Hoà, tỉnh Long An",  # old tone placement is a right spelling
        "xã Quỳnh Lâm, huyện Quỳnh Lưu, Nghệ An",  # a unit written without its type word
        "xã Quỳnh Lâm, Quỳnh Lưu, Nghệ An",
        "xã Hải Nhân, huyện Tĩnh Gia, tỉnh Thanh Hóa",  # a district's former name
        "phường Phường Đúc, thành phố Huế, tỉnh Thừa Thiên Huế",  # a name with a type word
        "xã Quỳnh Lâm, huyện Quỳnh Lưu, tỉnh Nghệ An,",  # a comma after the province cuts nothing
    ],
)
def test_right_places_stay_sure(read: str) -> None:
    checked = check_field("noi_sinh", read)
    assert checked.ok, checked.note
    assert checked.value == read.rstrip(",")


def test_no_comma_inside_a_name_that_holds_a_type_word() -> None:
    assert tidy_punctuation("Tổ 5 phường Phường Đúc thành phố Huế") == (
        "Tổ 5 phường Phường Đúc, thành phố Huế"
    )
    assert tidy_punctuation("xã Phước Tỉnh huyện Long Điền") == "xã Phước Tỉnh huyện Long Điền"
    assert tidy_punctuation("Xã Tứ Xã Huyện Lâm Thao Tỉnh Phú Thọ") == (
        "Xã Tứ Xã Huyện Lâm Thao, Tỉnh Phú Thọ"
    )


def test_a_fix_never_repeats_a_word_the_page_did_not() -> None:
    checked = check_field("noi_sinh", "tỉnh Thừa Thiên - Huế")
    assert "Huế Huế" not in (checked.value or "")
