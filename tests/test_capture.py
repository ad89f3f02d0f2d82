"""Batch folder, instant page checks and book-level checks (no scanner, no OCR)."""

from __future__ import annotations

import shutil

import pytest
from PIL import Image, ImageFilter

from pipeline.db.migrate import upgrade_db
from pipeline.db.models import Batch, FieldRow, Page, RecordRow, make_engine, make_sessionmaker
from pipeline.intake.bookcheck import Entry, check_book, entry_number_issues, parse_entry_number
from pipeline.intake.capture import BatchFolder, CaptureError, check_dpi, quick_check
from pipeline.ports import ScannedPage
from schemas.models import BookMeta

META = BookMeta(book_type="khai_sinh", agency="A1", book="02/1994", year_from=1994, year_to=1994)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Image.Image:
    from tests.conftest import SAMPLES

    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        return im.convert("RGB")


def test_instant_flags_blur_skew_blank_and_low_dpi(page):
    assert quick_check(page, 300)["flags"] == []
    assert "blurry" in quick_check(page.filter(ImageFilter.GaussianBlur(4)), 300)["flags"]
    turned = page.rotate(6, expand=True, fillcolor="white")
    q = quick_check(turned, 300)
    assert "skewed" in q["flags"] and abs(q["skew_deg"]) > 4
    assert "blank" in quick_check(Image.new("RGB", page.size, "white"), 300)["flags"]
    assert "low_dpi" in quick_check(page, 150)["flags"]
    with pytest.raises(CaptureError):
        check_dpi(199)


def test_batch_folder_keeps_pages_losslessly_and_flags_the_same_page_twice(tmp_path, page):
    small = page.resize((page.width // 2, page.height // 2))
    folder = BatchFolder.create(tmp_path / "b", META, source="test")
    first = folder.add_scan(ScannedPage(small, 300, "t #1"))
    again = folder.add_scan(ScannedPage(small.rotate(0.3, fillcolor="white"), 300, "t #2"))
    assert again.same_as == first.file and "same_page" in again.quality["flags"]
    with Image.open(tmp_path / "b" / first.file) as im:
        assert im.tobytes() == small.tobytes()  # lossless
    reopened = BatchFolder.open(tmp_path / "b")
    assert reopened.meta == META and [p.file for p in reopened.pages] == [
        "p00001.tif", "p00002.tif"
    ]  # fmt: skip
    with pytest.raises(CaptureError):
        BatchFolder.create(tmp_path / "b", META, source="test")


def test_entry_number_gaps_repeats_and_new_year():
    def issues(nums):
        return [(i.kind, i.pages) for i in entry_number_issues(
            [Entry(page, n) for page, n in nums])]  # fmt: skip

    assert issues([(1, 1), (1, 2), (2, 3), (2, 4)]) == []
    assert issues([(1, 1), (1, 2), (3, 5)]) == [("gap", (1, 3))]
    assert issues([(1, 1), (2, 2), (3, 2)]) == [("repeat", (2, 3))]
    assert issues([(1, 9), (2, 10), (3, 1), (3, 2)]) == []  # a new year starts at 1
    assert issues([(1, 5), (2, 3)]) == [("out_of_order", (1, 2))]
    gap = entry_number_issues([Entry(1, 4), Entry(2, 7)])[0]
    assert "trang bị thiếu?" in gap.message_vi and "5–6" in gap.message_vi
    assert parse_entry_number("Số: 12/1994") == 12 and parse_entry_number("") is None


def test_check_book_reads_the_database_and_hashes_pages(tmp_path, page):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_db(url)
    sessions = make_sessionmaker(make_engine(url))
    folder = tmp_path / "book"
    folder.mkdir()
    small = page.resize((page.width // 3, page.height // 3))
    small.save(folder / "a.png")
    shutil.copy(folder / "a.png", folder / "b.png")  # scanned twice
    small.rotate(90, expand=True).save(folder / "c.png")
    with sessions.begin() as s:
        b = Batch(agency="A1", book_type="khai_sinh", book="1", year_from=1994, year_to=1994,
                  source=str(folder))  # fmt: skip
        s.add(b)
        s.flush()
        for seq, (name, so) in enumerate((("a.png", "1"), ("b.png", "2"), ("c.png", "5")), 1):
            p = Page(batch_id=b.id, seq=seq, source_name=name, source_sha256=f"{seq}" * 8,
                     phase="phase-5", status="processed")  # fmt: skip
            s.add(p)
            s.flush()
            r = RecordRow(page_id=p.id, entry_index=0, schema_name="khai_sinh",
                          schema_version="1", phase="phase-5", status="needs_review")  # fmt: skip
            r.fields = [FieldRow(name="so", value=so)]
            s.add(r)
        batch_id = b.id
    kinds = sorted((i.kind, i.pages) for i in check_book(sessions, batch_id, folder))
    assert kinds == [("gap", (2, 3)), ("same_page", (1, 2))]
    assert (folder / ".sohoa-phash.json").exists()
