"""A throwaway PostgreSQL database on this machine's cluster (Debian ``postgresql`` package).

Bind the fixture in a test module and mark the tests ``@pytest.mark.postgres``::

    from tests import pg_fixtures

    pg_url = pg_fixtures.pg_url

The cluster is started if it is down (``pg_ctlcluster``: directly as root, through
``sudo -n`` otherwise, as the Makefile installs packages); a fresh role and database are
created for the module and dropped afterwards. Tests are skipped when PostgreSQL is not
installed or cannot be started — and with ``CI`` set, a skipped ``postgres`` test is a
failure (tests/conftest.py), so CI never passes with PostgreSQL untested.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker


def as_user(user: str) -> list[str]:
    """The argv prefix that runs a command as ``user``: runuser as root, else ``sudo -n``."""
    if os.geteuid() == 0:
        return ["runuser", "-u", user, "--"]
    return ["sudo", "-n", "-u", user, "--"]


def as_root() -> list[str]:
    """The argv prefix that runs a command as root (nothing when we are root)."""
    return [] if os.geteuid() == 0 else ["sudo", "-n"]


def _psql(sql: str, db: str = "postgres") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*as_user("postgres"), "psql", "-X", "-q", "-d", db, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
    )


def _cluster() -> tuple[str, str, int] | None:
    """(version, name, port) of the first local cluster, or None."""
    switch = "runuser" if os.geteuid() == 0 else "sudo"
    if shutil.which("pg_lsclusters") is None or shutil.which(switch) is None:
        return None
    out = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4:
            return parts[0], parts[1], int(parts[2])
    return None


def ensure_cluster() -> int:
    """Start the local cluster if needed; return its port (skip the test if impossible)."""
    found = _cluster()
    if found is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    version, name, port = found
    if _psql("SELECT 1").returncode != 0:
        subprocess.run(
            [*as_root(), "pg_ctlcluster", version, name, "start"], check=False, timeout=60
        )
    if _psql("SELECT 1").returncode != 0:
        pytest.skip("the local PostgreSQL cluster does not start")
    return port


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A ``postgresql+psycopg://`` URL of a fresh database, dropped at module teardown."""
    port = ensure_cluster()
    name = f"sohoa_t_{secrets.token_hex(4)}"
    password = secrets.token_hex(12)
    for sql in (
        f"CREATE ROLE {name} LOGIN PASSWORD '{password}'",
        f"CREATE DATABASE {name} OWNER {name}",
    ):
        done = _psql(sql)
        assert done.returncode == 0, done.stderr
    try:
        yield f"postgresql+psycopg://{name}:{password}@127.0.0.1:{port}/{name}"
    finally:
        _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        _psql(f"DROP ROLE IF EXISTS {name}")


def migrated_sessions(
    request: pytest.FixtureRequest, sqlite_path: Path, clear: tuple[str, ...]
) -> sessionmaker[Session]:
    """Sessions on a migrated database: SQLite at ``sqlite_path``, or the module's PostgreSQL
    database when the requesting fixture is parametrised ``"postgres"``.

    The tables in ``clear`` are emptied first (in that order): the PostgreSQL database is
    shared by the module's tests.
    """
    from pipeline.db.migrate import upgrade_db
    from pipeline.db.models import make_engine, make_sessionmaker

    postgres = getattr(request, "param", "sqlite") == "postgres"
    url = request.getfixturevalue("pg_url") if postgres else f"sqlite:///{sqlite_path}"
    upgrade_db(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        for table in clear:
            conn.exec_driver_sql(f"DELETE FROM {table}")  # noqa: S608 - names from the tests
    return make_sessionmaker(engine)
