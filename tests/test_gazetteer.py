"""Places as printed → pre-2025 units and the units after the 1 July 2025 reform."""

from __future__ import annotations

import pytest

from pipeline.extract.gazetteer import (
    Gazetteer,
    PlaceMatch,
    match_place,
    province_codes_new,
    province_codes_old,
)
from pipeline.extract.placenames import fold_text, split_type


def _match(text: str) -> PlaceMatch:
    m = match_place(text)
    assert m is not None, text
    return m


def test_commune_district_province_as_printed() -> None:
    m = _match("xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang")
    assert (m.ward_old, m.district_old, m.province_old) == (
        "Xã Phú Linh",
        "Huyện Vị Xuyên",
        "Tỉnh Hà Giang",
    )
    assert (m.ward_old_code, m.district_old_code, m.province_old_code) == ("00706", "030", "02")
    # Hà Giang went into Tuyên Quang on 1 July 2025; Phú Linh kept its name
    assert (m.province_new, m.ward_new, m.province_new_code) == (
        "Tỉnh Tuyên Quang",
        "Xã Phú Linh",
        "08",
    )
    assert m.normalized == "xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang"
    assert m.score == 1.0 and not m.ambiguous
    assert m.as_printed == "xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang"


def test_hamlet_is_kept_as_detail() -> None:
    m = _match("Ấp 9, thị trấn Chợ Mới, huyện Chợ Mới, tỉnh An Giang")
    assert (m.ward_old, m.district_old, m.province_old) == (
        "Thị trấn Chợ Mới",
        "Huyện Chợ Mới",
        "Tỉnh An Giang",
    )
    assert m.detail == "Ấp 9"
    assert (m.province_new, m.ward_new) == ("Tỉnh An Giang", "Xã Chợ Mới")
    assert m.province_new_code == "91"  # An Giang's code changed with the merger


def test_abbreviations_and_numbered_units() -> None:
    m = _match("P. 5, Q. 3, TP. Hồ Chí Minh")
    assert (m.ward_old, m.district_old, m.province_old) == (
        "Phường 5",
        "Quận 3",
        "Thành phố Hồ Chí Minh",
    )
    assert m.ward_new == "Phường Bàn Cờ"
    assert _match("P.5, Q.3, TP.HCM").ward_old_code == m.ward_old_code
    assert _match("phường 05 quận 3").ward_old_code == m.ward_old_code


@pytest.mark.parametrize(
    ("printed", "detail"),
    [
        ("Bệnh viện Đa khoa tỉnh Hà Giang", "Bệnh viện Đa khoa"),
        ("Bệnh viện Phụ sản Hà Nội", "Bệnh viện Phụ sản"),
    ],
)
def test_facility_keeps_its_province(printed: str, detail: str) -> None:
    m = _match(printed)
    assert m.province_old is not None and m.ward_old is None and m.district_old is None
    assert m.detail == detail


def test_health_station_of_a_commune() -> None:
    m = _match("Trạm y tế xã Phú Thuận, huyện Thoại Sơn, tỉnh An Giang")
    assert (m.ward_old, m.detail) == ("Xã Phú Thuận", "Trạm y tế")


@pytest.mark.parametrize(
    "printed",
    [
        "XÃ PHÚ LINH, HUYỆN VỊ XUYÊN, TỈNH HÀ GIANG",
        "X. Phú Linh, H. Vị Xuyên, T. Hà Giang",
        "xa Phu Linh, huyen Vi Xuyen, tinh Ha Giang",
        "Phú Linh - Vị Xuyên - Hà Giang",
        "Thôn 3 xã Phú Linh huyện Vị Xuyên tỉnh Hà Giang",
        "xã Phú Lỉnh, huyện Vị Xuyẻn, tỉnh Hà Giaug",  # OCR slips in every level
        "xã Phú Linh, huyện Vi Xuyên, tỉnh Hả Giang",
        "xã Phú Linh,  huyện  Vị Xuyên ,tỉnh Hà Giang.",
    ],
)
def test_printed_variants_find_the_same_commune(printed: str) -> None:
    m = _match(printed)
    assert m.ward_old_code == "00706"
    assert m.normalized == "xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang"
    assert 0.8 <= m.score <= 1.0


def test_slips_cost_score_exact_does_not() -> None:
    exact = _match("xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang").score
    slipped = _match("xã Phú Lỉnh, huyện Vị Xuyẻn, tỉnh Hà Giaug").score
    assert slipped < exact == 1.0


@pytest.mark.parametrize("ward", ["xã Vân Hòa", "xã Vân Hoà", "XÃ VÂN HOÀ"])
def test_old_and_new_tone_placement(ward: str) -> None:
    m = _match(f"{ward}, huyện Ba Vì, thành phố Hà Nội")
    assert m.ward_old == "Xã Vân Hòa" and m.score == 1.0


