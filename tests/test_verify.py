"""Object layout, manifests, idempotent writes and ``verify``: real S3, SQLite and PostgreSQL.

OCR is a stand-in (:class:`tests.storage_fixtures.StubEngine`): what is under test is
storage, not recognition.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from PIL import Image

from pipeline.archive.manifest import write_manifests
from pipeline.archive.verify import verify_store
from pipeline.config import ProcessOptions
from pipeline.db.models import Page, RecordRow, make_engine, make_sessionmaker
from pipeline.errors import SohoaError
from pipeline.phases import load_plan
from pipeline.work import batch as stages
from schemas.models import BookMeta
from tests import s3_fixtures, storage_fixtures

s3_server = s3_fixtures.s3_server
pg_db_url = storage_fixtures.pg_db_url
db_url = storage_fixtures.db_url

pytestmark = pytest.mark.s3

META = BookMeta(
    book_type="khai_sinh", agency="UBND-Tân Lập", book="01/1994", year_from=1994, year_to=1994
)


def make_pages(folder: Path, n: int = 2) -> Path:
    """``n`` distinct colour pages at 300 dpi."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = Image.new("RGB", (620, 440), (250, 248, 240))
        im.paste((30 + 40 * i, 20, 20), (40, 40, 300, 90))
        im.save(folder / f"trang-{i + 1:02d}.png", dpi=(300, 300))
    return folder


def make_ctx(db_url: str, s3_server: s3_fixtures.LocalS3, work: Path) -> stages.Context:
    """A context on a fresh versioned bucket of the module's S3 server."""
    store = s3_fixtures.make_store(s3_server.endpoint, bucket=f"t-{secrets.token_hex(6)}")
    store.ensure_bucket(versioning=True)
    return stages.Context(
        sessions=make_sessionmaker(make_engine(db_url)),
        store=store,
        plan=load_plan(),
        options=ProcessOptions(),
        work_dir=work,
        engine=storage_fixtures.StubEngine(),
    )


def run_stages(ctx: stages.Context, folder: Path) -> int:
    """What the flow does, in order, without Prefect; return the batch id."""
    bid = stages.open_batch(ctx.sessions, META, folder)
    stages.register_pages(ctx.sessions, ctx.plan, bid)
    for pid in stages.pending_pages(ctx.sessions, bid):
        try:
            stages.store_master(ctx, pid)
            stages.store_outputs(ctx, pid, stages.process_page(ctx, pid))
        except SohoaError as exc:
            stages.mark_failed(ctx.sessions, pid, exc)
    write_manifests(ctx.sessions, ctx.store)
    return bid


def versions(ctx: stages.Context) -> list[tuple[str, str]]:
    """Every (key, version id) in the bucket."""
    client, bucket = ctx.store._client, ctx.store.bucket
    objs = client.list_objects(bucket, recursive=True, include_version=True)
    return sorted((o.object_name, o.version_id) for o in objs)


@pytest.fixture
def stored(db_url, s3_server, tmp_path) -> stages.Context:
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    run_stages(ctx, make_pages(tmp_path / "book"))
    return ctx


def test_layout_manifest_and_a_clean_verify(stored):
    keys = stored.store.list_keys("")
    book = "phase-5/UBND-Tân-Lập/khai_sinh/01-1994"
    assert all(k.startswith(book + "/") for k in keys), keys
    folders = {k.split("/")[4] for k in keys}
    assert folders == {"masters", "ocr", "clean", "previews", "records", "manifest.json"}
    assert sum(k.endswith(".alto.xml") for k in keys) == 2
    assert sum(k.endswith(".hocr") for k in keys) == 2
    manifest = json.loads(stored.store.get_bytes(f"{book}/manifest.json"))
    listed = {e["key"]: e for e in manifest["objects"]}
    assert set(listed) == set(keys) - {f"{book}/manifest.json"}
    for key, entry in listed.items():
        stat = stored.store.stat(key)
        assert (entry["sha256"], entry["size"]) == (stat.sha256, stat.size)
    report = verify_store(stored.sessions, stored.store, deep=True)
    assert report.ok and report.findings == [], report.to_dict()
    alto = stored.store.get_bytes(next(k for k in keys if k.endswith(".alto.xml"))).decode()
    assert 'CONTENT="NGUYỄN"' in alto and "ns-v4" in alto


def test_rerun_writes_nothing_new(stored, tmp_path):
    before = versions(stored)
    with stored.sessions.begin() as s:  # as if the first run died before marking pages done
        for page in s.query(Page):
            page.status = "stored"
    run_stages(stored, tmp_path / "book")
    assert versions(stored) == before
    with stored.sessions() as s:
        assert s.query(Page).count() == 2 and s.query(RecordRow).count() == 2


