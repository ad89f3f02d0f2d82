"""Record JSON of a processed page: its phase, its document, its version key."""

from __future__ import annotations

from typing import Any

from pipeline.db.models import Batch, Page
from pipeline.extract.kinds import formation_year
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore
from schemas.enums import RecordStatus
from schemas.models import Record


def record_version(store: ObjectStore, base_key: str, sha: str) -> tuple[int, str]:
    """The version to write a record JSON under, and its key.

    The same content keeps its key (a rerun stores nothing new); changed content (a page
    processed again) gets the next free version, so every earlier version stays in the store.
    """
    version = 1
    while True:
        key = f"{base_key}.v{version}.json"
        existing = store.stat(key)
        if existing is None or existing.sha256 == sha:
            return version, key
        version += 1


def place_record(plan: PhasePlan, batch: Batch, record: Record) -> tuple[str, int | None, str]:
    """(phase prefix, formation year, where the year came from) of a record.

    The year is the record's own (registration or issue date); without one the book's first
    declared year decides. A year outside the book's years sends the date to review.
    """
    year = formation_year(record)
    if year is None:
        return plan.prefix_for_year(batch.year_from), None, "batch"
    if not batch.year_from <= year <= batch.year_to:
        note = f"năm {year} ngoài khoảng năm của sổ ({batch.year_from}–{batch.year_to})"
        key = "ngay_ban_hanh" if record.schema_name == "tthc" else "ngay_dang_ky"
        f = record.fields[key]
        record.fields[key] = f.model_copy(
            update={"needs_review": True, "provenance": [*f.provenance, note]}
        )
    return plan.prefix_for_year(year), year, "record"


def record_document(
    record: Record, batch: Batch, page: Page, phase: str, year: int | None, text_key: str
) -> dict[str, Any]:
    """The record JSON stored for a page's record (deterministic: no timestamp)."""
    return {
        "schema": record.schema_name,
        "schema_version": record.schema_version,
        "version": 1,
        "phase": phase,
        "formation_year": year,
        "book": {
            "agency": batch.agency,
            "book_type": batch.book_type,
            "book": batch.book,
            "years": [batch.year_from, batch.year_to],
        },
        "source": {
            "master_key": page.master_key,
            "sha256": page.source_sha256,
            "page_index": page.page_index,
            "ocr_text_key": text_key,
        },
        "status": RecordStatus.needs_review.value
        if record.needs_review
        else RecordStatus.auto_accepted.value,
        "fields": {k: v.model_dump() for k, v in record.fields.items()},
        # no timestamp: a rerun after a crash must produce the same bytes (same object,
        # no new version); the database keeps ``stored_at``
    }
