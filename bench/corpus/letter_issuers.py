"""Who issues a multi-page Decree-30 document and who signs it (test material, bench only).

:func:`pick_issuer` draws an issuing office from the project's copies of the public unit
tables (``pipeline/data``: the 63 provinces and 696 districts before July 2025, the 34
provinces and 3,321 communes after, built from ``shared/reference``): a provincial
department under its province's people's committee, a district office, a people's committee
printed as one body over two lines, a ministry on one line, a provincial police department's
office, a provincial tax department, a commune of 2025. Each comes with its issuer block as
printed, the two issuer fields as a clerk keys them, the symbol used in its numbers, the
place name of its date line and the titles its signers hold.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache

from bench.corpus import synth

#: Provincial departments (name, symbol, head's title); "—" marks names of before July 2025.
DEPARTMENTS = (
    ("SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG", "STNMT", "GIÁM ĐỐC", "—"),
    ("SỞ GIÁO DỤC VÀ ĐÀO TẠO", "SGDĐT", "GIÁM ĐỐC", ""),
    ("SỞ Y TẾ", "SYT", "GIÁM ĐỐC", ""),
    ("SỞ TƯ PHÁP", "STP", "GIÁM ĐỐC", ""),
    ("SỞ NỘI VỤ", "SNV", "GIÁM ĐỐC", ""),
    ("SỞ KẾ HOẠCH VÀ ĐẦU TƯ", "SKHĐT", "GIÁM ĐỐC", "—"),
    ("SỞ TÀI CHÍNH", "STC", "GIÁM ĐỐC", ""),
    ("SỞ XÂY DỰNG", "SXD", "GIÁM ĐỐC", ""),
    ("SỞ GIAO THÔNG VẬN TẢI", "SGTVT", "GIÁM ĐỐC", "—"),
    ("SỞ NÔNG NGHIỆP VÀ PHÁT TRIỂN NÔNG THÔN", "SNN", "GIÁM ĐỐC", "—"),
    ("SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "SNNMT", "GIÁM ĐỐC", "2025"),
    ("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", "SLĐTBXH", "GIÁM ĐỐC", "—"),
    ("SỞ VĂN HÓA, THỂ THAO VÀ DU LỊCH", "SVHTTDL", "GIÁM ĐỐC", ""),
    ("SỞ CÔNG THƯƠNG", "SCT", "GIÁM ĐỐC", ""),
    ("SỞ KHOA HỌC VÀ CÔNG NGHỆ", "SKHCN", "GIÁM ĐỐC", ""),
    ("SỞ THÔNG TIN VÀ TRUYỀN THÔNG", "STTTT", "GIÁM ĐỐC", "—"),
    ("BAN QUẢN LÝ CÁC KHU CÔNG NGHIỆP", "BQLKCN", "TRƯỞNG BAN", ""),
    ("THANH TRA TỈNH", "TTr", "CHÁNH THANH TRA", ""),
    ("VĂN PHÒNG ỦY BAN NHÂN DÂN", "VPUBND", "CHÁNH VĂN PHÒNG", ""),
)
#: Offices of a district's people's committee (before July 2025).
DISTRICT_OFFICES = (
    ("PHÒNG GIÁO DỤC VÀ ĐÀO TẠO", "PGDĐT", "TRƯỞNG PHÒNG"),
    ("PHÒNG TÀI NGUYÊN VÀ MÔI TRƯỜNG", "TNMT", "TRƯỞNG PHÒNG"),
    ("PHÒNG TƯ PHÁP", "PTP", "TRƯỞNG PHÒNG"),
    ("PHÒNG NỘI VỤ", "PNV", "TRƯỞNG PHÒNG"),
    ("PHÒNG TÀI CHÍNH - KẾ HOẠCH", "TCKH", "TRƯỞNG PHÒNG"),
    ("PHÒNG Y TẾ", "PYT", "TRƯỞNG PHÒNG"),
    ("PHÒNG VĂN HÓA VÀ THÔNG TIN", "VHTT", "TRƯỞNG PHÒNG"),
    ("PHÒNG KINH TẾ VÀ HẠ TẦNG", "KTHT", "TRƯỞNG PHÒNG"),
    ("VĂN PHÒNG HĐND VÀ UBND", "VP", "CHÁNH VĂN PHÒNG"),
)
#: Offices of a provincial police department (their signers print a rank before the name).
POLICE_OFFICES = (
    ("PHÒNG CẢNH SÁT GIAO THÔNG", "PC08"),
    ("PHÒNG CẢNH SÁT QUẢN LÝ HÀNH CHÍNH VỀ TRẬT TỰ XÃ HỘI", "PC06"),
    ("PHÒNG CẢNH SÁT PHÒNG CHÁY, CHỮA CHÁY VÀ CỨU NẠN, CỨU HỘ", "PC07"),
    ("PHÒNG THAM MƯU", "PV01"),
    ("PHÒNG AN NINH KINH TẾ", "PA04"),
)
MINISTRIES = (
    ("BỘ TƯ PHÁP", "BTP"),
    ("BỘ NỘI VỤ", "BNV"),
    ("BỘ Y TẾ", "BYT"),
    ("BỘ GIÁO DỤC VÀ ĐÀO TẠO", "BGDĐT"),
    ("BỘ TÀI CHÍNH", "BTC"),
    ("BỘ XÂY DỰNG", "BXD"),
)
#: Sub-units whose code follows the office's in a công văn's symbol ("SXD-QLN").
SUB_UNITS = ("VP", "KHTC", "TCCB", "QLCL", "NV", "TTr", "QLN", "PC", "HCTH", "KT", "CTrTT")
ACRONYMS = ("UBND", "HĐND")
RANKS = ("Đại tá", "Thượng tá", "Trung tá", "Thiếu tá", "Đại úy")
DEGREES = ("ThS.", "TS.", "KS.", "BS.", "PGS.TS.")


@dataclass(frozen=True)
class Issuer:
    """An issuing office as its documents print it.

    Attributes:
        lines: the issuer block, top to bottom: (text, bold).
        chu_quan: the parent body as keyed ("" when the block names none).
        ban_hanh: the issuing body as keyed (its lines joined with a space).
        symbol: its code in document numbers ("SXD").
        place: the place name of its date line.
        title: what it is called in prose ("Sở Xây dựng").
        head: its head's title ("GIÁM ĐỐC"); deputy: the deputy's ("PHÓ GIÁM ĐỐC").
        collective: "TM." line of a collective body ("TM. ỦY BAN NHÂN DÂN"), else "".
        ranked: its signers print a police rank before their name.
        year: the year of its documents.
    """

    lines: tuple[tuple[str, bool], ...]
    chu_quan: str
    ban_hanh: str
    symbol: str
    place: str
    title: str
    head: str
    deputy: str
    collective: str = ""
    ranked: bool = False
    year: int = 2021


@cache
def _districts() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in synth._read_csv("districts_pre2025.csv"):
        out.setdefault(row["province_code"], []).append(row["name"])
    return out


@cache
def _provinces_2025() -> dict[str, str]:
    return {r["code"]: r["name"] for r in synth._read_csv("provinces_2025.csv")}


@cache
def _communes_2025() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in synth._read_csv("wards_2025.csv"):
        out.setdefault(row["province_code"], []).append(row["name"])
    return out


def place_of(unit: str) -> str:
    """Place name of a unit's date line: "Huyện Điện Bàn" → "Điện Bàn"; "Quận 1" stays."""
    if unit.startswith(("Tỉnh ", "Thành phố ")):
        return synth._place_name(unit)
    head, _, rest = unit.partition(" ")
    for kind in ("phố", "xã", "trấn"):  # "Thành phố Thủ Đức", "Thị xã Sơn Tây", "Thị trấn …"
        if rest.startswith(kind + " "):
            head, rest = f"{head} {kind}", rest[len(kind) + 1 :]
    return unit if rest.isdigit() else rest


