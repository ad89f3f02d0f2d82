"""Nothing mixed up, nothing stuck (issue 15): books from two folders, bad pages, storage away.

Real S3 (SeaweedFS) and real SQLite and PostgreSQL; OCR is the stand-in engine where what
is under test is storage and the work loop, not recognition.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from pipeline.archive.storage import MinioStore
from pipeline.archive.verify import verify_store
from pipeline.db.models import Batch, Page, PageRun, RecordRow
from pipeline.work import batch as stages
from pipeline.work import claims
from pipeline.work.workloop import StorageUnavailable, WorkerOptions, run_worker
from schemas.models import BookMeta
from tests import s3_fixtures, storage_fixtures
from tests.test_verify import make_ctx

s3_server = s3_fixtures.s3_server
pg_db_url = storage_fixtures.pg_db_url
db_url = storage_fixtures.db_url

pytestmark = pytest.mark.s3


def book(name: str = "01/1994") -> BookMeta:
    return BookMeta(
        book_type="khai_sinh", agency="UBND-Tân Lập", book=name, year_from=1994, year_to=1994
    )


def pages(folder: Path, n: int, tag: int) -> Path:
    """``n`` pages whose bytes differ from every other folder's (``tag``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (620, 440), (250, 248, 240))
        im.paste((30 + 40 * i, 20 + 60 * tag, 20), (40, 40, 300, 90))
        im.save(folder / f"trang-{i + 1:02d}.png", dpi=(300, 300))
    return folder


def drain(ctx: stages.Context, batch_id: int, **opts: object) -> None:
    """The loop ``sohoa ingest`` runs on its batch."""
    run_worker(ctx, WorkerOptions(batch_id=batch_id, drain=True, idle_poll=0.05, **opts))


