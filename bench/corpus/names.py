"""Names and places the product's reference lists lack (bench only).

The generator otherwise draws every person and place from the very lists sohoa's "reference"
signal checks (``pipeline/data/surnames.csv``, ``given_names_*.txt``, ``middle_names.csv``, the
ward tables), so a name read right always scores as "known" and the bench flatters the signal.
Real books hold ethnic-minority names (Hmong, Thái, Dao, Ê Đê, Gia Rai…), old or rustic Kinh
given names and communes that were merged away or never made the tables. Here are such names,
written as civil-status books write them. When :func:`active` (the bench turns it on),
:mod:`bench.corpus.synth` draws :func:`unlisted_person` for about :data:`PERSON_SHARE` of
persons and :func:`unlisted_ward` for about :data:`PLACE_SHARE` of places, and
:func:`unlisted_fields` marks the fields holding them in the page truth (``"unlisted"``).

Every list is filtered against the product lists when first used (a name the lists learn later
drops out of here by itself); ``tests/test_bench_names.py`` checks that enough remain.
"""

from __future__ import annotations

import csv
import os
import random
from collections.abc import Mapping
from functools import cache
from typing import Any

from pipeline.extract.parsers import name_key
from pipeline.extract.signals import DATA, NAME_FIELDS, given_names_known, is_known_surname

#: Environment variable that turns the drawing on. ``sohoa bench`` sets it (its worker
#: processes inherit it); without it the generator draws from the product lists only, as the
#: committed samples (data/samples) and their recorded readings were made.
ENV = "SOHOA_BENCH_UNLISTED"

#: Share of persons drawn from :data:`MINORITY_MALE` … :data:`RARE_GIVEN_FEMALE`.
PERSON_SHARE = 0.12
#: Share of birth places and home addresses put in a commune of :data:`PLACES`.
PLACE_SHARE = 0.08

