"""Work claiming: exclusive claims, lease expiry, fencing, give-up — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.migrate import alembic_config
from pipeline.db.models import Batch, Page, PageRun
from pipeline.work import claims
from tests import pg_fixtures

pg_url = pg_fixtures.pg_url


def test_migrations_have_one_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1
    newest = max(p.name[:4] for p in Path(script.dir, "versions").glob("[0-9]*.py"))
    assert script.get_current_head() == newest


def _backlog(sessions: sessionmaker[Session], n: int) -> list[int]:
    with sessions.begin() as s:
        batch = Batch(
            agency="001", book_type="khai_sinh", book="01/1999", year_from=1999, year_to=1999
        )
        batch.source = f"/nowhere/{time.monotonic_ns()}"
        s.add(batch)
        s.flush()
        pages = [
            Page(
                batch_id=batch.id,
                seq=i + 1,
                source_name=f"p{i}.png",
                source_sha256=f"{batch.id:08d}{i:056d}",
                phase="phase-4",
                status="pending",
            )
            for i in range(n)
        ]
        s.add_all(pages)
        s.flush()
        return [p.id for p in pages]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> sessionmaker[Session]:
    return pg_fixtures.migrated_sessions(request, tmp_path / "c.db", ("page_runs", "pages"))


def test_concurrent_claims_never_overlap(sessions: sessionmaker[Session]) -> None:
    ids = _backlog(sessions, 40)

    start = threading.Barrier(4)

    def drain(worker: str) -> list[int]:
        mine: list[int] = []
        start.wait()
        while got := claims.claim_pages(sessions, worker, limit=3, lease_seconds=60):
            mine += [c.page_id for c in got]
            time.sleep(0.05)  # "work" on the pages, so the others get a turn
        return mine

    with ThreadPoolExecutor(4) as pool:
        parts = list(pool.map(drain, [f"w{i}" for i in range(4)]))
    taken = Counter(pid for part in parts for pid in part)
    assert sorted(taken) == sorted(ids)
    assert set(taken.values()) == {1}
    assert sum(1 for part in parts if part) >= 2  # the work was really shared


def test_expired_lease_is_taken_over_and_fenced(sessions: sessionmaker[Session]) -> None:
    [pid] = _backlog(sessions, 1)
    # a lease long enough that a loaded machine still asks again within it
    [first] = claims.claim_pages(sessions, "dead", lease_seconds=3)
    assert claims.claim_pages(sessions, "other", lease_seconds=30) == []  # still leased
    time.sleep(3.5)
    [second] = claims.claim_pages(sessions, "other", lease_seconds=30)
    assert (second.page_id, second.attempt) == (pid, 2)
    # the first worker comes back: it can neither renew nor finish
    assert not claims.renew_lease(sessions, first, 30)
    assert not claims.holds(sessions, first)
    assert not claims.release(sessions, first, "done")
    assert claims.renew_lease(sessions, second, 30)
    assert claims.release(sessions, second, "done", 1.0)
    with sessions() as s:
        runs = s.execute(
            select(PageRun.worker, PageRun.attempt, PageRun.outcome).order_by(PageRun.attempt)
        ).all()
        page = s.get_one(Page, pid)
    assert [tuple(r) for r in runs] == [("dead", 1, "lost"), ("other", 2, "done")]
    assert (page.claimed_by, page.attempts) == (None, 2)


def test_released_page_is_claimable_again_until_attempts_run_out(
    sessions: sessionmaker[Session],
) -> None:
    [pid] = _backlog(sessions, 1)
    [c1] = claims.claim_pages(sessions, "a", lease_seconds=30, max_attempts=2)
    assert claims.release(sessions, c1, "retry")
    [c2] = claims.claim_pages(sessions, "b", lease_seconds=0.2, max_attempts=2)
    assert c2.attempt == 2
    time.sleep(0.5)  # "b" dies; its lease runs out; this was the last allowed attempt
    assert claims.claim_pages(sessions, "c", lease_seconds=30, max_attempts=2) == []
    with sessions() as s:
        page = s.get_one(Page, pid)
    assert (page.status, page.error_reason, page.claimed_by) == (
        "failed",
        "too_many_attempts",
        None,
    )
    assert claims.backlog(sessions) == 0


def test_processed_pages_are_never_claimed(sessions: sessionmaker[Session]) -> None:
    ids = _backlog(sessions, 3)
    with sessions.begin() as s:
        s.get_one(Page, ids[0]).status = "processed"
        s.get_one(Page, ids[1]).status = "failed"
    got = claims.claim_pages(sessions, "w", limit=10)
    assert [c.page_id for c in got] == [ids[2]]