def test_lookalike_eth_is_read_as_d_with_stroke() -> None:
    assert _match("phường Trúc Bạch, quận Ba \u00d0ình, Hà Nội").district_old == "Quận Ba Đình"


def test_marker_word_inside_a_name() -> None:
    m = _match("xã Tứ Xã, huyện Lâm Thao, tỉnh Phú Thọ")
    assert m.ward_old == "Xã Tứ Xã"
    m = _match("xã Xuân Sơn, tlị xã Sơn Tây, thành phố Hà Nội")  # a slip in "thị xã"
    assert (m.ward_old, m.district_old) == ("Xã Xuân Sơn", "Thị xã Sơn Tây")


# --------------------------------------------------------------------------- history


def test_ha_tay_resolves_to_ha_noi() -> None:
    m = _match("Xóm 7, xã Hiệp Thuận, huyện Phúc Thọ, tỉnh Hà Tây")
    assert m.province_historical == "Tỉnh Hà Tây"
    assert (m.province_old, m.district_old, m.ward_old) == (
        "Thành phố Hà Nội",
        "Huyện Phúc Thọ",
        "Xã Hiệp Thuận",
    )
    assert m.normalized == "xã Hiệp Thuận, huyện Phúc Thọ, tỉnh Hà Tây"
    assert m.detail == "Xóm 7"
    assert m.province_new == "Thành phố Hà Nội" and m.ward_new == "Xã Hát Môn"


def test_province_split_before_2004_found_by_its_district() -> None:
    m = _match("huyện Điện Biên, tỉnh Lai Châu")  # Điện Biên left Lai Châu on 1 Jan 2004
    assert (m.province_old, m.province_historical) == ("Tỉnh Điện Biên", "Tỉnh Lai Châu")
    m = _match("huyện Phong Thổ, tỉnh Lai Châu")  # still in Lai Châu: no history needed
    assert (m.province_old, m.province_historical) == ("Tỉnh Lai Châu", None)
    m = _match("huyện Long Mỹ, tỉnh Cần Thơ")  # Cần Thơ province 1992–2003 → Hậu Giang
    assert m.province_old == "Tỉnh Hậu Giang"


@pytest.mark.parametrize(
    ("printed", "province_old"),
    [
        ("huyện Quỳnh Lưu, tỉnh Nghệ Tĩnh", "Tỉnh Nghệ An"),
        ("thị xã Phú Thọ, tỉnh Vĩnh Phú", "Tỉnh Phú Thọ"),
        ("huyện Hòa Vang, tỉnh Quảng Nam - Đà Nẵng", "Thành phố Đà Nẵng"),
        ("huyện Yên Mô, tỉnh Hà Nam Ninh", "Tỉnh Ninh Bình"),
        ("huyện Ba Vì, tỉnh Hà Sơn Bình", "Thành phố Hà Nội"),
        ("huyện Kim Bôi, tỉnh Hà Sơn Bình", "Tỉnh Hòa Bình"),
        ("huyện Mỹ Xuyên, tỉnh Hậu Giang", "Tỉnh Sóc Trăng"),
        ("huyện Bắc Quang, tỉnh Hà Tuyên", "Tỉnh Hà Giang"),
        ("thị xã Thủ Dầu Một, tỉnh Sông Bé", "Tỉnh Bình Dương"),
    ],
)
def test_historical_provinces_through_their_districts(printed: str, province_old: str) -> None:
    m = _match(printed)
    assert m.province_old == province_old
    assert m.province_historical is not None


def test_historical_province_alone_is_ambiguous() -> None:
    m = _match("tỉnh Nghệ Tĩnh")
    assert m.province_old is None and m.ambiguous
    assert m.province_historical == "Tỉnh Nghệ Tĩnh"
    assert "Tỉnh Nghệ An" in m.notes[0] and "Tỉnh Hà Tĩnh" in m.notes[0]
    m = _match("Hà Nam Ninh")  # three old provinces, but all in today's Ninh Bình
    assert m.province_old is None and m.province_new == "Tỉnh Ninh Bình"


def test_historical_table_is_complete_and_sourced() -> None:
    gaz = Gazetteer.load()
    names = {h.name for h in gaz.historical}
    for name in ("Hà Sơn Bình", "Bình Trị Thiên", "Hải Hưng", "Minh Hải", "Gia Lai - Kon Tum"):
        assert f"Tỉnh {name}" in names
    for h in gaz.historical:
        assert h.successor_codes and set(h.successor_codes) <= province_codes_old()
        assert h.from_year is None or h.from_year <= h.until_year


# --------------------------------------------------------------------------- the 2025 merger


