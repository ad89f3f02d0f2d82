"""The claim loop's decisions, with the page stages stubbed (no Tesseract, no S3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.migrate import upgrade_db
from pipeline.db.models import Page, PageRun, make_engine, make_sessionmaker
from pipeline.errors import BadInputError, StorageError
from pipeline.work import claims, workloop
from pipeline.work.batch import Context
from pipeline.work.workloop import WorkerOptions, run_worker, work_page
from tests.test_claims import _backlog


class Stages:
    """Stand-ins for pipeline.work.batch: record calls, fail on request."""

    def __init__(self, fail: dict[int, list[Exception]] | None = None) -> None:
        self.fail = fail or {}
        self.outputs: list[int] = []

    def store_master(self, _ctx: Context, page_id: int) -> str:
        errors = self.fail.get(page_id)
        if errors:
            raise errors.pop(0)
        return f"m/{page_id}"

    def process_page(self, _ctx: Context, page_id: int) -> Path:
        return Path(f"/tmp/{page_id}.json")

    def store_outputs(self, ctx: Context, page_id: int, _result: Path, _claim=None) -> list[int]:
        self.outputs.append(page_id)
        with ctx.sessions.begin() as s:
            s.get_one(Page, page_id).status = "processed"
        return []


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    upgrade_db(url)
    return make_sessionmaker(make_engine(url))


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Stages:
    fake = Stages()
    for name in ("store_master", "process_page", "store_outputs"):
        monkeypatch.setattr(workloop.stages, name, getattr(fake, name))
    return fake


def _ctx(sessions: sessionmaker[Session]) -> Context:
    none: Any = None
    return Context(sessions, none, none, none, Path("/tmp"), none)


def test_drain_processes_each_page_once_and_sorts_out_errors(
    sessions: sessionmaker[Session],
    stub: Stages,
) -> None:
    ids = _backlog(sessions, 4)
    stub.fail = {
        ids[1]: [StorageError("Kho lưu trữ tạm thời không truy cập được")],  # then works
        ids[2]: [BadInputError("Ảnh hỏng", reason="bad_image")],
    }
    stats = run_worker(_ctx(sessions), WorkerOptions(drain=True, idle_poll=0.01), worker="w")
    assert (stats.done, stats.failed, stats.retried) == (3, 1, 1)
    assert sorted(stub.outputs) == sorted([ids[0], ids[1], ids[3]])
    with sessions() as s:
        statuses = dict(s.execute(select(Page.id, Page.status)).all())
        outcomes = s.execute(select(PageRun.page_id, PageRun.outcome).order_by(PageRun.id)).all()
    assert statuses == {ids[0]: "processed", ids[1]: "processed", ids[2]: "failed",
                        ids[3]: "processed"}  # fmt: skip
    assert [o for p, o in outcomes if p == ids[1]] == ["retry", "done"]


def test_a_worker_that_lost_its_lease_does_not_write(
    sessions: sessionmaker[Session],
    stub: Stages,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    [pid] = _backlog(sessions, 1)
    [claim] = claims.claim_pages(sessions, "slow", lease_seconds=60)

    def taken_over(_ctx: Context, page_id: int) -> Path:
        with sessions.begin() as s:  # meanwhile the lease ran out and "fast" took the page
            s.execute(update(Page).values(claimed_by="fast", attempts=Page.attempts + 1))
        return Path(f"/tmp/{page_id}.json")

    monkeypatch.setattr(workloop.stages, "process_page", taken_over)
    assert work_page(_ctx(sessions), claim, WorkerOptions()) == "lost"
    assert stub.outputs == []
    assert not claims.release(sessions, claim, "done")
    with sessions() as s:
        assert s.get_one(Page, pid).claimed_by == "fast"
