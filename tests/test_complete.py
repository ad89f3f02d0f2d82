"""Completion while keying: places of the book's year, names, ethnic groups, nationalities."""

from __future__ import annotations

from pipeline.review.complete import (
    complete,
    complete_listed,
    complete_name,
    complete_place,
    completion_kind,
)


def test_places_are_found_without_tone_marks_and_as_they_were_named_that_year() -> None:
    found = complete_place("quynh hung quynh luu", year=1994)
    assert found[0] == "xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An"  # merged away in 2020s
    hatay = complete_place("Ba Vì, Hà Tây", year=1999)  # Ba Vì was in Hà Tây until 2008
    assert hatay and all(p.endswith("huyện Ba Vì, tỉnh Hà Tây") for p in hatay)
    # a district that kept its code under a new name is offered by its former name too
    tinh_gia = complete_place("hai thuong tinh gia", year=1999)  # thị xã Nghi Sơn since 2020
    assert tinh_gia[0].endswith("Hải Thượng, huyện Tĩnh Gia, tỉnh Thanh Hóa")
    assert all("Hà Tây" not in p for p in complete_place("phu cuong ba vi", year=2009))
    assert any("huyện Ba Vì, thành phố Hà Nội" in p for p in complete_place("ba vi", year=2009))
    after = complete_place("quang hung", year=2026)  # after the 2025 reform: no districts
    assert after and all(p.count(",") == 1 and "huyện" not in p for p in after)
    assert complete_place("qu") == []  # too short to ask


def test_provinces_that_no_longer_exist_are_offered_for_their_years() -> None:
    # whole provinces split or merged since: Hải Hưng (until 1996), Nghệ Tĩnh (until 1991)
    hai_hung = complete_place("cam giang hai hung", year=1994)
    assert hai_hung and all(p.endswith("huyện Cẩm Giàng, tỉnh Hải Hưng") for p in hai_hung)
    later = complete_place("cam giang hai hung", year=2005)  # Hải Dương by then
    assert all("Hải Hưng" not in p for p in later)
    assert complete_place("nghi loc nghe tinh", year=1985)
    assert all("Nghệ An" not in p for p in complete_place("quan hanh nghi loc", year=1985))
    # in its last year the change fell within the year: both names are offered
    both = complete_place("quan hanh nghi loc", year=1991)
    assert any(p.endswith("tỉnh Nghệ An") for p in both)
    assert any(p.endswith("tỉnh Nghệ Tĩnh") for p in both)
    # part of a province (today's Hà Nội held part of Hà Tây): named district by district
    hoai_duc = complete_place("hoai duc ha tay", year=1999)
    assert hoai_duc and all(p.endswith("huyện Hoài Đức, tỉnh Hà Tây") for p in hoai_duc)
    assert all("Hà Tây" not in p for p in complete_place("ba dinh", year=1999))
    # Hà Tây ended on 1 August 2008: a book of 2008 may name either
    in_2008 = complete_place("tay dang ba vi", year=2008)
    assert any(p.endswith("tỉnh Hà Tây") for p in in_2008)
    assert any(p.endswith("thành phố Hà Nội") for p in in_2008)
    # 1992: Hà Nam Ninh until April, then Nam Hà — both offered
    hai_hau = complete_place("yen dinh hai hau", year=1992)
    assert any(p.endswith("tỉnh Hà Nam Ninh") for p in hai_hau)
    assert any(p.endswith("tỉnh Nam Hà") for p in hai_hau)
    assert complete_place("me linh", year=1994)[0].endswith("tỉnh Vĩnh Phú")  # until 1997
    assert complete_place("me linh", year=2000)[0].endswith("tỉnh Vĩnh Phúc")  # until 2008


def test_names_get_their_tone_marks_from_the_lists_and_keep_the_typed_case() -> None:
    assert complete_name("nguyen van an")[0] == "Nguyễn Văn An"  # the word as typed first
    assert "Nguyễn Văn An" in complete_name("nguyen van a")  # the commonest "A…" names
    assert complete_name("nguyen thi ")[0] == "Nguyễn Thị Minh"  # a given name, not "Thị Văn"
    assert complete_name("tr")[:2] == ["Trần", "Trương"]  # the most common surnames first
    assert all(n.isupper() for n in complete_name("NGUYEN THI H"))
    assert all(n.startswith("Nguyễn Thị Hồ") for n in complete_name("Nguyễn Thị Hồ"))
    assert complete_name("x") == []


def test_listed_values_are_completed_from_their_official_lists() -> None:
    assert "HMông" in complete_listed("ethnic", "hm")
    assert complete_listed("nationality", "my")[0] == "Hoa Kỳ"  # found by "Mỹ"
    assert complete_listed("nationality", "viet") == ["Việt Nam"]
    assert complete("ethnic", "") == []


def test_each_field_gets_the_completion_of_its_kind() -> None:
    kinds = {n: completion_kind(n) for n in ("noi_sinh", "ho_ten_me", "dan_toc", "quoc_tich_cha")}
    assert kinds == {
        "noi_sinh": "place",
        "ho_ten_me": "name",
        "dan_toc": "ethnic",
        "quoc_tich_cha": "nationality",
    }
    assert completion_kind("ngay_sinh") == ""
