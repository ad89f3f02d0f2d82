"""Crash and outage through the real CLI: kill -9 mid-batch, S3 stopped mid-batch.

Real Tesseract, real S3 (SeaweedFS), SQLite or PostgreSQL, Prefect in the CLI
process. The outage here is 15 s (the flow's retry budget is 2+5+15+30 s), not
the minute of the issue, to keep the test short; the mechanism is the same.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import create_engine, text

from flows.local_s3 import ensure_local_s3, stop_local_s3
from tests import storage_fixtures

pg_db_url = storage_fixtures.pg_db_url

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
OUTAGE_SECONDS = 15

pytestmark = [pytest.mark.e2e, pytest.mark.tesseract, pytest.mark.s3]

ARGS = ("--book-type", "khai_sinh", "--agency", "001.02.03", "--book", "01/2018", "--years", "2018")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli_db(request, tmp_path) -> str:
    """Database URL the CLI is given (it migrates it itself)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'sohoa.db'}"
    return request.getfixturevalue("pg_db_url")


def make_book(folder: Path) -> Path:
    """Three distinct pages: two samples and a copy of the first with one pixel changed."""
    folder.mkdir(parents=True)
    shutil.copy2(SAMPLES / "ks_2018_01.png", folder / "p1.png")
    shutil.copy2(SAMPLES / "qd_2018_tthc.png", folder / "p2.png")
    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        copy = im.copy()
        dpi = im.info.get("dpi", (300, 300))
    copy.putpixel((0, 0), (0, 0, 0) if copy.mode == "RGB" else 0)
    copy.save(folder / "p3.png", dpi=dpi)
    return folder


def cli_env(home: Path, db: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {**os.environ, "SOHOA_HOME": str(home), "SOHOA_DATABASE_URL": db, "COLUMNS": "200"}
    env.pop("SOHOA_S3_ENDPOINT", None)
    env.update({"SOHOA_WORKERS": "1", "PREFECT_HOME": str(home / "prefect"), **(extra or {})})
    return env


def start_ingest(folder: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "ingest", str(folder), *ARGS],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: kill -9 takes Prefect's helpers too
    )


def run_cli(env: dict[str, str], *args: str, timeout: int = 400) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def page_states(db: str) -> list[str]:
    engine = create_engine(db)
    try:
        with engine.connect() as c:
            return [r[0] for r in c.execute(text("select status from pages"))]
    except Exception:  # noqa: BLE001 - tables not there yet
        return []
    finally:
        engine.dispose()


def wait_for(pred, timeout: float, proc: subprocess.Popen[str]) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"ingest ended early ({proc.returncode}): {err[-2000:]}")
        time.sleep(0.2)
    pytest.fail("timed out waiting for the batch to progress")


def counts(db: str) -> dict[str, int]:
    engine = create_engine(db)
    with engine.connect() as c:
        q = {
            "pages": "select count(*) from pages",
            "processed": "select count(*) from pages where status = 'processed'",
            "records": "select count(*) from records",
            "distinct": "select count(*) from "
            "(select distinct page_id, entry_index from records) x",
        }
        out = {k: int(c.execute(text(v)).scalar_one()) for k, v in q.items()}
    engine.dispose()
    return out


def assert_verify_clean(env: dict[str, str]) -> dict:
    done = run_cli(env, "verify", "--json", "--deep")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["findings"] == []
    return report


@pytest.mark.timeout(600)
def test_kill_9_mid_batch_then_rerun(cli_db, tmp_path):
    home, folder = tmp_path / "home", make_book(tmp_path / "book")
    env = cli_env(home, cli_db)
    try:
        proc = start_ingest(folder, env)
        wait_for(lambda: 1 <= page_states(cli_db).count("processed") < 3, 300, proc)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        before = counts(cli_db)
        assert before["processed"] < 3 and before["pages"] == 3
        again = run_cli(env, "ingest", str(folder), *ARGS)
        assert again.returncode == 0, again.stderr[-3000:]
        after = counts(cli_db)
        assert after["pages"] == after["processed"] == 3  # no page lost, none added twice
        assert after["records"] == after["distinct"] >= 2  # no duplicate record
        report = assert_verify_clean(env)
        assert report["checked"] >= 3 * 6  # master, txt, hocr, alto, clean, preview per page
    finally:
        stop_local_s3(home)


@pytest.mark.timeout(600)
def test_s3_outage_mid_batch_waits_and_finishes(cli_db, tmp_path):
    s3home = tmp_path / "s3"
    ep = ensure_local_s3(s3home)
    home, folder = tmp_path / "home", make_book(tmp_path / "book")
    db = cli_db
    env = cli_env(
        home,
        db,
        {
            "SOHOA_S3_ENDPOINT": ep.endpoint,
            "SOHOA_S3_ACCESS_KEY": ep.access_key,
            "SOHOA_S3_SECRET_KEY": ep.secret_key,
        },
    )
    try:
        proc = start_ingest(folder, env)
        wait_for(lambda: page_states(db).count("processed") >= 1, 300, proc)
        assert stop_local_s3(s3home)
        time.sleep(OUTAGE_SECONDS)
        assert proc.poll() is None, "ingest gave up during the outage"
        ensure_local_s3(s3home)
        out, err = proc.communicate(timeout=400)
        assert proc.returncode == 0, err[-3000:]
        after = counts(db)
        assert after["pages"] == after["processed"] == 3
        assert_verify_clean(env)
    finally:
        stop_local_s3(s3home)


@pytest.mark.timeout(600)
def test_s3_outage_longer_than_the_retries_exits_5_and_resumes(tmp_path):
    s3home = tmp_path / "s3"
    ep = ensure_local_s3(s3home)
    home, folder = tmp_path / "home", make_book(tmp_path / "book")
    db = f"sqlite:///{home / 'sohoa.db'}"
    env = cli_env(
        home,
        db,
        {
            "SOHOA_S3_ENDPOINT": ep.endpoint,
            "SOHOA_S3_ACCESS_KEY": ep.access_key,
            "SOHOA_S3_SECRET_KEY": ep.secret_key,
            "SOHOA_RETRY_DELAYS": "[1, 1]",  # the budget, shortened; the default is 2+5+15+30 s
        },
    )
    try:
        proc = start_ingest(folder, env)
        wait_for(lambda: page_states(db).count("processed") >= 1, 300, proc)
        assert stop_local_s3(s3home)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 5, err[-3000:]  # storage away, not "bad usage"
        assert "chạy lại" in err
        states = page_states(db)
        assert "failed" not in states and states.count("processed") < 3  # nothing given up
        ensure_local_s3(s3home)
        again = run_cli(env, "ingest", str(folder), *ARGS)
        assert again.returncode == 0, again.stderr[-3000:]
        assert counts(db)["processed"] == 3
        assert_verify_clean(env)
    finally:
        stop_local_s3(s3home)