def test_missing_master_is_reported_then_repaired_from_the_folder(stored):
    with stored.sessions() as s:
        key = s.query(Page).first().master_key
    stored.store.delete(key)
    report = verify_store(stored.sessions, stored.store)
    assert not report.ok
    assert [(f.kind, f.key, f.role) for f in report.findings] == [("missing", key, "master")]
    repaired = verify_store(stored.sessions, stored.store, repair=True)
    assert repaired.ok and repaired.findings[0].repaired == "reuploaded"
    assert verify_store(stored.sessions, stored.store, deep=True).findings == []


def test_damaged_master_is_a_mismatch_and_is_replaced(stored):
    with stored.sessions() as s:
        key = s.query(Page).first().master_key
    stored.store.put_bytes(key, b"\x89PNG\r\n\x1a\nkhong phai ban goc", content_type="image/png")
    report = verify_store(stored.sessions, stored.store)
    assert [(f.kind, f.key) for f in report.findings] == [("mismatch", key)]
    assert verify_store(stored.sessions, stored.store, repair=True).ok
    assert verify_store(stored.sessions, stored.store, deep=True).ok


def test_silent_corruption_is_found_by_deep_verify(stored):
    with stored.sessions() as s:
        key = s.query(Page).first().ocr_text_key
    meta = {"x-amz-meta-sha256": stored.store.stat(key).sha256}
    import io

    stored.store._client.put_object(
        stored.store.bucket, key, io.BytesIO(b"bit rot"), 7, metadata=meta
    )
    assert verify_store(stored.sessions, stored.store).ok  # metadata alone still agrees
    deep = verify_store(stored.sessions, stored.store, deep=True)
    assert [(f.kind, f.key) for f in deep.findings] == [("mismatch", key)]


def test_orphans_are_reported_never_deleted(stored):
    orphan = "phase-5/UBND-Tân-Lập/khai_sinh/01-1994/ocr/p09999.txt"
    stored.store.put_bytes(orphan, b"la", content_type="text/plain")
    report = verify_store(stored.sessions, stored.store, repair=True)
    assert [(f.kind, f.key) for f in report.findings] == [("orphan", orphan)]
    assert not report.ok and stored.store.stat(orphan) is not None


def test_lost_outputs_queue_the_page_again(stored, tmp_path):
    with stored.sessions() as s:
        page = s.query(Page).first()
        key, pid = page.hocr_key, page.id
    stored.store.delete(key)
    report = verify_store(stored.sessions, stored.store, repair=True)
    assert [(f.kind, f.repaired) for f in report.findings] == [("missing", "requeued")]
    assert not report.ok  # fixed only once the page is processed again
    with stored.sessions() as s:
        assert s.get(Page, pid).status == "stored"
    run_stages(stored, tmp_path / "book")
    assert verify_store(stored.sessions, stored.store, deep=True).findings == []


def test_older_record_versions_manifests_and_pdfs_are_not_orphans():
    from pipeline.archive.verify import _accounted_for

    current = {"phase-3/001/khai_sinh/01-1994/records/p00001-e00"}
    base = "phase-3/001/khai_sinh/01-1994"
    assert _accounted_for(f"{base}/records/p00001-e00.v1.json", current)
    assert not _accounted_for(f"{base}/records/p00002-e00.v1.json", current)
    assert _accounted_for(f"{base}/pdf/book.pdf", current)
    assert _accounted_for(f"{base}/manifest.json", current)
    assert not _accounted_for(f"{base}/masters/stray.png", current)


def test_record_json_changed_on_reprocessing_gets_a_new_version():
    from pipeline.keys import sha256_hex
    from pipeline.work.records import record_version
    from tests.fakes import MemoryStore

    store = MemoryStore()
    base = "phase-3/001/khai_sinh/01-1994/records/p00001-e00"
    first = b'{"ho_ten": "A"}'
    assert record_version(store, base, sha256_hex(first)) == (1, f"{base}.v1.json")
    store.put_bytes(f"{base}.v1.json", first, content_type="application/json")
    # the same content again: same key, nothing new
    assert record_version(store, base, sha256_hex(first)) == (1, f"{base}.v1.json")
    # changed content: the next version, v1 kept
    changed = b'{"ho_ten": "B"}'
    assert record_version(store, base, sha256_hex(changed)) == (2, f"{base}.v2.json")
