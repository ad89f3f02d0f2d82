"""What a clerk types, as clerks type it: dates in short forms, read as the page means them.

Keying a handwritten register is mostly dates. Clerks type them the short way — ``21101994``,
``211094``, ``21/10/94``, ``21 10 1994`` — and expect to see them as Vietnamese write them
(21/10/1994). A two-digit year takes the century that puts it closest before the record's
own year (a birth "98" in a 2001 book is 1998; a registration "94" in a 1994 book is 1994).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

_DIGITS_ONLY = re.compile(r"^\d{6}$|^\d{8}$")
_PARTS = re.compile(r"^(\d{1,2})[\s/.\-]+(\d{1,2})[\s/.\-]+(\d{2}|\d{4})$")


def is_date_field(name: str) -> bool:
    """Is this field a full date (``ngay_…``; not a date in words)?"""
    return name.startswith("ngay_") and not name.endswith("bang_chu")


#: Dates the record is formed on (its own year decides): the nearest century wins for them.
FORMATION_DATES = ("ngay_dang_ky", "ngay_ban_hanh")


def full_year(yy: int, hint: int | None, *, nearest: bool = False) -> int:
    """The four-digit year of a two-digit one.

    An event before the registration (a birth, a death) takes the latest century not after
    ``hint`` + 1; the registration date itself (``nearest``) the century nearest ``hint``.
    """
    ref = hint or datetime.now(UTC).year
    if nearest:
        return min((c + yy for c in (1800, 1900, 2000)), key=lambda y: (abs(y - ref), -y))
    candidates = [c + yy for c in (1800, 1900, 2000) if c + yy <= ref + 1]
    return max(candidates) if candidates else 1900 + yy


def keyed_date(text: str, hint: int | None, *, nearest: bool = False) -> str:
    """A typed date in the form the validator reads (``dd/mm/yyyy``); other text unchanged.

    ``21101994`` → ``21/10/1994``; ``211094`` and ``21/10/94`` → ``21/10/1994`` (with a
    hint near 1994); ``21 10 1994`` → ``21/10/1994``. Nothing is checked here: the field's
    validator decides whether the day exists.
    """
    s = text.strip()
    if _DIGITS_ONLY.match(s):
        day, month, year = s[:2], s[2:4], s[4:]
    elif m := _PARTS.match(s):
        day, month, year = m[1], m[2], m[3]
    else:
        return text
    if len(year) == 2:
        year = str(full_year(int(year), hint, nearest=nearest))
    return f"{int(day):02d}/{int(month):02d}/{year}"
