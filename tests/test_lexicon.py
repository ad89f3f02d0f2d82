"""Vietnamese syllable rules, Tesseract's vie word list and guarded confusion fixes."""

from __future__ import annotations

import unicodedata

import pytest

from ocr.lexicon import (
    correct_with_ambigs,
    is_known_syllable,
    is_valid_syllable,
    known_syllables,
    lexicon_score,
    load_ambigs,
)

VALID = (
    "nguyễn hoà hòa khuya quyết giữ nghiêng thủy thuỷ quý qúy quí quốc quỳnh quên quạnh quẻ "
    "gì gìn giếng giữa kỹ ký kiếm ghế nghề người trường phượng hoàng xuân tuyết huỳnh khuỷu "
    "ngoài ngoáy yêu yên thuở quơ uyên oanh ách ếch ích óc ức ướt uống chuyện thuyền tiếp "
    "gặp ấy ơi à đường lý ly vy xoong cái mía múa cửa cứu rượu chịu máy mấy a"
).split()
INVALID = (
    "ngiêng kà cé ci ghy ngy hoaf tiềp tiêp hòang qúa gía ngòai cuy coa iên tyên "
    "kh ng bcd wifi xyz đắk hoà̀"
).split()


@pytest.mark.parametrize("syllable", VALID)
def test_valid_syllables(syllable: str) -> None:
    assert is_valid_syllable(syllable)
    assert is_valid_syllable(syllable.upper())
    assert is_valid_syllable(unicodedata.normalize("NFD", syllable))


@pytest.mark.parametrize("syllable", INVALID)
def test_invalid_syllables(syllable: str) -> None:
    assert not is_valid_syllable(syllable)


def test_spelling_constraints() -> None:
    assert is_valid_syllable("ke") and not is_valid_syllable("ce")  # k before e, i, ê
    assert is_valid_syllable("ca") and not is_valid_syllable("ka")  # c elsewhere
    assert is_valid_syllable("ghi") and not is_valid_syllable("gi" + "i")
    assert is_valid_syllable("nghe") and not is_valid_syllable("nge")
    assert is_valid_syllable("ngo") and not is_valid_syllable("ngho")
    assert is_valid_syllable("quyên") and not is_valid_syllable("cuyên")  # qu, never c + glide


@pytest.mark.parametrize(
    ("allowed", "refused"),
    [
        ("tiếp tiệp", "tiềp tiễp tiểp tiêp"),
        ("mát mạt", "màt mãt mảt mat"),
        ("học hóc", "hòc hõc hỏc hoc"),
        ("ách ạch", "àch ãch ảch ach"),
    ],
)
def test_stop_finals_take_only_sac_or_nang(allowed: str, refused: str) -> None:
    assert all(map(is_valid_syllable, allowed.split()))
    assert not any(map(is_valid_syllable, refused.split()))


def test_tone_placement_old_and_new() -> None:
    for old, new in (("hòa", "hoà"), ("thủy", "thuỷ"), ("khỏe", "khoẻ"), ("qúy", "quý")):
        assert is_valid_syllable(old) and is_valid_syllable(new)
    # with a final consonant or a marked vowel there is one place only
    assert is_valid_syllable("hoàng") and not is_valid_syllable("hòang")
    assert is_valid_syllable("thuyền") and not is_valid_syllable("thùyên")
    assert is_valid_syllable("người") and not is_valid_syllable("ngừơi")


def test_lookalike_eth() -> None:
    assert is_valid_syllable("\u00d0ông") and is_valid_syllable("\u00f0ường")


def test_word_list_from_tesseract_vie() -> None:
    words = known_syllables()
    assert 2500 < len(words) < 10_000
    assert all(w == unicodedata.normalize("NFC", w).lower() for w in words)
    assert all(is_valid_syllable(w) for w in words)
    assert is_known_syllable("Nguyễn") and is_known_syllable("của")
    assert not is_known_syllable("cũa")  # well-formed, but no Vietnamese word


def test_lexicon_score() -> None:
    assert lexicon_score("Nơi sinh: Trạm y tế xã Phú Thuận, huyện Thoại Sơn") == 1.0
    assert lexicon_score("Ngày 20/09/1994") == 1.0  # digits are not counted
    assert lexicon_score("Nơi sinh: Tram y tê xa Phu Thuân") == 1.0  # unaccented: still valid
    assert lexicon_score("Nơi sinlı: Trạrn y tế") == 0.6
    assert lexicon_score("") == 0.0 and lexicon_score("12/2018") == 0.0


def test_ambigs_file_loads_only_letter_fixes() -> None:
    pairs = load_ambigs()
    assert ("cũa", "của") in pairs and ("vđi", "với") in pairs
    assert all(right.strip("—–-") for _, right in pairs)  # the dash fixes are left out


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Giấy khai sinh cũa con", "Giấy khai sinh của con"),
        ("CŨA", "CỦA"),
        ("sống vđi mẹ", "sống với mẹ"),
        ("hêf hạn", "hết hạn"),
        ("phãi nộp", "phải nộp"),
        ("q1Iốc tịch", "quốc tịch"),
        ("(cũa),", "(của),"),
    ],
)
def test_confusions_fix_invalid_tokens(text: str, fixed: str) -> None:
    out, changes = correct_with_ambigs(text)
    assert out == fixed
    assert len(changes) == 1 and "→" in changes[0]


@pytest.mark.parametrize(
    "text",
    [
        "của con",  # already right
        "Phần II",  # roman numeral, though "II=u" is a confusion
        "UBND xã Hiệp Thuận",  # abbreviation
        "Số: 157 Quyển số: 01/1994",
        "Đắk Lắk, Kon Tum",  # place names outside the rules, no confusion applies
        "",
    ],
)
def test_confusions_leave_valid_and_protected_tokens(text: str) -> None:
    assert correct_with_ambigs(text) == (text, [])


def test_never_a_blind_replacement() -> None:
    pairs = (("a", "o"), ("ien", "iên"))
    # "hoa" is valid: the pair a→o would give "hoo" — never applied to a valid token
    assert correct_with_ambigs("hoa", pairs) == ("hoa", [])
    # "tien" is not valid, "tiên" is: fixed; "biên" is valid: untouched
    assert correct_with_ambigs("tien biên", pairs) == ("tiên biên", ["tien → tiên"])
    # "xyzf" stays invalid whatever is replaced: untouched
    assert correct_with_ambigs("xyzf", pairs) == ("xyzf", [])


def test_two_different_valid_fixes_are_not_guessed() -> None:
    pairs = (("x", "a"), ("x", "o"))  # "hx" → "ha"? "ho"? both words: no guess
    assert correct_with_ambigs("hx", pairs) == ("hx", [])
    pairs = (("uo", "uô"), ("uo", "ươ"))  # "thuông" is well-formed, only "thương" a word
    assert correct_with_ambigs("thuong", pairs) == ("thương", ["thuong → thương"])


def test_whitespace_is_kept() -> None:
    text = "của  con\ncũa\tmẹ "
    assert correct_with_ambigs(text)[0] == "của  con\ncủa\tmẹ "
