"""Synthetic marriage and death extracts (trích lục kết hôn / khai tử) with ground truth.

Split out of :mod:`bench.corpus.synth` (which re-exports the ``render_*`` functions) and built on
its canvas, people and places. Like every renderer there, each function is pure: a seed (and
options) in, ``(image, truth)`` out, the same pixels and truth for the same seed.

The layout follows the extracts of Circular 04/2020/TT-BTP: the commune's header, the title,
"Số" and "Quyển số", then labelled lines. The marriage extract gives each spouse a section
("Thông tin người chồng", "Thông tin người vợ") with the same sub-labels (Họ, chữ đệm, tên;
Ngày, tháng, năm sinh; Dân tộc … Quốc tịch; Nơi cư trú; Số định danh cá nhân), stacked one
above the other so the reading order is the line order.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from PIL import Image

from bench.corpus import extras, inked
from bench.corpus.synth import (
    _MAX_REG_YEAR,
    _MIN_REG_YEAR,
    DateWords,
    _address,
    _Canvas,
    _cell,
    _check_year,
    _dmy,
    _ethnic,
    _hamlet,
    _header,
    _id_number,
    _labelled,
    _lower_type,
    _nfc,
    _person,
    _pick_ward,
    _province_at,
    _random_date,
    _Run,
    _signature,
    _tab_cells,
    _truth,
    _wards,
    date_in_words,
    pick_date_words,
)

# Causes of death as a registrar writes them, with rough weights for the old and the young.
_CAUSES_OLD = {
    "Bệnh già": 40,
    "Tai biến mạch máu não": 12,
    "Suy tim": 8,
    "Nhồi máu cơ tim": 6,
    "Ung thư phổi": 5,
    "Ung thư gan": 5,
    "Suy hô hấp": 6,
    "Viêm phổi": 5,
    "Xơ gan": 3,
    "Đột quỵ": 6,
    "Bệnh tật": 4,
}
_CAUSES_YOUNG = {
    "Tai nạn giao thông": 30,
    "Ung thư gan": 10,
    "Ung thư máu": 6,
    "Đuối nước": 8,
    "Nhồi máu cơ tim": 8,
    "Xơ gan": 8,
    "Suy thận": 8,
    "Bệnh tật": 10,
    "Tai nạn lao động": 8,
}


class _Form:
    """Labelled lines of an extract between two margins, on a canvas."""

    def __init__(self, canvas: _Canvas, *, left: float, right: float, pt: float):
        self.canvas, self.left, self.right, self.pt = canvas, left, right, pt
        width = right - left
        self.stops = [left, left + width * 0.36, left + width * 0.64]

    def row(self, *groups: Sequence[_Run]) -> None:
        """Groups of runs at the tab stops, on one baseline."""
        cells = _tab_cells(self.canvas, groups, self.stops[: len(groups)], self.pt)
        self.canvas.put(cells, self.pt, lead=1.6)

    def para(self, label: str, value: str, *, bold: bool = False, key: str = "") -> None:
        """A label and its value (of field ``key``: by hand when the canvas says so), wrapped."""
        self.runs((*_labelled(label, value, bold=bold, key=key),))

    def runs(self, runs: tuple[_Run, ...]) -> None:
        """Runs (a label and tagged values), wrapped."""
        self.canvas.wrap(runs, self.pt, left=self.left, right=self.right, lead=1.6)

    def heading(self, text: str) -> None:
        """A bold section heading on its own line."""
        self.canvas.y += self.canvas.px(1.5)
        self.canvas.put([_cell(text, self.left, bold=True)], self.pt, lead=1.6)

    def words(self, when: str, style: DateWords | None, key: str = "") -> None:
        """The line "ghi bằng chữ: Ngày …" of an ISO date, when a style is given."""
        if style is not None:
            text = date_in_words(date.fromisoformat(when), style=style)
            self.para("ghi bằng chữ:", text, key=key)


def _start_extract(
    canvas: _Canvas, ward: dict[str, str], title: str, fields: dict[str, str]
) -> _Form:
    """Draw the header, the title and the "Số … Quyển số" row; return the form below them."""
    left, right = canvas.px(25), canvas.px(190)
    pt = 12.0 if canvas.face == "mono" else 13.0
    canvas.y = canvas.px(18)
    _header(
        canvas,
        [_Run(f"UBND {ward['district'].upper()}")],
        [_Run(f"UBND {ward['ward'].upper()}", bold=True)],
        pt=pt - 1,
        margins=(left, right),
    )
    canvas.y += canvas.px(8)
    canvas.put([_cell(title, (left + right) / 2, "c", bold=True)], pt + 3, lead=2)
    form = _Form(canvas, left=left, right=right, pt=pt)
    form.row(
        _labelled("Số:", fields["so"], key="so"),
        (),
        _labelled("Quyển số:", fields["quyen_so"], key="quyen_so"),
    )
    return form


def _finish_extract(form: _Form, signer: str) -> None:
    _signature(
        form.canvas,
        "NGƯỜI KÝ TRÍCH LỤC",
        signer,
        x=form.left + (form.right - form.left) * 0.72,
        pt=form.pt,
        note="(Ký, ghi rõ họ, chữ đệm, tên, đóng dấu)",
    )


def _reg_number(rng: random.Random, reg: date) -> dict[str, str]:
    return {"so": str(rng.randint(1, 180)), "quyen_so": f"{rng.randint(1, 2):02d}/{reg.year}"}


# ---------------------------------------------------------------- marriage


def render_marriage_extract(
    seed: int,
    *,
    dpi: int = 300,
    font: str = "serif",
    reg_year: int | None = None,
    date_words: DateWords | str | None = None,
    handwritten: str | None = None,
) -> tuple[Image.Image, dict[str, Any]]:
    """Render a "TRÍCH LỤC KẾT HÔN" (marriage extract) on A4 portrait.

    Args:
        seed: seed of the page's own ``random.Random``.
        dpi: resolution; the page is 210 × 297 mm.
        font: "serif", "mono", "sans" or "hand".
        reg_year: year of registration (the record's formation year), 1992–2024.
        date_words: also write the registration date in words (see
            :func:`bench.corpus.synth.pick_date_words`); None (the default) does not.
        handwritten: the values filled into the printed form by hand: None (typed), "all" or
            "some" (see :func:`bench.corpus.inked.pick_hand_tags`); the labels stay typed.

    Returns:
        The grayscale page and its truth (kind "ket_hon", fields ``MARRIAGE_FIELDS``).
    """
    _check_year(reg_year, _MIN_REG_YEAR, _MAX_REG_YEAR)
    rng = random.Random(seed)
    reg = _random_date(rng, reg_year if reg_year is not None else rng.randint(1992, 2021))
    ward = _pick_ward(rng, reg.year)
    fields = _reg_number(rng, reg) | _marriage_record(rng, ward, reg)
    signer = _person(rng, ward["region"], rng.choice(("male", "female")))
    canvas = _Canvas((210, 297), dpi=dpi, face=font, rng=rng)
    inked.start_hand(canvas, seed, inked.pick_hand_tags(seed, handwritten, list(fields)), pt=13)
    form = _start_extract(canvas, ward, "TRÍCH LỤC KẾT HÔN", fields)
    variant = extras.pick(seed)
    more = {"nguoi_ky": signer}
    if variant.permanent:
        more |= {"loai_cu_tru_chong": "thường trú", "loai_cu_tru_vo": "thường trú"}
    for title, key in (("Thông tin người chồng", "chong"), ("Thông tin người vợ", "vo")):
        form.heading(title)
        k = {name: f"{name}_{key}" for name in ("ho_ten", "ngay_sinh", "dan_toc", "quoc_tich")}
        form.para("Họ, chữ đệm, tên:", fields[k["ho_ten"]], bold=True, key=k["ho_ten"])
        form.para("Ngày, tháng, năm sinh:", _dmy(fields[k["ngay_sinh"]]), key=k["ngay_sinh"])
        form.row(
            _labelled("Dân tộc:", fields[k["dan_toc"]], key=k["dan_toc"]),
            (),
            _labelled("Quốc tịch:", fields[k["quoc_tich"]], key=k["quoc_tich"]),
        )
        for label, name in (
            (variant.residence_label, "noi_cu_tru"),
            ("Số định danh cá nhân:", "so_dinh_danh"),
        ):
            form.para(label, fields[f"{name}_{key}"], key=f"{name}_{key}")
    form.canvas.y += canvas.px(1.5)
    form.para("Nơi đăng ký kết hôn:", fields["noi_dang_ky"], key="noi_dang_ky")
    form.para("Ngày, tháng, năm đăng ký:", _dmy(fields["ngay_dang_ky"]), key="ngay_dang_ky")
    words = pick_date_words(date_words, seed=seed, region=ward["region"])
    form.words(fields["ngay_dang_ky"], words, key="ngay_dang_ky")
    _finish_extract(form, signer)
    img, extra = inked.finish_page(canvas, seed)
    return img, _truth("ket_hon", canvas, fields | more, seed) | _nfc(extra)


def _marriage_record(rng: random.Random, ward: dict[str, str], reg: date) -> dict[str, str]:
    """Fields of one marriage registration (names in capitals, dates ISO)."""
    out: dict[str, str] = {}
    # the husband lives in the commune that registers; the wife there or elsewhere
    homes = [ward, ward if rng.random() < 0.6 else rng.choice(_wards())]
    for key, gender, ages, home in (
        ("chong", "male", (20, 40), homes[0]),
        ("vo", "female", (18, 35), homes[1]),
    ):
        age = rng.randint(*ages) if rng.random() < 0.9 else rng.randint(ages[1], 60)
        birth = reg - timedelta(days=round(age * 365.25) + rng.randint(1, 360))
        out |= {
            f"ho_ten_{key}": _person(rng, home["region"], gender).upper(),
            f"ngay_sinh_{key}": birth.isoformat(),
            f"dan_toc_{key}": _ethnic(rng, home),
            f"quoc_tich_{key}": "Việt Nam",
            f"noi_cu_tru_{key}": _address(home, reg, hamlet=_hamlet(rng, home)),
            f"so_dinh_danh_{key}": _id_number(rng, home["province_code"], birth, gender),
        }
    out |= {
        "noi_dang_ky": f"Ủy ban nhân dân {_address(ward, reg)}",
        "ngay_dang_ky": reg.isoformat(),
    }
    return out


# ---------------------------------------------------------------- death


def render_death_extract(
    seed: int,
    *,
    dpi: int = 300,
    font: str = "serif",
    reg_year: int | None = None,
    date_words: DateWords | str | None = None,
    handwritten: str | None = None,
) -> tuple[Image.Image, dict[str, Any]]:
    """Render a "TRÍCH LỤC KHAI TỬ" (death extract) on A4 portrait.

    Args:
        seed: seed of the page's own ``random.Random``.
        dpi: resolution; the page is 210 × 297 mm.
        font: "serif", "mono", "sans" or "hand".
        reg_year: year of registration (the record's formation year), 1992–2024.
        date_words: also write the date of death in words (see
            :func:`bench.corpus.synth.pick_date_words`); None (the default) does not.
        handwritten: the values filled into the printed form by hand: None (typed), "all" or
            "some" (see :func:`bench.corpus.inked.pick_hand_tags`); the labels stay typed.

    Returns:
        The grayscale page and its truth (kind "khai_tu", fields ``DEATH_FIELDS``; ``gio_chet``
        is "HH:MM").
    """
    _check_year(reg_year, _MIN_REG_YEAR, _MAX_REG_YEAR)
    rng = random.Random(seed)
    reg = _random_date(rng, reg_year if reg_year is not None else rng.randint(1992, 2021))
    ward = _pick_ward(rng, reg.year)
    fields = _reg_number(rng, reg) | _death_record(rng, ward, reg)
    signer = _person(rng, ward["region"], rng.choice(("male", "female")))
    canvas = _Canvas((210, 297), dpi=dpi, face=font, rng=rng)
    inked.start_hand(canvas, seed, inked.pick_hand_tags(seed, handwritten, list(fields)), pt=13)
    form = _start_extract(canvas, ward, "TRÍCH LỤC KHAI TỬ", fields)
    f = fields
    form.para("Họ, chữ đệm, tên:", f["ho_ten"], bold=True, key="ho_ten")
    form.para("Ngày, tháng, năm sinh:", _dmy(f["ngay_sinh"]), key="ngay_sinh")
    form.row(*(_labelled(lab, f[k], key=k) for lab, k in _DEATH_ROW))
    form.para("Số định danh cá nhân:", f["so_dinh_danh"], key="so_dinh_danh")
    variant = extras.pick(seed)
    more = {"nguoi_ky": signer} | ({"loai_cu_tru": "thường trú"} if variant.permanent else {})
    residence = "Nơi thường trú cuối cùng:" if variant.permanent else "Nơi cư trú cuối cùng:"
    form.para(residence, f["noi_cu_tru"], key="noi_cu_tru")
    form.runs(_death_time(f, hand=canvas.hand is not None))
    words = pick_date_words(date_words, seed=seed, region=ward["region"])
    form.words(f["ngay_chet"], words, key="ngay_chet")
    for label, key in _DEATH_PARAS:
        form.para(label, f[key], key=key)
        if key == "nguoi_di_khai" and variant.declarant:
            lines, said = extras.declarant_lines(
                seed, "Con", reg, _lower_type(_province_at(ward, reg)), death=True
            )
            more |= said
            for line_label, value in lines:
                form.para(line_label, value)
    form.para("Ngày, tháng, năm đăng ký:", _dmy(f["ngay_dang_ky"]), key="ngay_dang_ky")
    _finish_extract(form, signer)
    img, extra = inked.finish_page(canvas, seed)
    return img, _truth("khai_tu", canvas, fields | more, seed) | _nfc(extra)


_DEATH_ROW = (("Giới tính:", "gioi_tinh"), ("Dân tộc:", "dan_toc"), ("Quốc tịch:", "quoc_tich"))
_DEATH_PARAS = (
    ("Nơi chết:", "noi_chet"),
    ("Nguyên nhân chết:", "nguyen_nhan_chet"),
    ("Họ, chữ đệm, tên người đi khai tử:", "nguoi_di_khai"),
    ("Nơi đăng ký khai tử:", "noi_dang_ky"),
)


def _death_time(f: dict[str, str], *, hand: bool) -> tuple[_Run, ...]:
    """ "Đã chết vào lúc: HH giờ MM phút, ngày DD/MM/YYYY", its numbers tagged when by hand."""
    hour, minute = f["gio_chet"].split(":")
    if not hand:  # one run, as typed
        return _labelled(
            "Đã chết vào lúc:", f"{hour} giờ {minute} phút, ngày {_dmy(f['ngay_chet'])}"
        )
    return (
        _Run("Đã chết vào lúc: "),
        _Run(hour, tag="gio_chet"),
        _Run(" giờ "),
        _Run(minute, tag="gio_chet"),
        _Run(" phút, ngày "),
        _Run(_dmy(f["ngay_chet"]), tag="ngay_chet"),
    )


def _death_record(rng: random.Random, ward: dict[str, str], reg: date) -> dict[str, str]:
    """Fields of one death registration (the deceased's name in capitals, dates ISO)."""
    region, gender = ward["region"], rng.choice(("male", "female"))
    late = rng.random() < 0.1
    died = reg - timedelta(days=rng.randint(200, 3000) if late else rng.randint(0, 15))
    age = rng.randint(55, 98) if rng.random() < 0.8 else rng.randint(1, 54)
    birth = _random_date(rng, died.year - age - 1)
    name = _person(rng, region, gender)
    home = _address(ward, died, hamlet=_hamlet(rng, ward))
    causes = _CAUSES_OLD if age >= 55 else _CAUSES_YOUNG
    place = rng.random()
    if place < 0.6:
        where = home
    elif place < 0.85:
        where = (
            f"Bệnh viện đa khoa {_lower_type(ward['district'])}, "
            f"{_lower_type(_province_at(ward, died))}"
        )
    else:
        where = f"Trạm y tế {_address(ward, died)}"
    relative = _person(
        rng,
        region,
        rng.choice(("male", "female")),
        surname=name.split()[0] if rng.random() < 0.7 else None,
    )
    return {
        "ho_ten": name.upper(),
        "gioi_tinh": "Nam" if gender == "male" else "Nữ",
        "ngay_sinh": birth.isoformat(),
        "dan_toc": _ethnic(rng, ward),
        "quoc_tich": "Việt Nam",
        "so_dinh_danh": _id_number(rng, ward["province_code"], birth, gender),
        "noi_cu_tru": home,
        "ngay_chet": died.isoformat(),
        "gio_chet": f"{rng.randint(0, 23):02d}:{rng.choice(range(0, 60, 5)):02d}",
        "noi_chet": where,
        "nguyen_nhan_chet": rng.choices(list(causes), list(causes.values()))[0],
        "nguoi_di_khai": relative,
        "noi_dang_ky": f"Ủy ban nhân dân {_address(ward, reg)}",
        "ngay_dang_ky": reg.isoformat(),
    }
