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


#: Book types in plain words, for screens, separator sheets and lists.
BOOK_TYPE_VI = {
    "khai_sinh": "Sổ đăng ký khai sinh",
    "ket_hon": "Sổ đăng ký kết hôn",
    "khai_tu": "Sổ đăng ký khai tử",
    "tthc": "Kết quả thủ tục hành chính",
}


#: Why a clerk held a page (pipeline/review/hold.py), in plain words.
HOLD_KINDS = {"unreadable": "Không đọc được", "rescan": "Cần quét lại"}


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
    #: a clerk said its page cannot be read or must be scanned again (pipeline/review/hold.py);
    #: out of the review queue until the page is scanned again or a manager releases it
    held = "held"
    #: keyed once; waits for a second clerk to key its key fields blind (double keying)
    second_keying = "second_keying"
    #: the two keyings disagree; waits for an arbiter
    arbitration = "arbitration"
