"""A register book scanned one page at a time: left and right pages joined (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.documents import PageInfo, TableShape, group_pages, right_page_of
from pipeline.extract.headers import _score
from pipeline.imaging.cleanup import border_mask
from schemas.models import FieldValue, Record


def _rec(**values: str) -> Record:
    return Record(
        schema="khai_sinh",
        fields={k: FieldValue(value=v, raw=v, confidence=0.95) for k, v in values.items()},
    )


LEFT_COLS = frozenset({"so", "ngay_dang_ky", "ho_ten", "ngay_sinh", "gioi_tinh", "dan_toc"})
RIGHT_COLS = frozenset({"noi_sinh", "ho_ten_cha", "ho_ten_me", "nguoi_di_khai", "ghi_chu"})


def _left(number: int = 1, rows: int = 5) -> PageInfo:
    recs = [
        _rec(so="12", ho_ten="Lê Văn An", noi_dang_ky="Ủy ban nhân dân xã Quỳnh Lâm"),
        _rec(so="13", ho_ten="Trần Thị Bình", noi_dang_ky="Ủy ban nhân dân xã Quỳnh Lâm"),
    ]
    return PageInfo(
        number, f"p{number}", "so_khai_sinh", recs, table=TableShape(rows, (0, 2), LEFT_COLS)
    )


def _right(number: int = 2, rows: int = 5, entry_rows: tuple[int, ...] = (0, 2)) -> PageInfo:
    recs = [
        _rec(noi_sinh="Trạm y tế xã Quỳnh Lâm", quyen_so="01/1998"),
        _rec(noi_sinh="xã Quỳnh Lâm, huyện Quỳnh Lưu", quyen_so="01/1998"),
    ][: len(entry_rows)]
    return PageInfo(
        number, f"p{number}", "so_khai_sinh", recs, table=TableShape(rows, entry_rows, RIGHT_COLS)
    )


def _values(rec: Record) -> dict[str, str | None]:
    return {k: v.value for k, v in rec.fields.items()}


def test_a_left_and_a_right_page_make_one_spread_with_each_entry_joined() -> None:
    (doc,) = group_pages([_left(), _right()])
    assert doc.spread and [p.number for p in doc.pages] == [1, 2]
    first, second = doc.records
    assert _values(first) == {
        "so": "12",
        "ho_ten": "Lê Văn An",
        "noi_dang_ky": "Ủy ban nhân dân xã Quỳnh Lâm",
        "noi_sinh": "Trạm y tế xã Quỳnh Lâm",
        "quyen_so": "01/1998",
    }
    assert first.fields["so"].page == 1 and first.fields["noi_sinh"].page == 2
    assert second.fields["noi_sinh"].value == "xã Quỳnh Lâm, huyện Quỳnh Lưu"
    assert doc.contract(1)["spread"] == {"left": 1, "right": 2}


def test_entries_join_by_their_ruled_row_not_by_their_order() -> None:
    # the right page's first entry row is empty (its cells were left blank): row 2 is the
    # second entry of both pages, not the right page's first record
    (doc,) = group_pages([_left(), _right(entry_rows=(2,))])
    first, second = doc.records
    assert "noi_sinh" not in first.fields
    assert second.fields["ho_ten"].value == "Trần Thị Bình"
    assert second.fields["noi_sinh"].value == "Trạm y tế xã Quỳnh Lâm"


@pytest.mark.parametrize(
    ("right", "why"),
    [
        (lambda: _right(rows=6), "ruled with another number of rows"),
        (lambda: _left(2), "a second left page (it numbers its entries)"),
        (
            lambda: PageInfo(2, "p2", "khai_sinh", [_rec(ho_ten="Lê An")]),
            "an extract, not a register page",
        ),
    ],
)
def test_pages_that_are_not_a_spread_stay_apart(right, why) -> None:
    pages = [_left(), right()]
    assert not right_page_of(*pages), why
    docs = group_pages(pages)
    assert len(docs) == 2 and not docs[0].spread


def test_two_spreads_in_a_row_pair_left_with_right() -> None:
    docs = group_pages([_left(1), _right(2), _left(3), _right(4)])
    assert [[p.number for p in d.pages] for d in docs] == [[1, 2], [3, 4]]
    assert all(d.spread for d in docs)


def test_a_header_that_is_part_of_a_longer_wording_names_the_shorter_one() -> None:
    # "Họ và tên" with a stray mark read before it: the child's name, not the declarant's
    assert _score("VÀ Họ và tên", "Họ và tên") > _score("VÀ Họ và tên", "Họ và tên người đi khai")


def test_a_ruled_table_cut_at_the_page_edge_is_not_a_border_but_a_dark_band_is() -> None:
    page = np.full((1000, 700), 235, np.uint8)
    for y in range(100, 900, 80):  # rules running off the right edge (the gutter)
        page[y : y + 2, 50:] = 20
    for x in range(50, 700, 120):
        page[100:882, x : x + 2] = 20
    assert not border_mask(page).any()
    page[:, :40] = 10  # the scanner lid's shadow along the left edge
    mask = border_mask(page)
    assert mask[:, :40].all() and not mask[500, 300:].any()


@pytest.mark.tesseract
def test_a_book_scanned_as_left_and_right_pages_gives_the_records_of_its_spreads(
    tmp_path: Path,
) -> None:
    from bench.corpus.halves import register_halves
    from flows.offline import process_one
    from pipeline.config import ProcessOptions

    halves, spreads = [], []
    for seed in (11, 23):
        spread, (left, right), _ = register_halves(seed, dpi=300)
        spreads.append(spread)
        halves += [left, right]
    for name, images in (("halves", halves), ("spreads", spreads)):
        images[0].save(
            tmp_path / f"{name}.tif", save_all=True, append_images=images[1:], dpi=(300, 300)
        )
    out = tmp_path / "out"
    out.mkdir()
    for name in ("halves", "spreads"):
        _, errors = process_one(tmp_path / f"{name}.tif", out, ProcessOptions(), tmp_path / "w")
        assert not errors
    by_halves = json.loads((out / "halves.json").read_text(encoding="utf-8"))
    by_spreads = json.loads((out / "spreads.json").read_text(encoding="utf-8"))
    assert [d["pages"] for d in by_halves["documents"]] == [[1, 2], [3, 4]]
    assert all("spread" in d for d in by_halves["documents"])
    a, b = by_halves["records"], by_spreads["records"]
    assert len(a) == len(b) >= 8
    same = total = 0
    for ra, rb in zip(a, b, strict=True):
        assert ra["fields"].keys() == rb["fields"].keys()
        assert ra["fields"]["so"]["value"] == rb["fields"]["so"]["value"]
        for name, fa in ra["fields"].items():
            total += 1
            same += fa["value"] == rb["fields"][name]["value"]
    # the same pixels read in a narrower page: an OCR slip here and there, no more
    assert same >= 0.95 * total, (same, total)