def test_ward_merged_whole() -> None:
    m = _match("phường Trúc Bạch, quận Ba Đình, Hà Nội")
    assert m.ward_new == "Phường Ba Đình" and m.ward_new_candidates == ("Phường Ba Đình",)
    assert not m.ambiguous


def test_ward_split_across_new_wards_lists_all() -> None:
    m = _match("phường Ngọc Hà, quận Ba Đình, Hà Nội")  # partly into Ba Đình, partly Ngọc Hà
    assert m.ward_old == "Phường Ngọc Hà"
    assert m.ward_new is None and m.ambiguous
    assert set(m.ward_new_candidates) == {"Phường Ba Đình", "Phường Ngọc Hà"}
    assert len(m.ward_new_codes) == 2


def test_printed_after_the_reform() -> None:
    m = _match("xã Phú Linh, tỉnh Tuyên Quang")
    assert (m.ward_new, m.province_new, m.ward_old) == ("Xã Phú Linh", "Tỉnh Tuyên Quang", None)


def test_special_zone_after_the_reform() -> None:
    m = _match("Đặc khu Phú Quốc, tỉnh An Giang")
    assert (m.ward_new, m.province_new, m.ambiguous) == ("Đặc khu Phú Quốc", "Tỉnh An Giang", False)


def test_document_date_decides_a_name_borne_by_an_old_and_a_new_ward() -> None:
    # an old ward of Hà Tĩnh city (now in Thành Sen) and a new ward share the name
    old = _match("phường Hà Huy Tập, tỉnh Hà Tĩnh")
    assert (old.ward_old, old.ward_new) == ("Phường Hà Huy Tập", "Phường Thành Sen")
    new = match_place("phường Hà Huy Tập, tỉnh Hà Tĩnh", after_reform=True)
    assert new is not None
    assert (new.ward_old, new.ward_new) == (None, "Phường Hà Huy Tập")
    assert new.ward_new_codes != old.ward_new_codes


def test_country_at_the_end_is_ignored() -> None:
    assert _match("xã Phú Linh, huyện Vị Xuyên, tỉnh Hà Giang, Việt Nam").ward_old_code == "00706"
    assert _match("Hà Nội - Việt Nam").province_old == "Thành phố Hà Nội"


def test_every_old_province_has_a_new_one() -> None:
    gaz = Gazetteer.load()
    assert set(gaz.province_old_to_new) == province_codes_old()
    assert set(gaz.province_old_to_new.values()) == province_codes_new()


# --------------------------------------------------------------------------- ambiguity


def test_same_name_in_many_provinces() -> None:
    m = _match("huyện Châu Thành")
    assert m.ambiguous and m.province_old is None and m.district_old is None
    assert m.normalized == "huyện Châu Thành"
    # a commune that exists in only one of the Châu Thành districts settles it
    m = _match("xã An Hòa, huyện Châu Thành")
    assert (m.province_old, m.ambiguous) == ("Tỉnh An Giang", False)


def test_district_city_without_province() -> None:
    m = _match("thành phố Vinh")
    assert (m.district_old, m.province_old) == ("Thành phố Vinh", "Tỉnh Nghệ An")


def test_unknown_typed_unit_costs_score() -> None:
    m = _match("xã Không Có Thật, huyện Vị Xuyên, tỉnh Hà Giang")
    assert m.ward_old is None and m.district_old == "Huyện Vị Xuyên"
    assert m.score < 0.85 and m.notes


@pytest.mark.parametrize("text", ["", "   ", "không rõ", "xyz"])
def test_nothing_recognized(text: str) -> None:
    assert match_place(text) is None


# --------------------------------------------------------------------------- small helpers


def test_province_codes() -> None:
    old, new = province_codes_old(), province_codes_new()
    assert len(old) == 63 and len(new) == 34
    assert new <= old  # the 34 kept codes of provinces that existed before
    assert "02" in old and "02" not in new  # Hà Giang


def test_province_of_personal_id() -> None:
    gaz = Gazetteer.load()
    assert gaz.province_of_personal_id("001094844233") == "Thành phố Hà Nội"
    assert gaz.province_of_personal_id("089 309 756 738") == "Tỉnh An Giang"
    assert gaz.province_of_personal_id("003094844233") is None  # no province 03
    assert gaz.province_of_personal_id("12345") is None


def test_text_helpers() -> None:
    assert fold_text("Đắk Lắk HÒA") == "dak lak hoa"
    assert split_type("Thị trấn Chợ Mới") == ("thị trấn", "Chợ Mới")
    assert split_type("Chợ Mới") == ("", "Chợ Mới")


def test_load_is_cached() -> None:
    assert Gazetteer.load() is Gazetteer.load()
