"""Hot folder on a real filesystem (watchdog and polling) and a real local S3 server."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from pipeline.config import ProcessOptions
from pipeline.db.migrate import upgrade_db
from pipeline.db.models import make_engine, make_sessionmaker
from pipeline.intake.separator import render_sheet
from pipeline.phases import load_plan
from pipeline.work import batch as stages
from pipeline.work.intake_checks import stored_and_verified
from scanners.hotfolder import HotFolder, is_ignored, take
from schemas.models import BookMeta
from tests import s3_fixtures

s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store

META = BookMeta(book_type="khai_sinh", agency="A1", book="02/1994", year_from=1994, year_to=1994)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _page(path: Path, shade: int = 0, fmt: str = "PNG") -> Path:
    im = Image.new("L", (400, 300), 255)
    im.paste(shade, (40, 40, 200 + shade, 120))
    im.save(path, format=fmt)
    return path


def test_ignores_temporary_and_system_files():
    for name in ("a.tmp", "b.part", "~$x.pdf", ".hidden.png", "Thumbs.db", "x.crdownload", "s~"):
        assert is_ignored(Path(name)), name
    assert not is_ignored(Path("trang-01.png"))


def test_a_file_is_taken_only_after_size_and_mtime_settle(tmp_path):
    clock = Clock()
    hot = HotFolder(tmp_path, settle=2.0, default_meta=META, clock=clock)
    growing = tmp_path / "p1.png"
    growing.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    (tmp_path / "scan.tmp").write_bytes(b"partial")
    assert list(hot.acquire()) == []
    clock.t = 1.0
    assert list(hot.acquire()) == []
    with growing.open("ab") as f:  # the scanner is still writing
        f.write(b"1" * 100)
    clock.t = 3.0
    assert list(hot.acquire()) == []  # changed: the clock starts again
    clock.t = 4.0
    assert list(hot.acquire()) == []
    clock.t = 5.5
    (found,) = list(hot.acquire())
    assert found.path == growing and found.meta == META


def _run_until(hot: HotFolder, drop, *, poll: bool, interval: float, timeout: float = 15.0):
    seen: list = []
    stop = threading.Event()

    def handle(found):
        seen.extend(found)
        for d in found:
            hot.done(d.path)
        stop.set()

    t = threading.Thread(target=hot.run, args=(handle,), daemon=True,
                         kwargs={"poll": poll, "interval": interval, "stop": stop})  # fmt: skip
    t.start()
    time.sleep(0.5)
    start = time.monotonic()
    drop()
    stop.wait(timeout)
    stop.set()
    t.join(5)
    return seen, time.monotonic() - start


def test_watchdog_events_wake_the_watcher(tmp_path):
    hot = HotFolder(tmp_path, settle=0.3, default_meta=META)
    # the periodic rescan is 60 s away: only a native event can wake the loop in time
    seen, took = _run_until(hot, lambda: _page(tmp_path / "a.png"), poll=False, interval=60)
    assert [d.path.name for d in seen] == ["a.png"] and took < 10
    assert (tmp_path / "done" / "a.png").exists()


def test_polling_mode_for_network_shares(tmp_path):
    hot = HotFolder(tmp_path, settle=0.3, default_meta=META)
    seen, _ = _run_until(hot, lambda: _page(tmp_path / "b.png"), poll=True, interval=0.2)
    assert [d.path.name for d in seen] == ["b.png"]


@pytest.fixture
def ctx(tmp_path, s3_store):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade_db(url)
    return stages.Context(
        sessions=make_sessionmaker(make_engine(url)),
        store=s3_store,
        plan=load_plan(),
        options=ProcessOptions(),
        engine=None,  # type: ignore[arg-type]  # no OCR here: store and verify only
        work_dir=tmp_path / "work",
    )


def _ingest_fn(ctx, lose: set[str] | None = None):
    """Register and store masters like the flow's first steps, then verify against S3."""

    def ingest(folder: Path, meta: BookMeta) -> dict[str, str | None]:
        batch_id = stages.open_batch(ctx.sessions, meta, folder)
        stages.register_pages(ctx.sessions, ctx.plan, batch_id)
        for pid in stages.pending_pages(ctx.sessions, batch_id):
            key = stages.store_master(ctx, pid)
            if any(key.endswith(sha + ext) for sha in lose or () for ext in (".pdf", ".png")):
                ctx.store.delete(key)  # the object vanished: must not count as stored
        return stored_and_verified(ctx.sessions, ctx.store, batch_id)

    return ingest


