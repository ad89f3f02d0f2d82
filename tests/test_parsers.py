"""Tests for pipeline/extract/parsers.py (pure, no Tesseract)."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.extract.numwords import number_to_words, vietnamese_number
from pipeline.extract.parsers import (
    date_to_words,
    format_date_short,
    format_date_vi,
    is_valid_personal_id,
    name_key,
    normalize_name,
    parse_book_number,
    parse_date,
    parse_entry_number,
    parse_personal_id,
    parse_sex,
    parse_so_ky_hieu,
    parse_year,
)


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("không", 0),
        ("một", 1),
        ("tư", 4),
        ("mười", 10),
        ("mười một", 11),
        ("mười bốn", 14),
        ("mười lăm", 15),
        ("hai mươi", 20),
        ("hai mươi mốt", 21),
        ("hai mươi một", 21),
        ("hai mươi tư", 24),
        ("hai mươi bốn", 24),
        ("hai mươi lăm", 25),
        ("hai mươi nhăm", 25),
        ("hai mốt", 21),
        ("ba lăm", 35),
        ("ba mươi mốt", 31),
        ("chín mươi chín", 99),
        ("một trăm", 100),
        ("một trăm linh năm", 105),
        ("một trăm lẻ năm", 105),
        ("một trăm linh tư", 104),
        ("một trăm mười", 110),
        ("hai trăm năm", 250),
        ("hai nghìn", 2000),
        ("hai ngàn", 2000),
        ("hai nghìn không trăm mười tám", 2018),
        ("hai nghìn không trăm linh năm", 2005),
        ("hai nghìn lẻ năm", 2005),
        ("hai nghìn mười tám", 2018),
        ("hai nghìn hai mươi", 2020),
        ("một nghìn chín trăm chín mươi tư", 1994),
        ("một nghìn chín trăm", 1900),
        ("MỘT NGHÌN CHÍN TRĂM BẨY MƯƠI", 1970),
        ("mười nghìn", 10_000),
        ("2018", 2018),
    ],
)
def test_vietnamese_number(words: str, expected: int):
    assert vietnamese_number(words.split()) == expected
    assert vietnamese_number(nfd(words).split()) == expected


@pytest.mark.parametrize(
    "words",
    [
        "",
        "mốt",
        "lăm",
        "một mươi",
        "hai ba",
        "mười mười",
        "trăm",
        "nghìn",
        "hai nghìn linh",
        "năm Hà Giang",
        "hai nghìn tháng",
    ],
)
def test_vietnamese_number_rejects(words: str):
    assert vietnamese_number(words.split()) is None


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "không"),
        (5, "năm"),
        (15, "mười lăm"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (105, "một trăm linh năm"),
        (2005, "hai nghìn không trăm linh năm"),
        (2018, "hai nghìn không trăm mười tám"),
        (1994, "một nghìn chín trăm chín mươi tư"),
        (2000, "hai nghìn"),
    ],
)
def test_number_to_words(n: int, words: str):
    assert number_to_words(n) == words


@given(st.integers(min_value=0, max_value=999_999))
def test_number_words_round_trip(n: int):
    assert vietnamese_number(number_to_words(n).split()) == n


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05/03/2018", date(2018, 3, 5)),
        ("5/3/2018", date(2018, 3, 5)),
        ("5-3-2018", date(2018, 3, 5)),
        ("05.03.2018", date(2018, 3, 5)),
        ("05 / 03 / 2018", date(2018, 3, 5)),
        ("2018-03-05", date(2018, 3, 5)),
        ("Ngày, tháng, năm sinh: 15/03/2018.", date(2018, 3, 15)),
        ("ngày 5 tháng 3 năm 2018", date(2018, 3, 5)),
        ("Hà Giang, ngày 05 tháng 03 năm 2018", date(2018, 3, 5)),
        ("Hà Giang,  ngày   05  tháng 03  năm 2018.", date(2018, 3, 5)),
        ("HÀ GIANG, NGÀY 05 THÁNG 03 NĂM 2018", date(2018, 3, 5)),
        ("ngay 5 thang 3 nam 2018", date(2018, 3, 5)),
        ("Ngày mười lăm tháng ba năm hai nghìn không trăm mười tám", date(2018, 3, 15)),
        ("ngày mùng một tháng giêng năm hai nghìn", date(2000, 1, 1)),
        ("Ngày mồng 5 tháng 3 năm 2018", date(2018, 3, 5)),
        ("ngày hai mươi mốt tháng tư năm một nghìn chín trăm chín mươi tư", date(1994, 4, 21)),
        ("ngày ba mươi mốt tháng chạp năm hai nghìn không trăm linh năm", date(2005, 12, 31)),
        ("ngày hai mươi tư tháng mười hai năm hai nghìn lẻ năm", date(2005, 12, 24)),
        ("ngày hai mươi lăm tháng năm năm hai nghìn", date(2000, 5, 25)),
        ("ngày hai mươi nhăm tháng mười năm hai ngàn", date(2000, 10, 25)),
        ("ngày năm tháng năm năm hai nghìn không trăm linh năm", date(2005, 5, 5)),
        ("ngày 15 tháng ba năm 2018", date(2018, 3, 15)),
        ("Ngày, tháng, năm đăng ký: ngày 20 tháng 3 năm 2018;", date(2018, 3, 20)),
        ("5 tháng 3 năm 2018", date(2018, 3, 5)),
        ("ngày 5 tháng 3 năm 2018 của Ủy ban nhân dân", date(2018, 3, 5)),
    ],
)
def test_parse_date(text: str, expected: date):
    assert parse_date(text) == expected
    assert parse_date(nfd(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "5/3/18",
        "05/03/18",
        "31/02/2018",
        "29/02/2019",
        "ngày 31 tháng 2 năm 2018",
        "ngày 5 tháng 13 năm 2018",
        "ngày 5 tháng 3 năm 18",
        "ngày tháng năm",
        "Ngày, tháng, năm sinh:",
        "Số: 12/2018",
        "ngày ba mươi hai tháng một năm hai nghìn",
    ],
)
def test_parse_date_rejects(text: str):
    assert parse_date(text) is None


def test_parse_date_leap_day():
    assert parse_date("29/02/2020") == date(2020, 2, 29)
    assert parse_date("ngày hai mươi chín tháng hai năm hai nghìn không trăm hai mươi") == date(
        2020, 2, 29
    )


def test_date_to_words():
    assert (
        date_to_words(date(2018, 3, 15))
        == "ngày mười lăm tháng ba năm hai nghìn không trăm mười tám"
    )
    assert date_to_words(date(2005, 4, 24)) == (
        "ngày hai mươi tư tháng tư năm hai nghìn không trăm linh năm"
    )
    assert date_to_words(date(1994, 12, 31)) == (
        "ngày ba mươi mốt tháng mười hai năm một nghìn chín trăm chín mươi tư"
    )


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
def test_date_words_round_trip(d: date):
    words = date_to_words(d)
    assert parse_date(words) == d
    assert parse_date(words.upper()) == d
    assert parse_date(nfd(words.capitalize()) + ".") == d


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31)))
def test_date_formats_round_trip(d: date):
    assert parse_date(format_date_vi(d)) == d
    assert parse_date(format_date_short(d)) == d


def test_format_date():
    assert format_date_vi(date(2018, 3, 15)) == "ngày 15 tháng 3 năm 2018"
    assert format_date_vi(date(2018, 2, 5)) == "ngày 05 tháng 02 năm 2018"  # Decree 30/2020
    assert format_date_vi(date(2018, 12, 1)) == "ngày 01 tháng 12 năm 2018"
    assert format_date_short(date(2018, 3, 15)) == "15/03/2018"
    assert format_date_short(date(1905, 1, 2)) == "02/01/1905"


# --------------------------------------------------------------------------- years


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1990", 1990),
        (" 1990. ", 1990),
        ("Năm sinh: 1990", 1990),
        ("1850", 1850),
        ("2100", 2100),
        ("một nghìn chín trăm chín mươi", 1990),
        ("năm một nghìn chín trăm chín mươi tư", 1994),
        ("Năm sinh: hai nghìn không trăm linh năm", 2005),
        ("1849", None),
        ("2101", None),
        ("90", None),
        ("19900", None),
        ("05/03/2018", None),
        ("", None),
        ("không rõ", None),
    ],
)
def test_parse_year(text: str, expected: int | None):
    assert parse_year(text) == expected


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Nguyễn   Văn  An ", "Nguyễn Văn An"),
        ("NGUYỄN THỊ HOÀ.", "NGUYỄN THỊ HOÀ"),
        ("\u00d0ỗ Văn \u00d0ức", "Đỗ Văn Đức"),
        (nfd("Trần Thị Thủy"), "Trần Thị Thủy"),
        ("- Lê Văn Tám :", "Lê Văn Tám"),
        ("(Phạm Quý)", "Phạm Quý"),
    ],
)
def test_normalize_name(text: str, expected: str):
    got = normalize_name(text)
    assert got == expected
    assert unicodedata.is_normalized("NFC", got)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Hoà", "Hòa"),
        ("Thuỷ", "Thủy"),
        ("Quý", "Qúy"),
        ("Khoá", "Khóa"),
        ("Thuỳ", "Thùy"),
        ("khoẻ", "khỏe"),
        ("NGUYỄN THỊ THUỶ HOÀ", "Nguyễn Thị Thủy Hòa"),
        ("\u00d0oàn Văn Hoạ", "Đoàn văn Họa"),
        (nfd("Lê Thị Thuý"), "lê thị thúy"),
        ("Huỳnh  Văn  Toàn", "huỳnh văn toàn"),
    ],
)
def test_name_key_equal(a: str, b: str):
    assert name_key(a) == name_key(b)


@pytest.mark.parametrize(("a", "b"), [("Hoà", "Hoa"), ("Thủy", "Thúy"), ("Đức", "Dức")])
def test_name_key_different(a: str, b: str):
    assert name_key(a) != name_key(b)


# --------------------------------------------------------------------------- sex, ids, numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nam", "Nam"),
        ("nam", "Nam"),
        ("NAM", "Nam"),
        ("Nữ", "Nữ"),
        ("NỮ", "Nữ"),
        (nfd("nữ"), "Nữ"),
        ("Nu", "Nữ"),
        ("Giới tính: Nữ", "Nữ"),
        (" Nam. ", "Nam"),
        ("Việt Nam", None),
        ("", None),
        ("Kinh", None),
    ],
)
def test_parse_sex(text: str, expected: str | None):
    assert parse_sex(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("002318001234", "002318001234"),
        ("002 318 001 234", "002318001234"),
        ("002.318.001.234", "002318001234"),
        ("Số định danh cá nhân: 001090012345", "001090012345"),
        ("073456789", None),  # old 9-digit CMND
        ("0023180012345", None),
        ("", None),
    ],
)
def test_parse_personal_id(text: str, expected: str | None):
    assert parse_personal_id(text) == expected


def test_is_valid_personal_id():
    assert is_valid_personal_id("002318001234")  # Hà Giang
    assert is_valid_personal_id("096 190 001 234")  # Cà Mau
    assert not is_valid_personal_id("000318001234")
    assert not is_valid_personal_id("097318001234")
    assert not is_valid_personal_id("003318001234")  # no province has code 03
    assert not is_valid_personal_id("073456789")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Số: 123", "123"), ("123/2018", "123"), ("Số 05", "05"), ("số:", None), ("", None)],
)
def test_parse_entry_number(text: str, expected: str | None):
    assert parse_entry_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Quyển số: 01/2018", "01/2018"),
        ("QUYỂN SỐ 01 / 2018", "01/2018"),
        ("Quyển số: 02-2019.", "02-2019"),
        ("01/2018", "01/2018"),
        ("Quyển số:", None),
    ],
)
def test_parse_book_number(text: str, expected: str | None):
    assert parse_book_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Số: 215/QĐ-SNV", "215/QĐ-SNV"),
        ("Số : 215 / QĐ - SNV", "215/QĐ-SNV"),
        ("Số:215/Q\u00d0-SNV", "215/QĐ-SNV"),
        ("Số: 12/2020/NĐ-CP", "12/2020/NĐ-CP"),
        ("Số: 05/TTr-UBND   Hà Giang, ngày 5 tháng 3 năm 2018", "05/TTr-UBND"),
        (nfd("Số: 1023/UBND-VX"), "1023/UBND-VX"),
        ("05/03/2018", None),
        ("Số:", None),
    ],
)
def test_parse_so_ky_hieu(text: str, expected: str | None):
    assert parse_so_ky_hieu(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đắk Lắk, ngày 09 thúng 02 năm 2020", date(2020, 2, 9)),
        ("Tây Ninh, ngày 10 thóng 5 năm 2018", date(2018, 5, 10)),
        ("ngày 5 tháng 3 nấm 2001", date(2001, 3, 5)),
        ("ngảy 5 tháng 3 năm 2001", date(2001, 3, 5)),
        ("xã Thông Nông, ngày 5 tháng 3 năm 2001", date(2001, 3, 5)),
    ],
)
def test_date_keywords_with_misread_tone_marks(text: str, expected: date) -> None:
    assert parse_date(text) == expected
