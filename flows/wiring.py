"""Build concrete adapters from settings, once per process (the edge of the system).

The adapters are imported where they are built, not at the top: a command that only reads
the database (``sohoa status``) loads neither the page stages nor the object store.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.config import ProcessOptions, Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from pipeline.archive.storage import MinioStore
    from pipeline.phases import PhasePlan
    from pipeline.ports import LineReader, LineReading
    from pipeline.work.batch import Context

log = logging.getLogger(__name__)


def prepare_environment(settings: Settings) -> None:
    """Environment Prefect reads at import: state under SOHOA_HOME, no analytics, quiet."""
    home = settings.home_abs
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home / "prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the in-process server can take a while to start on a busy 2-core machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    os.environ.setdefault("PREFECT_UI_ENABLED", "false")
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")


@lru_cache(maxsize=1)
def settings() -> Settings:
    """Settings read once per process."""
    s = Settings()
    s.check_production()
    return s


def make_store(s: Settings) -> MinioStore:
    """Object store from settings; starts the embedded S3 server when none is configured."""
    from flows.local_s3 import ensure_local_s3
    from pipeline.archive.storage import MinioStore

    if s.s3_endpoint:
        store = MinioStore(
            endpoint=s.s3_endpoint,
            access_key=s.s3_access_key or "",
            secret_key=s.s3_secret_key or "",
            bucket=s.s3_bucket,
            secure=s.s3_secure,
            region=s.s3_region,
        )
    else:
        local = ensure_local_s3(s.home_abs)
        store = MinioStore(
            endpoint=local.endpoint,
            access_key=local.access_key,
            secret_key=local.secret_key,
            bucket=s.s3_bucket,
        )
    store.ensure_bucket()
    return store


def make_plan(s: Settings) -> PhasePlan:
    """The phase plan (packaged default unless SOHOA_PHASE_PLAN is set)."""
    from pipeline.phases import load_plan

    return load_plan(Path(s.phase_plan) if s.phase_plan else None)


@lru_cache(maxsize=1)
def sessions():  # type: ignore[no-untyped-def]
    """Session factory on the configured database, migrated to the latest schema."""
    from pipeline.db.models import make_engine, make_sessionmaker

    s = settings()
    engine = make_engine(s.db_url)
    if not _at_head(engine):
        from pipeline.db.migrate import upgrade_db  # Alembic loaded only when there is work

        upgrade_db(s.db_url)
    return make_sessionmaker(engine)


def _at_head(engine: Engine) -> bool:
    """Whether the database already stands at the newest migration (False when unsure).

    Read from the migration files' ``revision``/``down_revision`` lines and the
    ``alembic_version`` table, without loading Alembic: a command that only reads starts
    fast. Any doubt (no table, a parse miss, several heads) means "upgrade".
    """
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    heads = migration_heads()
    if len(heads) != 1:
        return False
    try:
        with engine.connect() as conn:
            current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except SQLAlchemyError:
        return False
    return current == heads


def migration_heads() -> set[str]:
    """Revisions no other migration builds on, read from the files (normally exactly one)."""
    import re

    import pipeline.db

    revs, downs = set(), set()
    for path in (Path(pipeline.db.__file__).parent / "migrations" / "versions").glob("*.py"):
        body = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision\s*=\s*['\"](\w+)['\"]", body, re.M)
        down = re.search(r"^down_revision\s*=\s*(.+)$", body, re.M)
        if rev:
            revs.add(rev[1])
            downs.update(re.findall(r"['\"](\w+)['\"]", down[1] if down else ""))
    return revs - downs


def sqlite_at_head(s: Settings) -> Path | None:
    """The SQLite file of the settings when it is migrated to the newest revision, else None.

    Read with the standard library only (``sohoa status`` starts without SQLAlchemy); a
    database elsewhere, missing, or behind goes the usual way through :func:`sessions`.
    """
    import sqlite3

    url = s.db_url
    if not url.startswith("sqlite:///"):
        return None
    path = Path(url.removeprefix("sqlite:///"))
    heads = migration_heads()
    if not path.is_file() or len(heads) != 1:
        return None
    try:
        with sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True) as con:
            current = {r[0] for r in con.execute("SELECT version_num FROM alembic_version")}
    except sqlite3.Error:
        return None
    return path if current == heads else None


@lru_cache(maxsize=1)
def context() -> Context:
    """Everything the batch stages need."""
    from ocr.tesseract import TesseractEngine
    from pipeline.work.batch import Context

    s = settings()
    return Context(
        sessions=sessions(),
        store=make_store(s),
        plan=make_plan(s),
        options=ProcessOptions.from_settings(s),
        work_dir=s.work_dir,
        engine=TesseractEngine(),
        second=second_reader(),
    )


class NoSecondReader:
    """Stands in when the second reader is not installed.

    It reads nothing, so no key field (number, date, name, place) is auto-accepted on one
    reading.
    """

    name = "none"

    def read_line(self, image: Any) -> LineReading:
        """Nothing read."""
        from pipeline.ports import LineReading

        return LineReading(text="", confidence=0.0, engine=self.name)


@lru_cache(maxsize=1)
def second_reader() -> LineReader:
    """The process's second reader of key fields (its model loads once, on first use).

    :class:`NoSecondReader` (logged) when it is not installed.
    """
    from ocr.second_reader import AsterLineReader, probe
    from pipeline.errors import MissingToolError

    try:
        probe()
        reader = AsterLineReader()
        reader.load()  # a model that will not load fails here, once, not on every page
    except MissingToolError as e:
        log.warning("second reader unavailable (%s): key fields all go to review", e.detail)
        return NoSecondReader()
    except Exception as e:  # a broken install: read nothing rather than fail every page
        log.warning("second reader failed to load (%s): key fields all go to review", e)
        return NoSecondReader()
    return reader


def context_for(schema: str | None) -> Context:
    """:func:`context`, with every page forced to the document kind ``schema`` when given."""
    ctx = context()
    if not schema:
        return ctx
    return replace(ctx, options=replace(ctx.options, schema=schema))
