"""A corrected registration date moves the record to its phase (issue 20, item 6).

Real Tesseract, SQLite (migrations), SeaweedFS through the minio SDK: a register entry of
1994 (phase 5) is approved with its registration date corrected to 1997 (phase 4). Every
version moves under phase 4, the database follows, the audit keeps the old keys, and
``sohoa verify`` finds nothing missing or orphaned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.archive.verify import verify_store
from pipeline.config import ProcessOptions
from pipeline.db.models import RecordRow, ReviewEvent
from pipeline.phases import load_plan
from pipeline.review import rephase
from pipeline.review.approve import approve_record
from pipeline.review.queue import load_record
from pipeline.work import batch as stages
from tests import s3_fixtures
from tests.test_batch import _meta
from tests.test_export import _ingest
from tests.ui_fixtures import add_users, make_sessions

s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store


def test_rekey_swaps_only_the_phase_prefix() -> None:
    key = "phase-5/ubnd/khai-sinh/01-1994/p00001-e00.v2.json"
    assert rephase.rekey(key, "phase-5", "phase-4") == (
        "phase-4/ubnd/khai-sinh/01-1994/p00001-e00.v2.json"
    )
    with pytest.raises(ValueError):
        rephase.rekey(key, "phase-4", "phase-3")


@pytest.mark.s3
@pytest.mark.tesseract
@pytest.mark.timeout(600)
def test_a_corrected_registration_date_moves_the_record_to_its_phase(
    tmp_path: Path, s3_store
) -> None:
    from bench.corpus.synth import render_register_page
    from ocr.tesseract import TesseractEngine

    sessions = make_sessions(tmp_path)
    plan = load_plan()
    ctx = stages.Context(
        sessions, s3_store, plan, ProcessOptions(), tmp_path / "w", TesseractEngine()
    )
    folder = tmp_path / "in"
    folder.mkdir()
    img, _ = render_register_page(11, dpi=300, reg_year=1994, n_entries=2)
    img.convert("RGB").save(folder / "trang-01.png", dpi=(300, 300))
    book = f"01/1994-{abs(hash(tmp_path.name)) % 10**6}"
    meta = _meta(book_type="khai_sinh", book=book, year_from=1994, year_to=1994)
    _ingest(ctx, meta, folder)
    clerk = add_users(sessions, {"clerk1": "clerk"})["clerk1"]
    with sessions() as s:
        rec = s.scalars(select(RecordRow).order_by(RecordRow.id)).first()
        assert rec is not None
        rid, old_key, old_version = rec.id, rec.object_key or "", rec.version
    assert rec.phase == "phase-5" and old_key.startswith("phase-5/")
    view = load_record(sessions, rid)
    assert view is not None
    typed = {f.name: f.display for f in view.fields}
    typed["ngay_dang_ky"] = "21/10/1997"
    done = approve_record(sessions, s3_store, rid, clerk, typed, set(typed), plan=plan)
    assert done.ok, done.errors or done.message
    new_key = done.object_key or ""
    assert new_key == rephase.rekey(old_key, "phase-5", "phase-4").replace(
        f".v{old_version}.json", f".v{old_version + 1}.json"
    )
    with sessions() as s:
        row = s.get_one(RecordRow, rid)
        assert (row.phase, row.formation_year, row.object_key) == ("phase-4", 1997, new_key)
        events = list(s.scalars(select(ReviewEvent).where(ReviewEvent.record_id == rid)))
    doc = json.loads(s3_store.get_bytes(new_key))
    assert (doc["phase"], doc["formation_year"]) == ("phase-4", 1997)
    assert doc["fields"]["ngay_dang_ky"]["value"] == "1997-10-21"
    assert str(doc["previous_version_key"]).startswith("phase-4/")
    # every earlier version now lives under phase 4, none is left under phase 5
    base = old_key.rsplit(".v", 1)[0]
    for v in range(1, old_version + 1):
        assert s3_store.stat(f"{base}.v{v}.json") is None
        moved = rephase.rekey(f"{base}.v{v}.json", "phase-5", "phase-4")
        assert s3_store.stat(moved) is not None
    # the audit keeps the old keys
    phase = [(e.old_value, e.new_value) for e in events if e.action == "phase"]
    assert phase == [("phase-5", "phase-4")]
    moves = {e.old_value: e.new_value for e in events if e.action == "move"}
    assert old_key in moves and moves[old_key] == rephase.rekey(old_key, "phase-5", "phase-4")
    report = verify_store(sessions, s3_store)
    assert report.ok, [(f.kind, f.key, f.detail) for f in report.unresolved]
