"""Batch stages over the database and the object store. Each takes ids, returns ids/paths.

These are the functions the Prefect flow sequences; they are idempotent, so a
rerun after a crash or a second ingest of the same folder adds nothing twice.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from PIL import Image
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError as DbIntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.outputs import store_page_extras
from pipeline.config import ProcessOptions
from pipeline.db.books import allocate_pages, ensure_book
from pipeline.db.models import Batch, FieldRow, Page, RecordRow
from pipeline.errors import BadInputError, SohoaError
from pipeline.extract.calibration import packaged
from pipeline.imaging.io import (
    CONTENT_TYPES,
    EXTENSIONS,
    MAX_FILE_BYTES,
    Skipped,
    load_page,
    read_source,
    scan_folder,
    sniff_kind,
)
from pipeline.imaging.previews import make_preview
from pipeline.keys import object_key, sha256_hex
from pipeline.phases import PhasePlan
from pipeline.ports import LineReader, ObjectStore, OcrEngine
from pipeline.process import process_image
from pipeline.work.claims import Claim, check_held
from pipeline.work.layout import hold_for_document, page_layout, read_layout, save_layout
from pipeline.work.records import place_record, record_document, record_version
from schemas.enums import PageStatus, RecordStatus
from schemas.models import BookMeta, PageResult, Record

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What the stages need, built once by the wiring layer."""

    sessions: sessionmaker[Session]
    store: ObjectStore
    plan: PhasePlan
    options: ProcessOptions
    work_dir: Path
    engine: OcrEngine
    #: the second reader of key fields (None: not installed; those fields then go to review)
    second: LineReader | None = None


class Storing(Protocol):
    """What storing a record needs (a :class:`Context`, or the web app's configuration)."""

    @property
    def sessions(self) -> sessionmaker[Session]: ...  # noqa: D102

    @property
    def store(self) -> ObjectStore: ...  # noqa: D102


@dataclass(frozen=True)
class Registered:
    """Outcome of registering a folder's files as pages."""

    batch_id: int
    new_pages: int
    known_pages: int
    failed_files: int


def book_prefix(phase: str, batch: Batch) -> str:
    """Object prefix of a book inside a phase (the book's stored key path)."""
    if batch.book_row is not None:
        return f"{object_key(phase)}/{batch.book_row.key_path}"
    return object_key(phase, batch.agency, batch.book_type, batch.book)


def open_batch(sessions: sessionmaker[Session], meta: BookMeta, folder: Path) -> int:
    """Find or create the batch for this book and folder; return its id."""
    for attempt in (1, 2, 3):
        try:
            return _open_batch(sessions, meta, folder)
        except DbIntegrityError:  # another process created the book or batch meanwhile
            if attempt == 3:
                raise
    raise AssertionError("unreachable")


def _open_batch(sessions: sessionmaker[Session], meta: BookMeta, folder: Path) -> int:
    source = str(folder.resolve())
    with sessions.begin() as s:
        book = ensure_book(s, meta.agency, meta.book_type.value, meta.book)
        batch = s.scalar(
            select(Batch).filter_by(
                agency=meta.agency, book_type=meta.book_type.value, book=meta.book, source=source
            )
        )
        if batch is None:
            batch = Batch(
                agency=meta.agency,
                book_type=meta.book_type.value,
                book=meta.book,
                year_from=meta.year_from,
                year_to=meta.year_to,
                source=source,
            )
            s.add(batch)
        batch.book_id = book.id
        s.flush()
        return batch.id


def register_pages(sessions: sessionmaker[Session], plan: PhasePlan, batch_id: int) -> Registered:
    """Identify every file of the batch folder by SHA-256 and add one row per page.

    Files already registered (same bytes, same page) are skipped; unusable files
    get a failed row with the reason, and the rest go on. Files are read before the
    transaction; two registrations of one batch at once cannot add a page twice (the
    loser of the race retries and finds the winner's rows).
    """
    with sessions() as s:
        source = Path(s.get_one(Batch, batch_id).source)
    scan = scan_folder(source)
    found = [_identify(path) for path in scan.files]
    found += [_refused(entry) for entry in scan.skipped if entry.refused]
    for attempt in (1, 2, 3):
        try:
            return _add_pages(sessions, plan, batch_id, found)
        except DbIntegrityError:
            if attempt == 3:
                raise
            log.info("batch %s: pages registered concurrently, trying again", batch_id)
    raise AssertionError("unreachable")


