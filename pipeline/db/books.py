"""Books in the database: one row per book, its storage prefix and its page numbers.

A book is (agency, book type, book number) as the operator typed them (NFC, trimmed).
Pages of every batch of a book are numbered in one sequence, so two folders of one book
never name the same ``ocr/p00001.txt``. The book's key path is its slugged
``agency/book-type/book``; when another book already holds that path (``01/1994`` and
``01-1994`` slug alike) the new book's last segment gets ``~2``, ``~3``… — chosen once,
stored, never recomputed.
"""

from __future__ import annotations

import logging
import unicodedata

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session

from pipeline.db.models import Book
from pipeline.keys import slugify_part

log = logging.getLogger(__name__)

MAX_SUFFIX = 99


def clean_name(text: str) -> str:
    """The form a book's name is stored and compared in: NFC, outer spaces removed."""
    return unicodedata.normalize("NFC", text).strip()


def base_key_path(agency: str, book_type: str, book: str) -> str:
    """``agency/book-type/book``, each segment key-safe (may be shared by another book)."""
    return "/".join(slugify_part(p) for p in (agency, book_type, book))


def candidate_paths(agency: str, book_type: str, book: str) -> list[str]:
    """The key path of a book, then its disambiguated forms, in the order they are tried."""
    base = base_key_path(agency, book_type, book)
    return [base] + [f"{base}~{n}" for n in range(2, MAX_SUFFIX + 1)]


def ensure_book(s: Session, agency: str, book_type: str, book: str) -> Book:
    """Find the book or create it with a key path no other book holds.

    Runs inside the caller's transaction; on PostgreSQL a concurrent creator of the same
    book or path is handled by a savepoint per attempt; on SQLite the clash raises and the
    caller retries (:func:`pipeline.work.batch.open_batch` does).
    """
    agency, book = clean_name(agency), clean_name(book)
    found = _find(s, agency, book_type, book)
    if found is not None:
        return found
    taken = set(
        s.scalars(
            select(Book.key_path).where(
                Book.key_path.like(base_key_path(agency, book_type, book) + "%")
            )
        )
    )
    for path in candidate_paths(agency, book_type, book):
        if path in taken:
            continue
        row = Book(agency=agency, book_type=book_type, book=book, key_path=path)
        if s.get_bind().dialect.name != "postgresql":
            # SQLite serialises writers; a savepoint there would commit on release (pysqlite),
            # so a rare clash is left to the caller's retry of the whole transaction
            s.add(row)
            s.flush()
            return row
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except DbIntegrityError:
            found = _find(s, agency, book_type, book)
            if found is not None:
                return found  # created meanwhile by another process
            continue  # the path was taken meanwhile
        if path != candidate_paths(agency, book_type, book)[0]:
            log.warning(
                "book %s: key path %s (its plain path belongs to another book)", row.id, path
            )
        return row
    raise ValueError(f"no free key path for book {book!r}")


def _find(s: Session, agency: str, book_type: str, book: str) -> Book | None:
    return s.scalar(select(Book).filter_by(agency=agency, book_type=book_type, book=book))


def allocate_pages(s: Session, book_id: int, count: int) -> int:
    """Reserve ``count`` page numbers of a book; return the first.

    One ``UPDATE … RETURNING`` inside the caller's transaction: on PostgreSQL the row lock
    makes concurrent registrations of one book wait for each other; SQLite serialises
    writers anyway.
    """
    if count <= 0:
        return 0
    end = s.execute(
        update(Book)
        .where(Book.id == book_id)
        .values(next_page=Book.next_page + count)
        .returning(Book.next_page)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    return int(end) - count