def _upper_unit(name: str) -> str:
    return name.upper()


def prose_name(name: str) -> str:
    """A body's name as written in prose: "SỞ Y TẾ" → "Sở Y tế", "BỘ TƯ PHÁP" → "Bộ Tư pháp"."""
    upper = name.split()
    words = name.lower().split()
    starts = {0, 2 if words[:2] == ["văn", "phòng"] else 1}
    starts |= {i + 1 for i, w in enumerate(words) if w in ("và", "-") or w.endswith(",")}
    out = [w.capitalize() if i in starts else w for i, w in enumerate(words)]
    return " ".join(u if u in ACRONYMS else w for u, w in zip(upper, out, strict=True))


def split_name(name: str, rng: random.Random) -> list[str]:
    """A body's name over one or two lines, as offices break a long name."""
    words = name.split()
    if " VÀ " in name and (len(name) > 24 or rng.random() < 0.5):
        at = max(i for i, w in enumerate(words) if w == "VÀ")
        return [" ".join(words[:at]), " ".join(words[at:])]
    if len(name) > 30:
        at = len(words) // 2
        return [" ".join(words[:at]), " ".join(words[at:])]
    return [name]


def _block(parent: str, body: str, rng: random.Random) -> tuple[tuple[str, bool], ...]:
    lines = [(parent, False)] if parent else []
    return (*lines, *((s, True) for s in split_name(body, rng)))


