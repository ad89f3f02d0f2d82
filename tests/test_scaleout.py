"""Two workers, one PostgreSQL, one S3 server, one backlog: every page processed exactly once.

Real parts throughout: ``sohoa enqueue`` and two ``sohoa worker`` processes (as on two
stations, each with its own SOHOA_HOME), the local PostgreSQL cluster, a SeaweedFS S3 server
and Tesseract. The second test kills one worker with SIGKILL in the middle of a page; its
lease runs out and the other worker does that page.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import create_engine, text

from tests import pg_fixtures, s3_fixtures

pg_url = pg_fixtures.pg_url
s3_server = s3_fixtures.s3_server

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "samples" / "ks_2018_01.png"
BUCKET = "scaleout"

pytestmark = [pytest.mark.e2e, pytest.mark.tesseract, pytest.mark.s3, pytest.mark.postgres]


def _pages(folder: Path, n: int, tag: int) -> None:
    """``n`` distinct small pages (the sample, halved, with a mark that changes its bytes)."""
    folder.mkdir(parents=True)
    with Image.open(SAMPLE) as im:
        base = im.reduce(2)
    for i in range(n):
        page = base.copy()
        ImageDraw.Draw(page).rectangle((4 + 3 * i, 4 + 3 * tag, 6 + 3 * i, 6 + 3 * tag), fill=0)
        page.save(folder / f"trang-{i:02d}.png")


def _env(home: Path, pg_url: str, s3: s3_fixtures.LocalS3) -> dict[str, str]:
    return {
        **os.environ,
        "SOHOA_HOME": str(home),
        "SOHOA_DATABASE_URL": pg_url,
        "SOHOA_S3_ENDPOINT": s3.endpoint.endpoint,
        "SOHOA_S3_ACCESS_KEY": s3.endpoint.access_key,
        "SOHOA_S3_SECRET_KEY": s3.endpoint.secret_key,
        "SOHOA_S3_BUCKET": BUCKET,
        "OMP_THREAD_LIMIT": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "COLUMNS": "200",
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _worker(env: dict[str, str], lease: int) -> subprocess.Popen[str]:
    args = ["worker", "--processes", "1", "--drain", "--lease", str(lease)]
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _enqueue(env: dict[str, str], folder: Path, book: str) -> int:
    done = _cli(
        env,
        *("enqueue", str(folder), "--book-type", "khai_sinh", "--agency", "001.02"),
        *("--book", book, "--years", "2018"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return int(done.stdout.split("Lô ")[1].split(":")[0])


def _runs(pg_url: str, batch_id: int) -> list[tuple[int, str, int, str | None]]:
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.page_id, r.worker, r.attempt, r.outcome FROM page_runs r "
                "JOIN pages p ON p.id = r.page_id WHERE p.batch_id = :b ORDER BY r.id"
            ),
            {"b": batch_id},
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def _assert_exactly_once(pg_url: str, s3: s3_fixtures.LocalS3, batch_id: int, n: int) -> None:
    engine = create_engine(pg_url)
    with engine.connect() as conn:
        pages = conn.execute(
            text(
                "SELECT id, status, claimed_by, ocr_text_key, master_key FROM pages "
                "WHERE batch_id = :b"
            ),
            {"b": batch_id},
        ).all()
        records = conn.execute(
            text(
                "SELECT r.page_id, r.object_key FROM records r JOIN pages p ON p.id = r.page_id "
                "WHERE p.batch_id = :b"
            ),
            {"b": batch_id},
        ).all()
    engine.dispose()
    assert len(pages) == n
    assert {p.status for p in pages} == {"processed"}
    assert {p.claimed_by for p in pages} == {None}
    done = Counter(pid for pid, _w, _a, outcome in _runs(pg_url, batch_id) if outcome == "done")
    assert sorted(done) == sorted(p.id for p in pages)
    assert set(done.values()) == {1}
    assert {pid for pid, _k in records} == {p.id for p in pages}
    keys = [k for _pid, k in records] + [p.ocr_text_key for p in pages]
    keys += [p.master_key for p in pages]
    assert None not in keys and len(keys) == len(set(keys))  # nothing written twice
    store = s3_fixtures.make_store(s3.endpoint, BUCKET)
    assert all(store.stat(k) is not None for k in keys)


def test_two_workers_share_a_backlog(
    tmp_path: Path, pg_url: str, s3_server: s3_fixtures.LocalS3
) -> None:
    n = 10
    _pages(tmp_path / "book", n, tag=0)
    batch_id = _enqueue(
        _env(tmp_path / "station0", pg_url, s3_server), tmp_path / "book", "02/2018"
    )
    workers = [_worker(_env(tmp_path / f"station{i}", pg_url, s3_server), 60) for i in (1, 2)]
    outs = [w.communicate(timeout=300)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outs
    _assert_exactly_once(pg_url, s3_server, batch_id, n)
    by_worker = Counter(w for _p, w, _a, o in _runs(pg_url, batch_id) if o == "done")
    assert len(by_worker) == 2, by_worker  # both stations took part


def test_a_killed_worker_s_page_is_done_by_the_other(
    tmp_path: Path, pg_url: str, s3_server: s3_fixtures.LocalS3
) -> None:
    n = 8
    _pages(tmp_path / "book", n, tag=1)
    env0 = _env(tmp_path / "station0", pg_url, s3_server)
    batch_id = _enqueue(env0, tmp_path / "book", "03/2018")
    victim = _worker(_env(tmp_path / "station1", pg_url, s3_server), 4)
    survivor = _worker(_env(tmp_path / "station2", pg_url, s3_server), 4)
    engine = create_engine(pg_url)
    held = None
    deadline = time.monotonic() + 120
    while held is None and time.monotonic() < deadline:
        with engine.connect() as conn:
            held = conn.execute(
                text(
                    "SELECT id FROM pages WHERE batch_id = :b AND claimed_by LIKE :w "
                    "AND status <> 'processed'"
                ),
                {"b": batch_id, "w": f"%:{victim.pid}"},
            ).scalar()
        time.sleep(0.1)
    engine.dispose()
    assert held is not None, "the first worker never claimed a page"
    victim.send_signal(signal.SIGKILL)  # mid-page: claimed, not yet processed
    victim.wait(timeout=30)
    out = survivor.communicate(timeout=300)[0]
    assert survivor.returncode == 0, out
    _assert_exactly_once(pg_url, s3_server, batch_id, n)
    runs = [(w, a, o) for p, w, a, o in _runs(pg_url, batch_id) if p == held]
    assert runs[0][0].endswith(f":{victim.pid}") and runs[0][1:] == (1, None)  # died
    assert runs[-1][1:] == (2, "done") and not runs[-1][0].endswith(f":{victim.pid}")


def test_an_ingest_and_a_worker_on_one_backlog_do_each_page_once(
    tmp_path: Path, pg_url: str, s3_server: s3_fixtures.LocalS3
) -> None:
    """An operator runs ``sohoa ingest`` on a book a station's worker is draining."""
    n = 20
    _pages(tmp_path / "book", n, tag=2)
    env0 = _env(tmp_path / "station0", pg_url, s3_server)
    batch_id = _enqueue(env0, tmp_path / "book", "04/2018")
    log = (tmp_path / "ingest.log").open("w")
    ingest = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            *("ingest", str(tmp_path / "book"), "--book-type", "khai_sinh"),
            *("--agency", "001.02", "--book", "04/2018", "--years", "2018"),
        ],
        cwd=ROOT,
        env=_env(tmp_path / "operator", pg_url, s3_server),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # the station's worker starts once the ingest holds a page (not by timing luck), and the
    # two then drain the rest of the backlog together
    deadline = time.monotonic() + 180
    while not any(":ingest" in w for _p, w, _a, _o in _runs(pg_url, batch_id)):
        assert ingest.poll() is None and time.monotonic() < deadline, "the ingest never claimed"
        time.sleep(0.1)
    station = _worker(_env(tmp_path / "station1", pg_url, s3_server), 60)
    ingest.wait(timeout=300)
    log.close()
    out_ingest = (tmp_path / "ingest.log").read_text(encoding="utf-8")
    out_station = station.communicate(timeout=300)[0]
    assert ingest.returncode == 0, out_ingest
    assert station.returncode == 0, out_station
    _assert_exactly_once(pg_url, s3_server, batch_id, n)
    by_worker = Counter(w for _p, w, _a, o in _runs(pg_url, batch_id) if o == "done")
    assert any(":ingest" in w for w in by_worker), by_worker  # the ingest claimed its pages
