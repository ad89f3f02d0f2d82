"""Database tables (SQLAlchemy 2) and the small repository the stages use."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    false,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, sessionmaker


def utcnow() -> datetime:
    """Timezone-aware now, for defaults."""
    return datetime.now(UTC)


def aware(dt: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Book(Base):
    """One civil-status book or document file, whatever folders its pages came from.

    ``key_path`` is the book's place in object storage (``agency/book-type/book`` made
    key-safe); it is unique, so two books whose names slug alike ("01/1994", "01-1994")
    never share a prefix. ``next_page`` hands out page numbers per book: every page of
    every batch of the book gets its own, so derived objects never collide.
    """

    __tablename__ = "books"
    __table_args__ = (UniqueConstraint("agency", "book_type", "book", name="uq_book"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    book_type: Mapped[str] = mapped_column(String(16))
    book: Mapped[str] = mapped_column(String(64))
    key_path: Mapped[str] = mapped_column(String(512), unique=True)
    next_page: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Batch(Base):
    """One book (or part of one) brought in together."""

    __tablename__ = "batches"
    __table_args__ = (UniqueConstraint("agency", "book_type", "book", "source", name="uq_batch"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    book_type: Mapped[str] = mapped_column(String(16))
    book: Mapped[str] = mapped_column(String(64))
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(1024))
    status: Mapped[str] = mapped_column(String(16), default="open")
    book_id: Mapped[int | None] = mapped_column(ForeignKey("books.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    pages: Mapped[list[Page]] = relationship(back_populates="batch")
    book_row: Mapped[Book | None] = relationship(lazy="joined")


class Page(Base):
    """One page image (a file, or one page of a PDF / multi-page TIFF)."""

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("batch_id", "source_sha256", "page_index", name="uq_page_source"),
        UniqueConstraint("book_id", "book_page", name="uq_page_book_page"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    #: the book the page belongs to and its number there (names the page's derived objects)
    book_id: Mapped[int | None] = mapped_column(ForeignKey("books.id"))
    book_page: Mapped[int | None] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(String(512))
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    page_index: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    phase: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error_reason: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    master_key: Mapped[str | None] = mapped_column(String(1024))
    ocr_text_key: Mapped[str | None] = mapped_column(String(1024))
    hocr_key: Mapped[str | None] = mapped_column(String(1024))
    #: downscaled copy of the cleaned OCR image, for the review screen
    preview_key: Mapped[str | None] = mapped_column(String(1024))
    #: preview pixels per pixel of the cleaned image (field boxes are in the latter)
    preview_scale: Mapped[float | None] = mapped_column(Float)
    #: the cleaned, upright image OCR read (field boxes are in its pixels)
    clean_key: Mapped[str | None] = mapped_column(String(1024))
    #: ALTO XML of the OCR, converted from Tesseract's hOCR
    alto_key: Mapped[str | None] = mapped_column(String(1024))
    #: SHA-256 of every derived object as written (key → hex), checked by ``sohoa verify``
    outputs: Mapped[dict[str, str] | None] = mapped_column(JSON)
    kind: Mapped[str | None] = mapped_column(String(32))
    skew_deg: Mapped[float | None] = mapped_column(Float)
    orientation_deg: Mapped[int | None] = mapped_column(Integer)
    quality: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    text: Mapped[str | None] = mapped_column(Text)
    #: what document assembly needs of the page (pipeline/work/joining.py): "header", "ends",
    #: "table", and "held": records of a document's later page waiting to be joined
    layout: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the first page of this page's document, once its pages are joined (NULL: not joined)
    document_page_id: Mapped[int | None] = mapped_column(Integer)
    #: a clerk's "không đọc được" / "cần quét lại" (pipeline/review/hold.py): kind, reason
    hold_kind: Mapped[str | None] = mapped_column(String(16))
    hold_reason: Mapped[str | None] = mapped_column(Text)
    hold_by: Mapped[int | None] = mapped_column(Integer)
    hold_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: work claiming (pipeline/work/claims.py): which worker holds the page, until when
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: claims so far; also the fencing token of the current claim
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    batch: Mapped[Batch] = relationship(back_populates="pages")
    records: Mapped[list[RecordRow]] = relationship(back_populates="page")

    @property
    def number(self) -> int:
        """The page's number in its book (its batch sequence for rows made before books)."""
        return self.book_page if self.book_page is not None else self.seq


