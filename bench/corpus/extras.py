"""Form variants that print what the Ministry's import template asks beyond the main fields.

Issue 19: some extracts print the parents' full dates of birth instead of their years, say
"Nơi thường trú" (permanent residence) instead of "Nơi cư trú", or give the declarant's
relation and identity paper; some register pages carry their page number ("Trang 37") in the
margin. Each page draws its variants from its own ``random.Random`` (seeded apart from the
page's), so pages without them keep their pixels, and the truth lists a field only where the
page prints it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Variant:
    """Which of the optional wordings one page prints."""

    parent_dates: bool = False
    permanent: bool = False
    declarant: bool = False
    page_number: int | None = None

    @property
    def residence_label(self) -> str:
        """The residence label as this page prints it."""
        return "Nơi thường trú:" if self.permanent else "Nơi cư trú:"


def pick(seed: int | str, *, register: bool = False) -> Variant:
    """The variants of the page of ``seed`` (about a third of pages print each)."""
    rng = random.Random(f"issue19-{seed}")
    if register:
        return Variant(page_number=rng.randint(2, 200) if rng.random() < 0.5 else None)
    return Variant(
        parent_dates=rng.random() < 0.3,
        permanent=rng.random() < 0.3,
        declarant=rng.random() < 0.35,
    )


def parent_birth(seed: int | str, who: str, year: int) -> date:
    """A parent's date of birth in ``year`` (drawn apart from the page's own draws)."""
    rng = random.Random(f"issue19-{seed}-{who}")
    return date(year, 1, 1) + timedelta(days=rng.randint(0, 364))


_RELATIONS = {"father": "Cha", "mother": "Mẹ", "other": "Ông nội"}


def declarant_lines(
    seed: int | str, who: str, reg: date, province: str, *, death: bool = False
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The declarant's relation and identity paper lines, and their truth.

    ``who``: "father", "mother" or "other" (a birth), or the relation to the deceased
    ("Con", "Vợ", …) when ``death``; before 2016 the paper is a 9-digit CMND issued by
    the province's police, from 2016 a 12-digit CCCD issued by the police department that
    issues them.
    """
    rng = random.Random(f"issue19-{seed}-paper")
    issued = reg - timedelta(days=rng.randint(200, 4000))
    relation = who if death else _RELATIONS[who]
    if reg.year < 2016:
        kind, short, number = "Chứng minh nhân dân", "CMND", f"{rng.randrange(10**8, 10**9)}"
        place = f"Công an {province}"
    else:
        kind, short = "Căn cước công dân", "CCCD"
        number = f"0{rng.randrange(10**10, 10**11)}"
        place = "Cục Cảnh sát quản lý hành chính về trật tự xã hội"
    paper = f"{short} số {number}, cấp ngày {issued:%d/%m/%Y}, tại {place}"
    label = "Quan hệ với người chết:" if death else "Quan hệ với người được khai sinh:"
    lines = [(label, relation), ("Giấy tờ tùy thân:", paper)]
    truth = {
        "quan_he_nguoi_di_khai": relation,
        "giay_to_nguoi_di_khai": kind,
        "so_giay_to_nguoi_di_khai": number,
        "ngay_cap_giay_to_nguoi_di_khai": issued.isoformat(),
        "noi_cap_giay_to_nguoi_di_khai": place,
    }
    return lines, truth
