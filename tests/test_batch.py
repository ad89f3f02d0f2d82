"""Batch stages with an in-memory store and a real SQLite database (no Tesseract)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from ocr.tesseract import TesseractEngine
from pipeline.config import ProcessOptions
from pipeline.db.migrate import upgrade_db
from pipeline.db.models import FieldRow, Page, RecordRow, make_engine, make_sessionmaker
from pipeline.errors import BadInputError
from pipeline.phases import load_plan
from pipeline.ports import ObjectStore
from pipeline.review.report import phase_status
from pipeline.work import batch as stages
from schemas.models import BookMeta, FieldValue, PageQuality, PageResult, Record
from tests.fakes import MemoryStore


@pytest.fixture
def ctx(tmp_path: Path) -> stages.Context:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_db(url)
    return stages.Context(
        sessions=make_sessionmaker(make_engine(url)),
        store=MemoryStore(),
        plan=load_plan(),
        options=ProcessOptions(),
        engine=TesseractEngine(),
        work_dir=tmp_path / "work",
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    d = tmp_path / "book"
    d.mkdir()
    for i in range(2):
        im = Image.new("L", (300, 200), 255)
        im.paste(i * 60, (20, 20, 100, 60))
        im.save(d / f"p{i}.png")
    (d / "rong.jpg").write_bytes(b"")
    return d


def _meta(**kw) -> BookMeta:
    base = {
        "book_type": "khai_sinh",
        "agency": "A1",
        "book": "02/1994",
        "year_from": 1994,
        "year_to": 1994,
    }
    return BookMeta(**{**base, **kw})


def test_memory_store_is_an_object_store():
    assert isinstance(MemoryStore(), ObjectStore)


def test_register_is_idempotent_and_records_bad_files(ctx, folder):
    bid = stages.open_batch(ctx.sessions, _meta(), folder)
    first = stages.register_pages(ctx.sessions, ctx.plan, bid)
    assert (first.new_pages, first.failed_files) == (3, 1)
    assert stages.open_batch(ctx.sessions, _meta(), folder) == bid
    again = stages.register_pages(ctx.sessions, ctx.plan, bid)
    assert (again.new_pages, again.known_pages) == (0, 3)
    assert len(stages.pending_pages(ctx.sessions, bid)) == 2
    with ctx.sessions() as s:
        bad = s.query(Page).filter_by(source_name="rong.jpg").one()
        assert (bad.status, bad.error_reason, bad.phase) == ("failed", "empty_file", "phase-5")


def test_store_master_is_content_addressed_and_idempotent(ctx, folder):
    bid = stages.open_batch(ctx.sessions, _meta(), folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    pid = stages.pending_pages(ctx.sessions, bid)[0]
    key = stages.store_master(ctx, pid)
    assert key.startswith("phase-5/A1/khai_sinh/02-1994/masters/") and key.endswith(".png")
    assert ctx.store.get_bytes(key) == (folder / "p0.png").read_bytes()
    assert stages.store_master(ctx, pid) == key and ctx.store.puts == 1


def test_changed_source_is_refused(ctx, folder):
    bid = stages.open_batch(ctx.sessions, _meta(), folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    pid = stages.pending_pages(ctx.sessions, bid)[0]
    (folder / "p0.png").write_bytes((folder / "p1.png").read_bytes())
    with pytest.raises(BadInputError) as exc:
        stages.store_master(ctx, pid)
    assert exc.value.reason == "source_changed"


def _result(tmp: Path, reg_date: str | None) -> Path:
    fields = {
        "ho_ten": FieldValue(value="LÊ VĂN A", raw="LÊ VĂN A", confidence=0.97, needs_review=False),
        "ngay_dang_ky": FieldValue(
            value=reg_date, raw=reg_date or "", confidence=0.95, needs_review=reg_date is None
        ),
    }
    res = PageResult(
        source="x",
        text="TRÍCH LỤC KHAI SINH",
        skew_deg=0.0,
        orientation_deg=0,
        quality=PageQuality(
            dpi=300.0,
            sharpness=900.0,
            ink_ratio=0.05,
            paper_level=240.0,
            ink_level=20.0,
            line_height_px=40.0,
            border_fraction=0.0,
        ),
        records=[Record(schema="khai_sinh", fields=fields)],
        kind="khai_sinh",
    )
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "00001_00001_result.json"
    path.write_text(res.model_dump_json(by_alias=True), encoding="utf-8")
    (tmp / "00001_00001_ocr.hocr").write_text("<html/>", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("reg", "phase", "source", "flagged"),
    [
        ("1994-05-02", "phase-5", "record", False),
        ("2018-03-01", "phase-2", "record", True),  # outside the book's declared years
        (None, "phase-5", "batch", True),
    ],
)
def test_outputs_are_placed_by_formation_year(ctx, folder, reg, phase, source, flagged):
    bid = stages.open_batch(ctx.sessions, _meta(), folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    pid = stages.pending_pages(ctx.sessions, bid)[0]
    stages.store_master(ctx, pid)
    for _ in range(2):  # a rerun replaces, never duplicates
        path = _result(ctx.work_dir / "p", reg)
        (rid,) = stages.store_outputs(ctx, pid, path)
    with ctx.sessions() as s:
        rec = s.get_one(RecordRow, rid)
        assert (rec.phase, rec.phase_source) == (phase, source)
        assert s.query(RecordRow).count() == 1 and s.query(FieldRow).count() == 2
        reg_field = s.query(FieldRow).filter_by(name="ngay_dang_ky").one()
        assert reg_field.needs_review is flagged
        assert rec.status == ("needs_review" if flagged else "auto_accepted")
        assert s.get_one(Page, pid).status == "processed"
    doc = json.loads(ctx.store.get_bytes(rec.object_key))
    assert doc["phase"] == phase and doc["fields"]["ho_ten"]["value"] == "LÊ VĂN A"
    assert rec.object_key.startswith(f"{phase}/A1/khai_sinh/02-1994/records/")
    status = phase_status(ctx.sessions, ctx.plan)
    row = next(r for r in status["phases"] if r["phase"] == phase)
    assert row["records"] == row["stored"] == 1
    assert status["totals"]["failed"] == 1 and status["totals"]["pages"] == 3
