"""CSV the product writes for people to open in a spreadsheet, safe against formula injection.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by spreadsheet programs (``=cmd|' /C calc'!A0``); OWASP's rule is to prefix such a
cell with a single quote so it is shown as text. Numbers are written as they are.
Every CSV export goes through :func:`write_rows` (or :func:`safe_cell`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell that a spreadsheet shows, never evaluates.

    Ints and floats stay numbers (a negative count is not a formula); text starting with a
    formula character gets a leading ``'``; None becomes an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_row(row: Iterable[Any]) -> list[Any]:
    """Every cell of a row through :func:`safe_cell`."""
    return [safe_cell(v) for v in row]


def write_rows(rows: Iterable[Iterable[Any]], *, bom: bool = True) -> str:
    """CSV text of ``rows`` with every cell neutralised (UTF-8 BOM first by default)."""
    buf = io.StringIO()
    out = csv.writer(buf)
    for row in rows:
        out.writerow(safe_row(row))
    return ("\ufeff" if bom else "") + buf.getvalue()