_Entry = tuple[str, int, int]  # sha256, page index, size


def _identify(path: Path) -> tuple[str, list[_Entry], SohoaError | None]:
    """(file name, its pages, the reason it cannot be used)."""
    try:
        src, _data = read_source(path)
        return path.name, [(src.sha256, i, src.size) for i in range(src.pages)], None
    except BadInputError as exc:
        return path.name, [(_digest_or_name(path), 0, _size(path))], exc


def _refused(entry: Skipped) -> tuple[str, list[_Entry], SohoaError | None]:
    """A link out of the batch folder: a failed row, what it points to never opened."""
    digest = sha256_hex(f"link-outside:{entry.name}".encode())
    return entry.name, [(digest, 0, 0)], BadInputError(entry.message_vi, reason=entry.reason)


def _add_pages(
    sessions: sessionmaker[Session],
    plan: PhasePlan,
    batch_id: int,
    found: list[tuple[str, list[_Entry], SohoaError | None]],
) -> Registered:
    with sessions.begin() as s:
        batch = s.get_one(Batch, batch_id)
        phase = plan.prefix_for_year(batch.year_from)
        known = {(p.source_sha256, p.page_index) for p in batch.pages}
        seq = max((p.seq for p in batch.pages), default=0)
        todo, seen = [], 0
        for name, entries, error in found:
            for sha, index, size in entries:
                if (sha, index) in known:
                    seen += 1
                    continue
                known.add((sha, index))
                todo.append((name, sha, index, size, error))
        first = allocate_pages(s, batch.book_id, len(todo)) if batch.book_id else 0
        for n, (name, sha, index, size, error) in enumerate(todo):
            row = _page_row(batch_id, seq + n + 1, name, sha, index, size, phase, error)
            if batch.book_id:
                row.book_id, row.book_page = batch.book_id, first + n
            s.add(row)
        failed = sum(1 for t in todo if t[4] is not None)
    return Registered(batch_id, len(todo), seen, failed)


def _page_row(
    batch_id: int,
    seq: int,
    name: str,
    sha: str,
    index: int,
    size: int,
    phase: str,
    error: SohoaError | None,
) -> Page:
    row = Page(
        batch_id=batch_id,
        seq=seq,
        source_name=name,
        source_sha256=sha,
        page_index=index,
        size=size,
        phase=phase,
        status=PageStatus.pending.value,
    )
    if error is not None:
        row.status, row.error_reason, row.error_message = "failed", error.reason, error.message_vi
    return row


