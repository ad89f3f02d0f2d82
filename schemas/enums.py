"""The closed vocabularies of the contracts: book types, page and record statuses.

Plain enums, no pydantic: the command line names them at start-up.
"""

from __future__ import annotations

from enum import StrEnum


class BookType(StrEnum):
    """Kinds of book a batch can come from."""

    khai_sinh = "khai_sinh"
    ket_hon = "ket_hon"
    khai_tu = "khai_tu"
    tthc = "tthc"


class PageStatus(StrEnum):
    """Lifecycle of one page."""

    pending = "pending"
    stored = "stored"  # master stored and verified
    processed = "processed"  # OCR + extraction done, outputs stored
    failed = "failed"


class RecordStatus(StrEnum):
    """Lifecycle of one record."""

    needs_review = "needs_review"
    auto_accepted = "auto_accepted"
    approved = "approved"
    #: replaced when its document was regrouped (joined into another page's record, or split
    #: or merged by a clerk); kept with its audit trail, counted nowhere, revived if the
    #: grouping comes back
    superseded = "superseded"