MINORITY_MALE = (
    "Giàng Seo Phử",
    "Lò Văn Pấng",
    "Vàng A Sùng",
    "Rơ Châm Ka",
    "Giàng A Páo",
    "Sùng Mí Chở",
    "Thào Seo Lử",
    "Vừ A Dính",
    "Mùa A Sấu",
    "Tẩn Láo Lở",
    "Chảo Láo Sử",
    "Lý Láo Tả",
    "Hảng A Tủa",
    "Cứ A Nủ",
    "Ly Seo Chải",
    "Quàng Văn Pẻn",
    "Lường Văn Mọn",
    "Lự Văn Piếng",
    "Y Bhiêm Niê",
    "Ksor Nuih",
    "Rơ Mah Hlơm",
    "Kpă Y Blin",
    "Đinh Văn Nhoóc",
    "Hồ Văn Pỏ",
    "Nay Y Blim",
    "Bùi Văn Thượn",
    "Ma Seo Chứ",
    "Thền Văn Sìn",
    "Chang A Dế",
    "Mã Seo Khư",
    "Cháng A Vừ",
    "Lèo Văn Phỉ",
    "Hoàng Seo Chẩn",
    "Sùng A Khua",
    "Lầu Mí Dế",
    "Hờ A Chớ",
    "Tráng A Pó",
    "Vàng Seo Gà",
    "Sộng A Lềnh",
    "Lò Văn Ỏn",
    "Cà Văn Khún",
)
MINORITY_FEMALE = (
    "Hờ Thị Mỷ",
    "Ksor H'Bia",
    "Lầu Thị Dợ",
    "Sần Thị Mẩy",
    "Sình Thị Chúa",
    "Páo Thị Dế",
    "Lò Thị Ún",
    "Cầm Thị Xiêng",
    "Tòng Thị Ửng",
    "H'Zen Mlô",
    "Siu H'Phiên",
    "Kơ Pa H'Lan",
    "Hà Thị Pín",
    "Giàng Thị Dua",
    "Vàng Thị Sỉnh",
    "Phàn Tả Mẩy",
    "Thào Thị Dính",
    "Sùng Thị Sua",
    "Mùa Thị Chá",
    "Vừ Thị Pằng",
    "Lý Thị Xiêm",
    "Tẩn Mùi Nải",
    "Chảo Mùi Mẩy",
    "Lường Thị Ọn",
    "Quàng Thị Piếng",
    "H'Ngơn Niê",
    "Rơ Lan H'Nhí",
    "Kpă H'Dú",
    "Nay H'Blốt",
    "Giàng Thị Pà",
    "Sùng Thị Mỉ",
    "Hảng Thị Dở",
    "Lò Thị Pọm",
    "Cà Thị Ỏi",
    "Tòng Thị Phớ",
    "Hoàng Thị Pẩu",
    "Lầu Thị Chở",
    "Ly Thị Dùa",
    "Ma Thị Sở",
    "Thền Thị Hải Mẩy",
    "Vàng Thị Chớ",
)
#: Given names without the surname: drawn with a listed surname (or the father's).
RARE_GIVEN_MALE = (
    "Văn Cuội",
    "Văn Mõ",
    "Văn Cẩu",
    "Văn Tẹo",
    "Văn Bờm",
    "Văn Cún",
    "Văn Tũn",
    "Văn Tủn",
    "Văn Tèo",
    "Văn Đực",
    "Văn Mẹt",
    "Văn Nhỏ",
    "Văn Ngỗng",
    "Văn Lẹ",
    "Văn Khoai",
    "Văn Cừ",
    "Văn Ních",
    "Văn Sửu",
    "Văn Đán",
    "Văn Trũi",
    "Văn Khẩu",
    "Văn Cốc",
    "Văn Tý Còi",
    "Văn Bẹo",
    "Văn Nhớn",
    "Văn Củ",
    "Văn Gộc",
    "Văn Thuổng",
    "Văn Dậu Còm",
    "Văn Lọ",
    "Văn Chắt",
    "Văn Khoắn",
    "Văn Rỉ",
    "Văn Mẩu",
    "Văn Sẹo",
    "Văn Ngọ Lùn",
    "Văn Tũm",
    "Văn Ruộng",
    "Văn Đụn",
    "Văn Tộ",
    "Văn Nguộc",
)
RARE_GIVEN_FEMALE = (
    "Thị Tằm",
    "Thị Gái",
    "Thị Nụ",
    "Thị Nhớn",
    "Thị Nhài",
    "Thị Sẻ",
    "Thị Gấc",
    "Thị Mướp",
    "Thị Ổi",
    "Thị Nhót",
    "Thị Sứa",
    "Thị Bống",
    "Thị Mít",
    "Thị Cốm",
    "Thị Rạng",
    "Thị Sim",
    "Thị Nõn",
    "Thị Dứa",
    "Thị Tí",
    "Thị Mảy",
    "Thị Cám",
    "Thị Hến",
    "Thị Dền",
    "Thị Bẹ",
    "Thị Mọn",
    "Thị Nhặn",
    "Thị Chắt",
    "Thị Cỏn",
    "Thị Nhãn Lồng",
    "Thị Sắn",
    "Thị Rợi",
    "Thị Ớt",
    "Thị Gạo",
    "Thị Khoai",
    "Thị Bưởi",
    "Thị Lựu Đỏ",
    "Thị Mận Hậu",
    "Thị Nhộn",
    "Thị Xoan",
    "Thị Bùn",
    "Thị Cói",
)
#: Hamlets and small communes (bare names, no unit type).
PLACES = (
    "Huổi Lếch",
    "Pá Chả",
    "Khuổi Ải",
    "Nà Mòn",
    "Lũng Cẩu",
    "Tả Giàng Phìn",
    "Sà Phìn A",
    "Phìn Hồ Thầu",
    "Cán Chải Sán",
    "Nậm Pừng",
    "Háng Tơ Mang",
    "Pu Nhi Chờ",
    "Lao Xa Phìn",
    "Mò Ó Thượng",
    "Kon Chrăh",
    "Plei Ktu",
    "Buôn Kô Siêr",
    "Buôn Ea Mđhar",
    "Bon Bu Srê",
    "Làng Kon Klor",
    "Đắk Rơ Wang",
    "Ia Mơ Nông Thượng",
    "Bãi Sậy Ngoài",
    "Cồn Ngựa",
    "Đồng Chuối",
    "Vạn Chài Cũ",
    "Gò Mả Vôi",
    "Bến Đình Cũ",
    "Trại Vải",
    "Kênh Xáng Mới",
    "Rạch Ông Cò",
    "Giồng Ké",
    "Vàm Răng Cũ",
    "Cù Lao Mây Nhỏ",
    "Lung Lớn",
    "Ngã Tư Cây Dầu",
    "Xẻo Nhàu",
    "Bưng Sình",
    "Mé Láng",
    "Đầm Lá Buông",
    "Khe Tre Cũ",
    "Bàu Sấu",
    "Truông Bồn",
    "Động Trằm",
    "Mụ Giạ Thượng",
    "Ka Văn Sán",
    "La Hót",
    "Ka Lỳ",
    "Rồng Rắn",
)