def _digest_or_name(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:  # never read a huge file to name it
            return sha256_hex(f"too-large:{path.name}:{path.stat().st_size}".encode())
        return sha256_hex(path.read_bytes())
    except OSError:
        return sha256_hex(("unreadable:" + path.name).encode())


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def pending_pages(sessions: sessionmaker[Session], batch_id: int) -> list[int]:
    """Ids of pages of a batch still to process (not processed, not failed)."""
    with sessions() as s:
        return list(
            s.scalars(
                select(Page.id)
                .where(Page.batch_id == batch_id, Page.status.in_(["pending", "stored"]))
                .order_by(Page.seq)
            )
        )


def mark_failed(
    sessions: sessionmaker[Session], page_id: int, exc: SohoaError, claim: Claim | None = None
) -> None:
    """Record a page as failed with its reason; the batch goes on.

    Raises:
        LeaseLost: ``claim`` is given and another worker holds the page now.
    """
    with sessions.begin() as s:
        if claim is not None:
            check_held(s, claim)
        page = s.get_one(Page, page_id)
        page.status, page.error_reason, page.error_message = "failed", exc.reason, exc.message_vi
    log.warning("page %s failed: %s", page_id, exc.reason)


def store_master(ctx: Context, page_id: int) -> str:
    """Store the untouched original in object storage (verified), once per content."""
    with ctx.sessions() as s:
        page = s.get_one(Page, page_id)
        batch = page.batch
        if page.master_key:
            return page.master_key
        data = (Path(batch.source) / page.source_name).read_bytes()
    if sha256_hex(data) != page.source_sha256:
        raise BadInputError(
            f"Tệp {page.source_name} đã thay đổi sau khi đăng ký", reason="source_changed"
        )
    kind = sniff_kind(data[:16]) or "bin"
    key = f"{book_prefix(page.phase, batch)}/masters/{page.source_sha256}{EXTENSIONS.get(kind, '')}"
    ctx.store.put_bytes(
        key,
        data,
        content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
        metadata={"source-name": page.source_name, "batch": str(batch.id)},
    )
    with ctx.sessions.begin() as s:
        row = s.get_one(Page, page_id, with_for_update=True)
        row.master_key = row.master_key or key
        if row.status == PageStatus.pending.value:  # never undo a page done meanwhile
            row.status = PageStatus.stored.value
    return key


def process_page(ctx: Context, page_id: int) -> Path:
    """Read the stored master back, run the page stages, write the result to the work dir."""
    with ctx.sessions() as s:
        page = s.get_one(Page, page_id)
        hint, master_key, index = page.batch.book_type, page.master_key, page.page_index
        stem, name = f"{page.batch_id:05d}_{page.seq:05d}", page.source_name
    if master_key is None:
        raise SohoaError("Trang chưa được lưu bản gốc", reason="no_master")
    data = ctx.store.get_bytes(master_key)
    kind = sniff_kind(data[:16]) or ""
    image = load_page(data, kind, index, name=name, memory_mb=ctx.options.page_memory_mb)
    workdir = ctx.work_dir / stem
    outcome = process_image(
        image,
        stem=stem,
        workdir=workdir,
        options=ctx.options,
        engine=ctx.engine,
        calibration=packaged(),
        hint=hint,
        second=ctx.second,
    )
    result_path = workdir / f"{stem}_result.json"
    result_path.write_text(outcome.result.model_dump_json(by_alias=True), encoding="utf-8")
    layout = page_layout(outcome.ocr.page, outcome.result)
    (workdir / f"{stem}_layout.json").write_text(json.dumps(layout), encoding="utf-8")
    (workdir / f"{stem}_ocr.hocr").write_text(outcome.ocr.hocr, encoding="utf-8")
    return result_path


def page_metadata(page: Page) -> dict[str, str]:
    """Metadata every derived object of a page carries: which page of which book it is."""
    return {
        "page-sha256": page.source_sha256,
        "page-index": str(page.page_index),
        "book-page": str(page.number),
    }


def store_outputs(
    ctx: Context, page_id: int, result_path: Path, claim: Claim | None = None
) -> list[int]:
    """Store record JSON, OCR text and hOCR under the record's phase; write DB rows.

    Every derived object is named by the page's number in its book and carries the page's
    identity in its metadata; the checksums written are kept on the page for ``verify``.
    """
    result = PageResult.model_validate_json(result_path.read_text(encoding="utf-8"))
    hocr = result_path.with_name(result_path.name.replace("_result.json", "_ocr.hocr"))
    with ctx.sessions() as s:
        page = s.get_one(Page, page_id)
        batch = page.batch
        s.expunge_all()
    meta = page_metadata(page)
    written: dict[str, str] = {}

    def put(key: str, data: bytes, content_type: str) -> str:
        written[key] = ctx.store.put_bytes(
            key, data, content_type=content_type, metadata=meta
        ).sha256
        return key

    # a letter's later page (the signer's), a register's right page: their records wait on the
    # page for the document they belong to (pipeline/work/joining.py), not records of their own
    layout = read_layout(result_path)
    kept, held = hold_for_document(result.records, layout)
    if held:
        log.info("page %s: %d record(s) held for the document's first page", page_id, len(held))
    # the page's own readings are kept too: a split or merge regroups from them
    layout["own"] = [r.model_dump(mode="json", by_alias=True) for r in kept]
    layout["held"] = [r.model_dump(mode="json", by_alias=True) for r in held]
    result = result.model_copy(update={"records": kept})
    placed = [place_record(ctx.plan, batch, r) for r in result.records]
    page_phase = placed[0][0] if placed else page.phase
    base = f"{book_prefix(page_phase, batch)}/ocr/p{page.number:05d}"
    text_key = put(f"{base}.txt", result.text.encode("utf-8"), "text/plain; charset=utf-8")
    hocr_key = put(f"{base}.hocr", hocr.read_bytes(), "text/html; charset=utf-8")
    ids = [
        store_record(ctx, page, batch, idx, record, placed[idx], text_key)
        for idx, record in enumerate(result.records)
    ]
    preview = _store_preview(ctx, result_path, f"{book_prefix(page_phase, batch)}/previews", page)
    if preview is not None:
        written[preview[0]] = preview[2]
    written.update(store_page_extras(ctx.sessions, ctx.store, page_id, result_path, base, meta))
    _save_page(ctx, page_id, result, page_phase, text_key, hocr_key, preview, written, claim)
    save_layout(ctx.sessions, page_id, layout)
    if not ctx.options.keep_intermediates:
        shutil.rmtree(result_path.parent, ignore_errors=True)
    return ids


def store_record(
    ctx: Storing,
    page: Page,
    batch: Batch,
    idx: int,
    record: Record,
    placed: tuple[str, int | None, str],
    text_key: str,
    page_ids: dict[int, int] | None = None,
) -> int:
    """Store entry ``idx`` of a page: its JSON (next version when changed) and its rows.

    ``page_ids`` maps page numbers to page ids for a record whose fields were read on other
    pages of its document (each field's ``page``).
    """
    phase, year, source = placed
    doc = record_document(record, batch, page, phase, year, text_key)
    data = json.dumps(doc, ensure_ascii=False, indent=1).encode()
    base_key = f"{book_prefix(phase, batch)}/records/p{page.number:05d}-e{idx:02d}"
    version, key = record_version(ctx.store, base_key, sha256_hex(data))
    stored = ctx.store.put_bytes(
        key, data, content_type="application/json", metadata=page_metadata(page)
    )
    on = {n: pid for n, pid in (page_ids or {}).items() if pid != page.id}
    return _save_record(
        ctx, page.id, idx, record, (phase, year, source), (key, stored.sha256, version), on
    )


def _save_record(
    ctx: Storing,
    page_id: int,
    idx: int,
    record: Record,
    placed: tuple[str, int | None, str],
    stored: tuple[str, str, int],
    other_pages: dict[int, int],
) -> int:
    status = RecordStatus.needs_review if record.needs_review else RecordStatus.auto_accepted
    with ctx.sessions.begin() as s:
        row = s.scalar(select(RecordRow).filter_by(page_id=page_id, entry_index=idx))
        if row is None:
            row = RecordRow(page_id=page_id, entry_index=idx)
            s.add(row)
        else:
            s.execute(delete(FieldRow).where(FieldRow.record_id == row.id))
            s.expire(row, ["fields"])
        row.schema_name, row.schema_version = record.schema_name, record.schema_version
        row.phase, row.formation_year, row.phase_source = placed
        row.object_key, row.object_sha256, row.version = stored
        row.status = status.value
        row.stored_at = datetime.now(UTC)
        row.fields = [
            FieldRow(
                name=n,
                value=f.value,
                raw=f.raw,
                confidence=f.confidence,
                bbox=list(f.bbox) if f.bbox else None,
                needs_review=f.needs_review,
                provenance=f.provenance,
                handwritten=f.handwritten,
                alternatives=f.alternatives or None,
                page_id=other_pages.get(f.page) if f.page is not None else None,
            )
            for n, f in record.fields.items()
        ]
        s.flush()
        return row.id


def _store_preview(
    ctx: Context, result_path: Path, prefix: str, page: Page
) -> tuple[str, float, str] | None:
    """Store a downscaled copy of the cleaned OCR image (field boxes are in its pixels)."""
    clean = result_path.with_name(result_path.name.replace("_result.json", "_3_clean.png"))
    if not clean.exists():
        log.warning("page %s: no cleaned image for a preview", page.id)
        return None
    with Image.open(clean) as im:
        data, scale = make_preview(im)
    key = f"{prefix}/p{page.number:05d}.png"
    stored = ctx.store.put_bytes(key, data, content_type="image/png", metadata=page_metadata(page))
    return key, scale, stored.sha256


def _save_page(
    ctx: Context,
    page_id: int,
    result: PageResult,
    phase: str,
    text_key: str,
    hocr_key: str,
    preview: tuple[str, float, str] | None = None,
    outputs: dict[str, str] | None = None,
    claim: Claim | None = None,
) -> None:
    with ctx.sessions.begin() as s:
        if claim is not None:
            check_held(s, claim)  # a worker that lost the page marks nothing processed
        page = s.get_one(Page, page_id)
        if preview is not None:
            page.preview_key, page.preview_scale = preview[0], preview[1]
        page.outputs = dict(outputs or {})
        page.phase, page.kind, page.text = phase, result.kind, result.text
        page.skew_deg, page.orientation_deg = result.skew_deg, result.orientation_deg
        page.quality = result.quality.model_dump()
        page.ocr_text_key, page.hocr_key = text_key, hocr_key
        page.status = PageStatus.processed.value