def ingest(ctx: stages.Context, meta: BookMeta, folder: Path) -> int:
    bid = stages.open_batch(ctx.sessions, meta, folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    drain(ctx, bid, give_up=True)
    return bid


def derived_keys(page: Page, records: list[RecordRow]) -> list[str]:
    own = [page.ocr_text_key, page.hocr_key, page.alto_key, page.clean_key, page.preview_key]
    return [k for k in own if k] + [r.object_key for r in records if r.object_key]


def test_two_folders_of_one_book_keep_their_pages_apart(db_url, s3_server, tmp_path):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    a = ingest(ctx, book(), pages(tmp_path / "a", 2, tag=0))
    b = ingest(ctx, book(), pages(tmp_path / "b", 2, tag=1))
    with ctx.sessions() as s:
        rows = s.scalars(select(Page).order_by(Page.id)).all()
        recs = {p.id: list(p.records) for p in rows}
        assert [p.batch_id for p in rows] == [a, a, b, b]
        assert {p.status for p in rows} == {"processed"}
        assert [p.book_page for p in rows] == [1, 2, 3, 4]  # one numbering per book
        keys = [k for p in rows for k in derived_keys(p, recs[p.id])]
        assert len(keys) == len(set(keys)) == 4 * 6, keys
        for p in rows:  # every derived object names the page it belongs to
            for key in derived_keys(p, recs[p.id]):
                meta = ctx.store.stat(key).metadata
                assert meta["page-sha256"] == p.source_sha256, key
        first, last = rows[0], rows[-1]
    assert verify_store(ctx.sessions, ctx.store, deep=True).ok
    # the clerk reviewing batch A's record sees batch A's page
    shown = Image.open(io.BytesIO(ctx.store.get_bytes(first.preview_key)))
    other = Image.open(io.BytesIO(ctx.store.get_bytes(last.preview_key)))
    assert shown.tobytes() != other.tobytes()


def test_verify_fails_on_a_derived_object_overwritten(db_url, s3_server, tmp_path):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    ingest(ctx, book(), pages(tmp_path / "a", 2, tag=0))
    with ctx.sessions() as s:
        one, two = s.scalars(select(Page).order_by(Page.id)).all()
    # through the product's own store, with the other page's bytes and metadata
    data = ctx.store.get_bytes(two.preview_key)
    ctx.store.put_bytes(
        one.preview_key, data, content_type="image/png", metadata=stages.page_metadata(two)
    )
    report = verify_store(ctx.sessions, ctx.store)
    assert [(f.kind, f.key) for f in report.findings] == [("mismatch", one.preview_key)]
    assert "trang khác" in report.findings[0].detail
    # by hand, with a plain S3 client and no metadata at all
    client = ctx.store._client
    text = b"van ban khac"
    client.put_object(ctx.store.bucket, one.ocr_text_key, io.BytesIO(text), len(text))
    found = {f.key: f for f in verify_store(ctx.sessions, ctx.store).findings}
    assert found[one.ocr_text_key].kind == "mismatch"
    assert not verify_store(ctx.sessions, ctx.store).ok


def test_book_names_that_slug_alike_get_their_own_prefix(db_url, s3_server, tmp_path):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    a = ingest(ctx, book("01/1994"), pages(tmp_path / "a", 1, tag=0))
    b = ingest(ctx, book("01-1994"), pages(tmp_path / "b", 1, tag=1))
    with ctx.sessions() as s:
        prefix = {
            p.batch_id: p.master_key.rsplit("/masters/", 1)[0] for p in s.scalars(select(Page))
        }
        assert s.get_one(Batch, a).book_id != s.get_one(Batch, b).book_id
    assert prefix[a] == "phase-5/UBND-Tân-Lập/khai_sinh/01-1994"
    assert prefix[b] == "phase-5/UBND-Tân-Lập/khai_sinh/01-1994~2"
    assert verify_store(ctx.sessions, ctx.store).ok


class Exploding(storage_fixtures.StubEngine):
    """Reads like the stand-in, but raises a library error (not ours) on the second page."""

    def read(self, image: Path, *, workdir: Path, **options: object):
        if "_00002" in image.name:  # the work files of batch page 2
            raise ValueError("OpenCV-style failure deep inside")
        return super().read(image, workdir=workdir, **options)


def test_a_page_raising_any_error_fails_alone_and_a_rerun_changes_nothing(
    db_url, s3_server, tmp_path
):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    ctx = stages.Context(**{**ctx.__dict__, "engine": Exploding()})
    folder = pages(tmp_path / "a", 3, tag=0)
    bid = ingest(ctx, book(), folder)

    def state() -> list[tuple[str, str | None, str | None]]:
        with ctx.sessions() as s:
            rows = s.scalars(select(Page).where(Page.batch_id == bid).order_by(Page.seq))
            return [(p.status, p.error_reason, p.claimed_by) for p in rows]

    first = state()
    assert first[0][0] == first[2][0] == "processed"
    assert first[1][:2] == ("failed", "unexpected_error")
    with ctx.sessions() as s:
        message = s.scalars(select(Page.error_message).where(Page.error_reason.is_not(None))).one()
        runs = s.scalar(select(func.count()).select_from(PageRun))
    assert "ValueError" in message and "OpenCV" not in message  # the type, not the content
    assert runs == 3  # the bad page was tried once, not retried for ever
    ingest(ctx, book(), folder)
    assert state() == first
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PageRun)) == runs


def test_storage_away_stops_with_pages_still_queued(db_url, s3_server, tmp_path):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    bid = stages.open_batch(ctx.sessions, book(), pages(tmp_path / "a", 2, tag=0))
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    dead = MinioStore(
        "127.0.0.1:9",  # discard port: nothing listens
        "x",
        "y",
        ctx.store.bucket,
        http_client=s3_fixtures.make_http_client(connect_timeout=0.2, read_timeout=0.2, retries=0),
    )
    away = stages.Context(**{**ctx.__dict__, "store": dead})
    with pytest.raises(StorageUnavailable) as caught:
        drain(away, bid, give_up=True, retry_delays=(0.01, 0.01))
    assert caught.value.retryable
    assert claims.backlog(ctx.sessions, bid) == 2  # nothing lost, nothing failed
    with ctx.sessions() as s:
        assert {(p.status, p.claimed_by) for p in s.scalars(select(Page))} == {("pending", None)}
    drain(ctx, bid, give_up=True)  # storage back: the same pages finish
    assert claims.backlog(ctx.sessions, bid) == 0


