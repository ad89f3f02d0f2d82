"""A throwaway PostgreSQL database on this machine's cluster (Debian ``postgresql`` package).

Bind the fixture in a test module and mark the tests ``@pytest.mark.postgres``::

    from tests import pg_fixtures

    pg_url = pg_fixtures.pg_url

The cluster is started if it is down (as root, ``pg_ctlcluster``); a fresh role and
database are created for the module and dropped afterwards. Tests are skipped when
PostgreSQL is not installed or cannot be started.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator

import pytest


def _psql(sql: str, db: str = "postgres") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", "psql", "-X", "-q", "-d", db, "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
    )


def _cluster() -> tuple[str, str, int] | None:
    """(version, name, port) of the first local cluster, or None."""
    if shutil.which("pg_lsclusters") is None or shutil.which("runuser") is None:
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
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=False, timeout=60)
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
