"""The audit trail cannot be rewritten, not even by INSERT OR REPLACE or UPSERT (issue 15, item 13).

Real SQLite and PostgreSQL, both brought up by the migrations.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.migrate import upgrade_db
from pipeline.db.models import ReviewEvent, make_engine, make_sessionmaker
from tests import pg_fixtures
from tests.fakes import MemoryStore
from tests.ui_fixtures import seed

pg_url = pg_fixtures.pg_url

COLUMNS = "(id, record_id, user_id, action, field_name, old_value, new_value, at)"
VALUES = "(:id, :rid, :uid, 'edit', 'ho_ten', 'Nguyễn Văn Aan', 'Kẻ Giả Mạo', :at)"
AT = "2024-01-02 03:04:05+00:00"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def audited(request: pytest.FixtureRequest, tmp_path: Path):
    """A migrated database with one approval event; (sessions, dialect, event id, params)."""
    url = (
        request.getfixturevalue("pg_url")
        if request.param == "postgres"
        else f"sqlite:///{tmp_path / 'audit.db'}"
    )
    upgrade_db(url)
    sessions: sessionmaker[Session] = make_sessionmaker(make_engine(url))
    seeded = seed(sessions, MemoryStore())
    with sessions.begin() as s:
        event = ReviewEvent(
            record_id=seeded.record_a,
            user_id=seeded.users["clerk"],
            action="edit",
            field_name="ho_ten",
            old_value="Nguyễn Văn Aan",
            new_value="Nguyễn Văn An",
        )
        s.add(event)
        s.flush()
        eid = event.id
    params = {"id": eid, "rid": seeded.record_a, "uid": seeded.users["clerk"], "at": AT}
    return sessions, request.param, eid, params


def _new_value(sessions: sessionmaker[Session], eid: int) -> str | None:
    with sessions() as s:
        return s.scalar(select(ReviewEvent.new_value).where(ReviewEvent.id == eid))


def _refused(sessions: sessionmaker[Session], sql: str, params: dict) -> None:
    with pytest.raises(DatabaseError, match="append-only"), sessions.begin() as s:
        s.execute(text(sql), params)


def test_insert_or_replace_cannot_rewrite_an_audit_row(audited) -> None:
    sessions, dialect, eid, params = audited
    upsert = (
        f"INSERT INTO review_events {COLUMNS} VALUES {VALUES} "
        "ON CONFLICT (id) DO UPDATE SET new_value = excluded.new_value"
    )
    attempts = [upsert]
    if dialect == "sqlite":
        attempts += [
            f"INSERT OR REPLACE INTO review_events {COLUMNS} VALUES {VALUES}",
            f"REPLACE INTO review_events {COLUMNS} VALUES {VALUES}",
        ]
    for sql in attempts:
        _refused(sessions, sql, params)
        assert _new_value(sessions, eid) == "Nguyễn Văn An", sql
    _refused(sessions, "UPDATE review_events SET new_value = 'x' WHERE id = :id", params)
    _refused(sessions, "DELETE FROM review_events WHERE id = :id", params)
    if dialect == "postgres":  # TRUNCATE skips row triggers
        _refused(sessions, "TRUNCATE review_events", {})
    # appending still works, with or without an explicit new id
    with sessions.begin() as s:
        fresh = {**params, "id": eid + 1000}
        s.execute(text(f"INSERT INTO review_events {COLUMNS} VALUES {VALUES}"), fresh)
        s.add(ReviewEvent(record_id=params["rid"], user_id=params["uid"], action="approve"))
    with sessions() as s:
        assert s.scalar(select(ReviewEvent.new_value).where(ReviewEvent.id == eid + 1000)) == (
            "Kẻ Giả Mạo"
        )
        assert len(s.scalars(select(ReviewEvent.id)).all()) >= 3
    assert _new_value(sessions, eid) == "Nguyễn Văn An"