def test_registering_one_batch_twice_at_once_adds_each_page_once(db_url, s3_server, tmp_path):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    bid = stages.open_batch(ctx.sessions, book(), pages(tmp_path / "a", 6, tag=0))
    go = threading.Barrier(3)

    def register() -> None:
        go.wait()
        stages.register_pages(ctx.sessions, ctx.plan, bid)

    threads = [threading.Thread(target=register) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with ctx.sessions() as s:
        numbers = sorted(p.book_page for p in s.scalars(select(Page)))
    assert len(numbers) == 6 and len(set(numbers)) == 6


@pytest.mark.e2e
@pytest.mark.tesseract
@pytest.mark.timeout(900)
def test_a_degenerate_pdf_page_fails_alone_through_the_cli(tmp_path):
    """``sohoa ingest`` on a PDF whose second page is 14400×14400 pt, beside a good page."""
    import os
    import subprocess
    import sys

    import pikepdf

    from flows.local_s3 import stop_local_s3

    root = Path(__file__).resolve().parents[1]
    folder, home = tmp_path / "book", tmp_path / "home"
    folder.mkdir()
    with Image.open(root / "data" / "samples" / "ks_2018_01.png") as im:
        im.convert("RGB").save(tmp_path / "good.pdf", resolution=300)
    with pikepdf.open(tmp_path / "good.pdf") as pdf:
        pdf.add_blank_page(page_size=(14400, 14400))
        pdf.save(folder / "so.pdf")
    with Image.open(root / "data" / "samples" / "qd_2018_tthc.png") as im:
        im.save(folder / "trang-tot.png")
    env = {**os.environ, "SOHOA_HOME": str(home), "SOHOA_WORKERS": "1", "COLUMNS": "200"}
    for name in ("SOHOA_S3_ENDPOINT", "SOHOA_DATABASE_URL"):
        env.pop(name, None)
    args = [sys.executable, "-m", "flows.cli", "ingest", str(folder), "--book-type", "tthc"]
    args += ["--agency", "001", "--book", "01/2018", "--years", "2018"]

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False
        )

    def pages_state() -> list[tuple]:
        import sqlite3

        with sqlite3.connect(home / "sohoa.db") as conn:
            return conn.execute(
                "SELECT source_name, page_index, status, error_reason, ocr_text_key "
                "FROM pages ORDER BY source_name, page_index"
            ).fetchall()

    try:
        first = run()
        assert first.returncode == 1, first.stdout + first.stderr  # some pages failed
        assert "Traceback" not in first.stderr
        state = pages_state()
        assert [(n, i, st) for n, i, st, _r, _k in state] == [
            ("so.pdf", 0, "processed"),
            ("so.pdf", 1, "failed"),
            ("trang-tot.png", 0, "processed"),
        ]
        assert state[1][3] and state[1][4] is None  # a reason, no outputs
        again = run()
        assert again.returncode == 1 and pages_state() == state  # a rerun changes nothing
    finally:
        stop_local_s3(home)


def test_verify_reports_an_object_two_pages_name(db_url, s3_server, tmp_path):
    """What books from before per-book numbering left: two pages' rows naming one object."""
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    ingest(ctx, book(), pages(tmp_path / "a", 2, tag=0))
    with ctx.sessions.begin() as s:
        one, two = s.scalars(select(Page).order_by(Page.id)).all()
        two.preview_key = one.preview_key
        shared = one.preview_key
    found = [f for f in verify_store(ctx.sessions, ctx.store).findings if f.key == shared]
    assert sorted(f.page_id for f in found) == [one.id, two.id]
    assert all(f.kind == "mismatch" and "nhiều trang" in f.detail for f in found)


def test_a_worker_that_lost_its_page_writes_no_outcome(db_url, s3_server, tmp_path):
    from datetime import UTC, datetime, timedelta

    from pipeline.work.claims import LeaseLost

    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    bid = stages.open_batch(ctx.sessions, book(), pages(tmp_path / "a", 1, tag=0))
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    (old,) = claims.claim_pages(ctx.sessions, "station-a:1", lease_seconds=60)
    stages.store_master(ctx, old.page_id)
    result = stages.process_page(ctx, old.page_id)
    with ctx.sessions.begin() as s:  # the lease ran out while the page was being read
        s.get_one(Page, old.page_id).lease_until = datetime.now(UTC) - timedelta(seconds=1)
    (new,) = claims.claim_pages(ctx.sessions, "station-b:2", lease_seconds=60)
    assert new.page_id == old.page_id
    with pytest.raises(LeaseLost):
        stages.store_outputs(ctx, old.page_id, result, old)
    with pytest.raises(LeaseLost):
        stages.mark_failed(ctx.sessions, old.page_id, stages.SohoaError("x"), old)
    with ctx.sessions() as s:
        page = s.get_one(Page, old.page_id)
        assert (page.status, page.claimed_by, page.error_reason) == ("stored", "station-b:2", None)