def _under(
    parent: str,
    body: str,
    rng: random.Random,
    *,
    symbol: str,
    place: str,
    head: str,
    year: int,
    title: str = "",
    ranked: bool = False,
) -> Issuer:
    """An office printed under its parent body: the parent's line, then its own (1–2 lines)."""
    return Issuer(
        lines=_block(parent, body, rng),
        chu_quan=parent,
        ban_hanh=body,
        symbol=symbol,
        place=place,
        title=title or prose_name(body),
        head=head,
        deputy=f"PHÓ {head}",
        ranked=ranked,
        year=year,
    )


def _department(rng: random.Random, year: int) -> Issuer:
    era = "2025" if year >= 2025 else "—"
    pool = [d for d in DEPARTMENTS if d[3] in ("", era)]
    name, symbol, head, _ = rng.choice(pool)
    provinces = _provinces_2025() if year >= 2025 else synth._provinces()
    province = rng.choice(sorted(provinces.values()))
    parent = ("ỦY BAN NHÂN DÂN " if rng.random() < 0.2 else "UBND ") + _upper_unit(province)
    body = name.replace("TỈNH", "THÀNH PHỐ") if province.startswith("Thành phố") else name
    return _under(
        parent, body, rng, symbol=symbol, place=synth._place_name(province), head=head, year=year
    )


def _district_office(rng: random.Random, year: int) -> Issuer:
    code = rng.choice(sorted(_districts()))
    district = rng.choice(_districts()[code])
    name, symbol, head = rng.choice(DISTRICT_OFFICES)
    parent = "UBND " + _upper_unit(district)
    return _under(parent, name, rng, symbol=symbol, place=place_of(district), head=head, year=year)


def _committee(rng: random.Random, year: int) -> Issuer:
    """A people's committee printed as one body: "ỦY BAN NHÂN DÂN" / "TỈNH QUẢNG NAM"."""
    if year >= 2025:
        code = rng.choice(sorted(_communes_2025()))
        unit = rng.choice(_communes_2025()[code])
    elif rng.random() < 0.5:
        unit = rng.choice(sorted(synth._provinces().values()))
    else:
        unit = rng.choice(_districts()[rng.choice(sorted(_districts()))])
    body = f"ỦY BAN NHÂN DÂN {_upper_unit(unit)}"
    one_line = len(body) <= 30 and rng.random() < 0.4
    lines = ((body, True),) if one_line else (("ỦY BAN NHÂN DÂN", True), (_upper_unit(unit), True))
    return Issuer(
        lines=lines,
        chu_quan="",
        ban_hanh=body,
        symbol="UBND",
        place=place_of(unit),
        title=f"Ủy ban nhân dân {synth._lower_type(unit)}",
        head="CHỦ TỊCH",
        deputy="PHÓ CHỦ TỊCH",
        collective="TM. ỦY BAN NHÂN DÂN",
        year=year,
    )


