"""prefect.yaml deployments resolve to real flows; the scheduled work functions do their job."""

from __future__ import annotations

import importlib
import inspect
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from prefect import Flow
from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.migrate import upgrade_db
from pipeline.db.models import Batch, Page, PageRun, RecordRow, make_engine, make_sessionmaker
from pipeline.phases import load_plan
from pipeline.work.progress import finalise_batches, snapshot_progress
from tests.fakes import MemoryStore

ROOT = Path(__file__).resolve().parents[1]
_SOURCES = itertools.count()
DEPLOYMENTS = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]


def test_the_four_scale_out_deployments_exist() -> None:
    names = {d["name"] for d in DEPLOYMENTS}
    assert {"intake-hot-folder", "process-backlog", "finalise-reviewed", "progress-snapshot"} <= (
        names
    )
    assert {d["work_pool"]["name"] for d in DEPLOYMENTS} == {"sohoa-process"}


@pytest.mark.parametrize("dep", DEPLOYMENTS, ids=lambda d: d["name"])
def test_deployment_entrypoints_parameters_and_schedules(dep: dict) -> None:
    path, name = dep["entrypoint"].split(":")
    fl = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    assert isinstance(fl, Flow)
    params = dep.get("parameters") or {}
    inspect.signature(fl.fn).bind_partial(**params)  # raises on an unknown name
    if set(fl.parameters.required or []) <= params.keys():
        fl.validate_parameters(params)  # and on a wrong type, when the run needs no more
    for sched in dep.get("schedules") or []:
        assert _schedule_config_to_deployment_schedule(dict(sched))["schedule"] is not None


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'd.db'}"
    upgrade_db(url)
    return make_sessionmaker(make_engine(url))


def _book(s: Session, statuses: list[str], record: str | None) -> int:
    batch = Batch(
        agency="001", book_type="khai_sinh", book="1", year_from=2018, year_to=2018, source="/x"
    )
    batch.source += str(next(_SOURCES))
    s.add(batch)
    s.flush()
    for i, st in enumerate(statuses):
        page = Page(
            batch_id=batch.id,
            seq=i + 1,
            source_name=f"{i}.png",
            source_sha256=f"{batch.id}-{i}",
            phase="phase-2",
            status=st,
        )
        s.add(page)
        s.flush()
        if record:
            s.add(RecordRow(page_id=page.id, schema_name="khai_sinh", schema_version="1",
                            phase="phase-2", status=record))  # fmt: skip
    return batch.id


def test_finalise_closes_only_finished_and_reviewed_batches(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        done = _book(s, ["processed", "failed"], "approved")
        in_review = _book(s, ["processed"], "needs_review")
        working = _book(s, ["processed", "pending"], "auto_accepted")
    assert finalise_batches(sessions) == [done]
    assert finalise_batches(sessions) == []  # idempotent
    with sessions() as s:
        assert s.get_one(Batch, in_review).status == "open"
        assert s.get_one(Batch, working).status == "open"


def test_snapshot_stores_progress_and_throughput(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        _book(s, ["processed", "processed"], "auto_accepted")
        s.flush()
        for pid in (1, 2):
            s.add(PageRun(page_id=pid, worker="tram-1:42", attempt=1, outcome="done", seconds=4.0))
    store = MemoryStore()
    key = snapshot_progress(sessions, load_plan(None), store, date(2026, 11, 22))
    assert key == "reports/progress/2026-11-22.json"
    doc = json.loads(store.get_bytes(key))
    assert doc["totals"]["pages"] == 2 and doc["totals"]["records"] == 2
    assert doc["throughput"]["workers"] == {"tram-1:42": {"pages": 2, "mean_s": 4.0}}


@pytest.mark.s3
def test_intake_flow_stores_masters_and_leaves_pages_for_workers(tmp_path: Path) -> None:
    from flows.local_s3 import stop_local_s3

    hot, home = tmp_path / "hot", tmp_path / "home"
    book = hot / "so-02-2018"
    book.mkdir(parents=True)
    shutil.copy2(ROOT / "data" / "samples" / "ks_2018_01.png", book / "trang-1.png")
    meta = {"book_type": "khai_sinh", "agency": "001.02", "book": "02/2018", "years": "2018"}
    (book / "sohoa.json").write_text(json.dumps(meta), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env["SOHOA_HOME"] = str(home)
    code = (
        "import json, sys; from flows.deployments import intake_hot_folder as f; "
        "print(json.dumps(f.fn(sys.argv[1], settle=0.2)))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, str(hot)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        stop_local_s3(home)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"done": 1, "failed": 0}
    with sqlite3.connect(home / "sohoa.db") as conn:
        rows = conn.execute("SELECT status, master_key, claimed_by FROM pages").fetchall()
    assert len(rows) == 1 and rows[0][0] == "stored" and rows[0][1] and rows[0][2] is None
    assert not (book / "trang-1.png").exists()  # moved to done/ once its master was verified