def active() -> bool:
    """Whether unlisted names and places are drawn (see :data:`ENV`)."""
    return os.environ.get(ENV) == "1"


def activate() -> None:
    """Draw unlisted names and places in this process and the processes it starts."""
    os.environ[ENV] = "1"


def _listed_person(name: str) -> bool:
    """The reference signal would call this name known (listed surname and given names)."""
    words = name.split()
    return bool(words) and is_known_surname(words[0]) and given_names_known(name)


@cache
def _unit_keys() -> frozenset[str]:
    """Bare names of every ward and district of the product's tables (comparison keys)."""
    keys: set[str] = set()
    for fname in ("wards_pre2025.csv", "wards_2025.csv", "districts_pre2025.csv"):
        with (DATA / fname).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                keys.add(name_key(row["name"]))
                keys.add(name_key(row["name"].split(" ", 1)[-1]))
    return frozenset(keys)


@cache
def persons(gender: str) -> tuple[str, ...]:
    """Ethnic-minority full names of ``gender`` ("male"/"female") the product lists lack."""
    names = MINORITY_MALE if gender == "male" else MINORITY_FEMALE
    return tuple(n for n in names if not _listed_person(n))


@cache
def given_names(gender: str) -> tuple[str, ...]:
    """Rare Kinh given names that make any listed surname an unlisted name."""
    names = RARE_GIVEN_MALE if gender == "male" else RARE_GIVEN_FEMALE
    return tuple(g for g in names if not given_names_known(f"Nguyễn {g}"))


@cache
def places() -> tuple[str, ...]:
    """Place names absent from the ward and district tables."""
    units = "\n".join(_unit_keys())  # one text: a substring test per place
    return tuple(p for p in PLACES if name_key(p) not in units)


def unlisted_person(rng: random.Random, gender: str, surname: str | None, listed: str) -> str:
    """A person's name the lists lack: a minority name, or a rare given name after a surname.

    Args:
        rng: the page's generator.
        gender: "male" or "female".
        surname: the surname to keep (a child takes the father's), or None.
        listed: the surname a listed draw would have used (kept with a rare given name).
    """
    if surname is None and rng.random() < 0.6:
        return rng.choice(persons(gender))
    return f"{surname or listed} {rng.choice(given_names(gender))}"


def unlisted_ward(rng: random.Random, ward: Mapping[str, str]) -> dict[str, str]:
    """The ward row with its commune renamed to one the tables lack (same unit type)."""
    unit = ward["ward"].split(" ", 1)[0]
    return {**ward, "ward": f"{unit} {rng.choice(places())}", "ward_code": ""}


def _has_words(value: str, words: str) -> bool:
    v, w = f" {' '.join(value.casefold().split())} ", f" {words.casefold()} "
    return w in v or w.rstrip() + "," in v


def unlisted_fields(fields: Mapping[str, Any]) -> list[str]:
    """Names of the fields whose value the reference signal cannot know.

    A person's name field (``pipeline.extract.signals.NAME_FIELDS``) whose surname or given
    names the lists lack (also a child given a minority father's surname), and any field
    holding a place of :data:`PLACES`.
    """
    out = []
    for name, value in fields.items():
        if not isinstance(value, str) or not value:
            continue
        person = name in NAME_FIELDS and not _listed_person(value)
        if person or any(_has_words(value, p) for p in places()):
            out.append(name)
    return out
