"""Intake holds against careless and hostile inputs (issue 15, items 2–5 and 17).

Degenerate PDF pages, colliding output names, links out of a batch folder, pixel bombs
and CSV quoting: each is refused or handled with a reason, never a traceback.
"""

from __future__ import annotations

import pytest

from pipeline.errors import BadInputError
from pipeline.inventory import parse_inventory

HEADER = "agency,book_type,book,years,estimated_pages\n"


# ---------------------------------------------------------------- inventory CSV (item 17)
def test_inventory_quoted_field_with_doubled_quotes_is_read_as_one_quote():
    text = (
        HEADER
        + '"UBND xã ""Tân An""",khai_sinh,"01/1994, quyển ""A""",1994,120\n'
        + 'UBND,ket_hon,02,1995-1996,"30"\n'
    )
    first, second = parse_inventory(text)
    assert first.agency == 'UBND xã "Tân An"' and first.book == '01/1994, quyển "A"'
    assert (second.book, second.year_to, second.estimated_pages) == ("02", 1996, 30)


def test_inventory_semicolon_with_quotes_and_line_breaks_in_a_field():
    text = (
        "\ufeffagency;book_type;book;years;estimated_pages\r\n"
        '"xã ""B""; huyện C";khai_sinh;"01\n(bản sao)";1994;5\r\n'
    )
    (row,) = parse_inventory(text)
    assert row.agency == 'xã "B"; huyện C' and row.book == "01\n(bản sao)"


def test_inventory_bad_rows_are_reported_by_line_number():
    text = HEADER + '"a\nb",khai_sinh,1,1994,3\n' + "\n" + "x,khai_sinh,2,19x4,3\n"
    with pytest.raises(BadInputError) as exc:
        parse_inventory(text)
    assert exc.value.reason == "bad_inventory" and "dòng 5:" in exc.value.message_vi
    with pytest.raises(BadInputError) as exc:
        parse_inventory(HEADER + "a,khai_sinh,1,1994,3\n" + 'b,khai_sinh,"2,1994,3\n')
    assert "dòng 3" in exc.value.message_vi and "ngoặc kép" in exc.value.message_vi
    with pytest.raises(BadInputError, match="dòng 2: có 6 cột"):
        parse_inventory(HEADER + "a,khai_sinh,1,1994,3,thừa\n")