def _ministry(rng: random.Random, year: int) -> Issuer:
    name, symbol = rng.choice(MINISTRIES)
    return Issuer(
        lines=((name, True),),
        chu_quan="",
        ban_hanh=name,
        symbol=symbol,
        place="Hà Nội",
        title=prose_name(name),
        head="BỘ TRƯỞNG",
        deputy="THỨ TRƯỞNG",
        year=year,
    )


def _police(rng: random.Random, year: int) -> Issuer:
    province = rng.choice(sorted(synth._provinces().values()))
    parent = "CÔNG AN " + _upper_unit(province)
    name, symbol = rng.choice(POLICE_OFFICES)
    place = synth._place_name(province)
    return _under(
        parent, name, rng, symbol=symbol, place=place, head="TRƯỞNG PHÒNG", ranked=True, year=year
    )


def _tax(rng: random.Random, year: int) -> Issuer:
    province = rng.choice(sorted(synth._provinces().values()))
    body = "CỤC THUẾ " + _upper_unit(province)
    place = synth._place_name(province)
    return _under(
        "TỔNG CỤC THUẾ",
        body,
        rng,
        symbol="CT" + "".join(w[0] for w in place.split()).upper(),
        place=place,
        head="CỤC TRƯỞNG",
        year=year,
        title=f"Cục Thuế {synth._lower_type(province)}",
    )


_KINDS = (  # (drawer, weight before July 2025, weight after)
    (_department, 40, 60),
    (_district_office, 18, 0),
    (_committee, 18, 40),
    (_ministry, 8, 0),
    (_police, 9, 0),
    (_tax, 7, 0),
)


def pick_issuer(rng: random.Random) -> Issuer:
    """An issuing office and the year of its document (2017–2025; 2025 after the merger)."""
    year = rng.choice((2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025))
    weights = [after if year >= 2025 else before for _, before, after in _KINDS]
    draw = rng.choices([k[0] for k in _KINDS], weights)[0]
    return draw(rng, year)


def signer_titles(issuer: Issuer, rng: random.Random) -> list[str]:
    """The signer's title lines: an optional "KT./TM./Q./TL./TUQ." line, then the title."""
    r = rng.random()
    head, deputy = issuer.head, issuer.deputy
    if issuer.collective:
        if r < 0.3:
            return [issuer.collective, head]
        if r < 0.6:
            return [issuer.collective, f"KT. {head}", deputy]
        return [f"KT. {head}", deputy]
    if r < 0.25:
        return [head]
    if r < 0.7:
        return [f"KT. {head}", deputy]
    if r < 0.8:
        return [f"Q. {head}"]
    office = "CHÁNH VĂN PHÒNG" if "VĂN PHÒNG" not in head else "TRƯỞNG PHÒNG HÀNH CHÍNH"
    if r < 0.9:
        return [f"TL. {head}", rng.choice((office, f"Q. {office}"))]
    return [f"TUQ. {head}", office]


def signer_rank(issuer: Issuer, rng: random.Random) -> str:
    """What is printed before the signer's name: a police rank, sometimes a degree, or ""."""
    if issuer.ranked:
        return rng.choice(RANKS)
    return rng.choice(DEGREES) if rng.random() < 0.2 else ""


def number_symbol(issuer: Issuer, type_abbr: str, rng: random.Random) -> str:
    """The symbol after the number: "QĐ-SXD" for a titled type, "SXD-QLN" or "SXD" for a letter."""
    if type_abbr:
        return f"{type_abbr}-{issuer.symbol}"
    if rng.random() < 0.6:
        return f"{issuer.symbol}-{rng.choice(SUB_UNITS)}"
    return issuer.symbol
