"""The batch flow joins documents over pages: a letter's signer page, a register's right page.

Real Tesseract and SQLite, the in-memory object store (what is under test is the join, not
storage: the S3 path is the one every stored record takes, tested elsewhere).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from pipeline.db.models import FieldRow, Page, RecordRow
from pipeline.work import batch as stages
from pipeline.work.joining import join_documents
from tests.test_batch import _meta, ctx  # noqa: F401 - the fixture

pytestmark = pytest.mark.tesseract


def _run(ctx: stages.Context, folder: Path) -> int:  # noqa: F811
    bid = stages.open_batch(ctx.sessions, _meta(book_type="khai_sinh"), folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    for pid in stages.pending_pages(ctx.sessions, bid):
        stages.store_master(ctx, pid)
        stages.store_outputs(ctx, pid, stages.process_page(ctx, pid))
    return bid


def letter_pages(tmp_path: Path, *extra) -> tuple[Path, dict]:  # type: ignore[no-untyped-def]
    """A folder with a plain two-page letter (no seal, typed digits) as page files, then
    ``extra`` images; and the letter's truth."""
    from bench.corpus.letters import render_letter

    folder = tmp_path / "in"
    folder.mkdir()
    letter, truth = render_letter(
        5, pages=2, annex=False, handwritten=(), marks=(), copy_mark="", face="serif"
    )
    for i, im in enumerate([*letter, *extra], start=1):
        im.save(folder / f"trang-{i:02d}.png", dpi=(300, 300))
    return folder, truth


def _pages(ctx: stages.Context) -> list[Page]:  # noqa: F811
    with ctx.sessions() as s:
        pages = s.scalars(select(Page).order_by(Page.seq)).all()
        for p in pages:
            _ = [f.page_id for r in p.records for f in r.fields]
        return list(pages)


def test_a_letter_and_a_spread_scanned_page_by_page_become_their_documents(
    ctx: stages.Context,  # noqa: F811
    tmp_path: Path,
) -> None:
    from bench.corpus.halves import register_halves

    _, (left, right), _ = register_halves(11, dpi=300)
    folder, _ = letter_pages(tmp_path, left, right)
    bid = _run(ctx, folder)
    before = _pages(ctx)
    # before the join the later pages hold their records for the first page
    assert [len(p.records) for p in before] == [1, 0, 5, 0]
    assert before[1].layout["held"] and len(before[3].layout["held"]) == 5

    assert join_documents(ctx, bid) >= 2
    p1, p2, p3, p4 = _pages(ctx)
    assert (p2.document_page_id, p4.document_page_id) == (p1.id, p3.id)
    (rec,) = p1.records
    fields = {f.name: f for f in rec.fields}
    assert fields["nguoi_ky"].page_id == p2.id  # the signer is on the letter's last page
    assert fields["so_ky_hieu"].page_id is None  # the number on the record's own page
    assert rec.version == 2 and rec.object_key.endswith(".v2.json")
    entries = sorted(p3.records, key=lambda r: r.entry_index)
    assert len(entries) == 5 and not p4.records
    for entry in entries:
        got = {f.name: f for f in entry.fields}
        assert got["so"].page_id is None and got["noi_sinh"].page_id == p4.id
        assert got["ho_ten_cha"].value and got["quyen_so"].value

    # a second run (the flow's own join after the workers' one) changes nothing
    assert join_documents(ctx, bid) == 0
    with ctx.sessions() as s:
        assert s.scalar(select(RecordRow.version).where(RecordRow.id == rec.id)) == 2


def test_a_right_page_without_its_left_page_keeps_its_entries(
    ctx: stages.Context,  # noqa: F811
    tmp_path: Path,
) -> None:
    from bench.corpus.halves import register_halves

    folder = tmp_path / "in"
    folder.mkdir()
    _, (_left, right), _ = register_halves(23, dpi=300)
    right.save(folder / "trang-02.png", dpi=(300, 300))
    bid = _run(ctx, folder)
    assert not _pages(ctx)[0].records
    join_documents(ctx, bid)
    (page,) = _pages(ctx)
    assert len(page.records) == 5  # nothing read is dropped: its entries, for review
    with ctx.sessions() as s:
        first = page.records[0].id
        names = set(s.scalars(select(FieldRow.name).where(FieldRow.record_id == first)))
    assert {"noi_sinh", "ho_ten_me"} <= names


def _field_pages(ctx: stages.Context, page_id: int) -> dict[str, int | None]:  # noqa: F811
    with ctx.sessions() as s:
        rows = s.scalars(select(FieldRow).join(RecordRow).where(RecordRow.page_id == page_id)).all()
        return {f.name: f.page_id for f in rows}


def test_a_clerk_splits_a_wrongly_joined_page_off_and_merges_it_back_audited(
    ctx: stages.Context,  # noqa: F811
    tmp_path: Path,
) -> None:
    from pipeline.db.models import ReviewEvent
    from pipeline.work.joining import CannotRegroup, merge_into_previous, split_at

    folder, _ = letter_pages(tmp_path)
    bid = _run(ctx, folder)
    join_documents(ctx, bid)
    p1, p2 = _pages(ctx)
    assert _field_pages(ctx, p1.id)["nguoi_ky"] == p2.id

    new_first = split_at(ctx, p2.id, user_id=None)
    p1, p2 = _pages(ctx)
    assert p2.document_page_id == p2.id and len(p2.records) == 1
    assert new_first == p2.records[0].id
    assert p2.id not in _field_pages(ctx, p1.id).values()  # page 1 keeps only its own readings
    assert "nguoi_ky" in _field_pages(ctx, p2.id)  # the signer page is a record of its own

    merged = merge_into_previous(ctx, p2.id, user_id=None)
    p1, p2 = _pages(ctx)
    assert merged == p1.records[0].id
    # the signer page's own record is replaced, kept with its audit trail, counted nowhere
    assert [r.status for r in p2.records] == ["superseded"]
    assert _field_pages(ctx, p1.id)["nguoi_ky"] == p2.id
    with ctx.sessions() as s:
        actions = [e.action for e in s.scalars(select(ReviewEvent).order_by(ReviewEvent.id))]
        assert actions.count("split") >= 1 and actions.count("merge") == 1
        # a record a clerk approved is never regrouped
        rec = s.get_one(RecordRow, merged)
    with ctx.sessions.begin() as s:
        s.get_one(RecordRow, rec.id).status = "approved"
    with pytest.raises(CannotRegroup, match="đã có hồ sơ được duyệt"):
        split_at(ctx, p2.id, user_id=None)