@pytest.mark.s3
def test_batch_subfolder_split_pdf_tiff_and_move_to_done_after_verify(tmp_path, ctx):
    inbox, batches = tmp_path / "inbox", tmp_path / "batches"
    sub = inbox / "quyen-02-1994"
    sub.mkdir(parents=True)
    manifest = {"book_type": "khai_sinh", "agency": "A1", "book": "02/1994", "years": "1994"}
    (sub / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    frames = [Image.new("L", (300, 300), 255 - 40 * i) for i in range(3)]
    frames[0].save(sub / "nhieu-trang.tif", save_all=True, append_images=frames[1:])
    pages = [Image.new("RGB", (300, 400), "white") for _ in range(2)]
    pages[0].save(sub / "hai-trang.pdf", save_all=True, append_images=pages[1:])
    (sub / "hong.png").write_bytes(b"<html>not an image</html>")
    (sub / "~lock.tmp").write_text("x")
    clock = Clock()
    hot = HotFolder(inbox, settle=1.0, clock=clock)
    assert list(hot.acquire()) == []
    clock.t = 2
    found = list(hot.acquire())
    assert sorted(d.path.name for d in found) == ["hai-trang.pdf", "hong.png", "nhieu-trang.tif"]
    report = take(hot, found, batches=batches, ingest=_ingest_fn(ctx))
    assert (report.done, report.failed) == (2, 1)
    assert sorted(p.name for p in (inbox / "done" / "quyen-02-1994").iterdir()) == [
        "hai-trang.pdf", "manifest.json", "nhieu-trang.tif"
    ]  # fmt: skip
    reason = inbox / "failed" / "quyen-02-1994" / "hong.png.reason.txt"
    assert "không phải ảnh" in reason.read_text(encoding="utf-8")
    assert (sub / "~lock.tmp").exists()  # temporary files are left alone
    with ctx.sessions() as s:
        from pipeline.db.models import Page

        rows = s.query(Page).filter(Page.status == "stored").all()
    assert len(rows) == 5  # 3 TIFF frames + 2 PDF pages
    assert len(s3_fixtures_keys(ctx, "masters")) >= 2


def s3_fixtures_keys(ctx, part: str) -> list[str]:
    return [k for k in ctx.store.list_keys("") if f"/{part}/" in k]


@pytest.mark.s3
def test_unverified_copy_goes_to_failed_not_done_and_duplicates_are_refused(tmp_path, ctx):
    inbox, batches = tmp_path / "inbox", tmp_path / "batches"
    inbox.mkdir()
    good, lost = _page(inbox / "a.png", 10), _page(inbox / "b.png", 90)
    from pipeline.keys import sha256_hex

    lost_sha = sha256_hex(lost.read_bytes())
    clock = Clock()
    hot = HotFolder(inbox, settle=1.0, default_meta=META, clock=clock)
    list(hot.acquire())
    clock.t = 2
    report = take(hot, list(hot.acquire()), batches=batches, ingest=_ingest_fn(ctx, {lost_sha}))
    assert (report.done, report.failed) == (1, 1)
    assert (inbox / "done" / "a.png").exists() and not good.exists()
    assert (inbox / "failed" / "b.png.reason.txt").exists()
    # the same bytes again, under another name: a duplicate
    (inbox / "done" / "a.png").rename(inbox / "a-lan-2.png")
    clock.t = 3
    list(hot.acquire())
    clock.t = 5
    again = take(
        hot,
        list(hot.acquire()),
        batches=tmp_path / "other",
        ingest=_ingest_fn(ctx),
        known=lambda sha: "tệp a.png của lô 1",
    )
    assert again.failed == 1
    assert "Trùng" in (inbox / "failed" / "a-lan-2.png.reason.txt").read_text(encoding="utf-8")


@pytest.mark.s3
def test_separator_sheet_starts_a_book_for_the_loose_files_after_it(tmp_path, ctx):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    render_sheet(META).save(inbox / "0000-sheet.png", dpi=(200, 200))
    _page(inbox / "0001.png", 20)
    _page(inbox / "0002.png", 80)
    _page(inbox / "zzz-no-book.png", 50)
    clock = Clock()
    hot = HotFolder(inbox, settle=1.0, clock=clock)  # no default book
    list(hot.acquire())
    clock.t = 2
    found = list(hot.acquire())
    assert [d.group for d in found][0] == "separator"
    assert all(d.meta == META for d in found)
    report = take(hot, found, batches=tmp_path / "b", ingest=_ingest_fn(ctx))
    assert (report.separators, report.done) == (1, 3)
    assert sorted(p.name for p in (inbox / "done").iterdir())[:3] == [
        "0000-sheet.png", "0001.png", "0002.png"
    ]  # fmt: skip


def test_files_without_a_book_fail_with_a_reason(tmp_path):
    clock = Clock()
    hot = HotFolder(tmp_path, settle=1.0, clock=clock)
    _page(tmp_path / "x.png")
    list(hot.acquire())
    clock.t = 2
    report = take(hot, list(hot.acquire()), batches=tmp_path / "b", ingest=lambda f, m: {})
    assert report.failed == 1
    assert "tờ phân" in (tmp_path / "failed" / "x.png.reason.txt").read_text(encoding="utf-8")