class RecordRow(Base):
    """One extracted record (extract, register entry or TTHC result)."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("page_id", "entry_index", name="uq_record_entry"),
        # the review queue: status (and phase) first, oldest first
        Index("ix_records_queue", "status", "created_at", "id"),
        Index("ix_records_queue_phase", "status", "phase", "created_at", "id"),
        Index("ix_records_approved_at", "approved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"), index=True)
    entry_index: Mapped[int] = mapped_column(Integer, default=0)
    schema_name: Mapped[str] = mapped_column(String(32))
    schema_version: Mapped[str] = mapped_column(String(8))
    phase: Mapped[str] = mapped_column(String(32), index=True)
    formation_year: Mapped[int | None] = mapped_column(Integer)
    phase_source: Mapped[str] = mapped_column(String(16), default="record")
    status: Mapped[str] = mapped_column(String(16), index=True)
    object_key: Mapped[str | None] = mapped_column(String(1024))
    object_sha256: Mapped[str | None] = mapped_column(String(64))
    stored_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: version of the stored JSON (``….vN.json``); approval writes the next one
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    page: Mapped[Page] = relationship(back_populates="records")
    fields: Mapped[list[FieldRow]] = relationship(
        back_populates="record", cascade="all, delete-orphan"
    )


class FieldRow(Base):
    """One field of a record."""

    __tablename__ = "fields"
    __table_args__ = (
        UniqueConstraint("record_id", "name", name="uq_field_name"),
        Index("ix_fields_record_review", "record_id", "needs_review"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text, default="")
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    bbox: Mapped[list[int] | None] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    provenance: Mapped[list[str] | None] = mapped_column(JSON)
    #: some of the value's ink is handwritten ("viết tay" beside it)
    handwritten: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: what other readers read where they disagreed with the value (the clerk's suggestions)
    alternatives: Mapped[list[str] | None] = mapped_column(JSON)
    #: the page the value was read on when not its record's own (a letter's signer page,
    #: a register's right page); NULL: the record's page
    page_id: Mapped[int | None] = mapped_column(Integer)
    record: Mapped[RecordRow] = relationship(back_populates="fields")


class ReviewEvent(Base):
    """Append-only audit trail of review actions (one row per changed field)."""

    __tablename__ = "review_events"
    __table_args__ = (Index("ix_review_events_user_at", "user_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(16))
    field_name: Mapped[str | None] = mapped_column(String(64))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """A person who signs in to the web UI."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebSession(Base):
    """A signed-in browser: the cookie holds a random token, the table only its SHA-256."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Keying(Base):
    """One blind keying of a record's key fields (double keying, pipeline/review/double.py)."""

    __tablename__ = "keyings"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: 1: the first clerk's whole decision; 2: the second clerk's key fields
    round: Mapped[int] = mapped_column(Integer)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RecordLock(Base):
    """A record open for one clerk; others cannot open it until it is released or expires."""

    __tablename__ = "record_locks"

    record_id: Mapped[int] = mapped_column(ForeignKey("records.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InventoryBook(Base):
    """One book counted in the phase-1 inventory (what exists on the shelves)."""

    __tablename__ = "inventory_books"
    __table_args__ = (UniqueConstraint("agency", "book_type", "book", name="uq_inventory_book"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    book_type: Mapped[str] = mapped_column(String(16))
    book: Mapped[str] = mapped_column(String(64))
    year_from: Mapped[int] = mapped_column(Integer)
    year_to: Mapped[int] = mapped_column(Integer)
    estimated_pages: Mapped[int] = mapped_column(Integer, default=0)
    #: the agency's name as people say it ("UBND xã Quỳnh Hưng"), when the inventory gives it
    agency_name: Mapped[str | None] = mapped_column(String(255))
    #: the book's archival settings when the inventory gives them (fonds, catalog, box, …)
    archival: Mapped[dict[str, str] | None] = mapped_column(JSON)
    phase: Mapped[str] = mapped_column(String(32), index=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PageRun(Base):
    """One claim of a page by a worker: who, when, how it ended (the processed-by log)."""

    __tablename__ = "page_runs"
    __table_args__ = (Index("ix_page_runs_page", "page_id", "attempt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id"))
    worker: Mapped[str] = mapped_column(String(128))
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: done, failed, retry, lost (lease taken over); NULL while running or if the worker died
    outcome: Mapped[str | None] = mapped_column(String(16))
    seconds: Mapped[float | None] = mapped_column(Float)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    engine = create_engine(url, future=True, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    """Session factory that keeps loaded attributes after commit."""
    return sessionmaker(engine, expire_on_commit=False)
