"""Migration 0005 on a database that already holds books (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from pipeline.db.migrate import alembic_config, upgrade_db
from tests import storage_fixtures

pg_db_url = storage_fixtures.pg_db_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url_at_0004(request, tmp_path) -> str:
    url = (
        f"sqlite:///{tmp_path / 'old.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_db_url")
    )
    command.upgrade(alembic_config(url), "0004")
    engine = create_engine(url)
    with engine.begin() as c:
        for bid, (book, n) in enumerate([("01/1994", 3), ("01/1994", 2), ("01-1994", 1)], 1):
            c.execute(
                text(
                    "INSERT INTO batches (id, agency, book_type, book, year_from, year_to, source,"
                    " status, created_at) VALUES (:i, 'A1', 'khai_sinh', :b, 1994, 1994, :s,"
                    " 'open', CURRENT_TIMESTAMP)"
                ),
                {"i": bid, "b": book, "s": f"/srv/{bid}"},
            )
            for seq in range(1, n + 1):
                pid = bid * 10 + seq
                c.execute(
                    text(
                        "INSERT INTO pages (id, batch_id, seq, source_name, source_sha256,"
                        " page_index, size, phase, status, attempts, created_at, updated_at,"
                        " ocr_text_key) VALUES (:i, :b, :q, 'p.png', :h, 0, 1, 'phase-5',"
                        " 'processed', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :k)"
                    ),
                    {"i": pid, "b": bid, "q": seq, "h": f"{pid:064d}", "k": f"x/ocr/p{seq:05d}"},
                )
                c.execute(
                    text(
                        "INSERT INTO records (page_id, entry_index, schema_name, schema_version,"
                        " phase, phase_source, status, version, created_at) VALUES"
                        " (:p, 0, 'khai_sinh', '1', 'phase-5', 'record', 'needs_review', 1,"
                        " CURRENT_TIMESTAMP)"
                    ),
                    {"p": pid},
                )
    engine.dispose()
    return url


def test_0005_numbers_old_pages_per_book_and_keeps_every_row(url_at_0004):
    upgrade_db(url_at_0004)
    engine = create_engine(url_at_0004)
    with engine.connect() as c:
        books = c.execute(text("SELECT book, key_path, next_page FROM books ORDER BY id")).all()
        pages = dict(c.execute(text("SELECT id, book_page FROM pages")).all())
        records = c.execute(text("SELECT count(*) FROM records")).scalar_one()
    engine.dispose()
    assert [tuple(b) for b in books] == [
        ("01/1994", "A1/khai_sinh/01-1994", 6),
        ("01-1994", "A1/khai_sinh/01-1994~2", 2),
    ]
    # the first batch keeps p1..p3; the second is numbered above every key the book used
    assert pages == {11: 1, 12: 2, 13: 3, 21: 4, 22: 5, 31: 1}
    assert records == 6
    command.downgrade(alembic_config(url_at_0004), "0004")  # and back, with the data in place
    upgrade_db(url_at_0004)
