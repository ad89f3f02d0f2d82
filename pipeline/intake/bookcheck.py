"""Book-level checks once OCR has run: missing or repeated pages.

Entries of a civil-status book are numbered (``so``) in order, so a gap in the numbers
means a page may be missing (``trang bị thiếu?``) and a repeated number a page scanned
twice; the same page scanned twice is also found by perceptual hash, OCR or not.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.config import DEFAULT_PAGE_MEMORY_MB
from pipeline.db.models import FieldRow, Page, RecordRow
from pipeline.errors import BadInputError
from pipeline.imaging.io import load_page, read_source
from pipeline.intake.capture import MANIFEST, SAME_PAGE_BITS, hash_distance, perceptual_hash

log = logging.getLogger(__name__)

#: A jump larger than this is taken as a misread number, not as missing pages.
MAX_GAP = 30
#: Numbering that falls back to this starts a new year's sequence.
RESTART_AT = 1
_NUMBER = re.compile(r"\d{1,6}")
HASH_CACHE = ".sohoa-phash.json"


@dataclass(frozen=True)
class Entry:
    """An entry number where it was read: page sequence number and the number."""

    page: int
    number: int


@dataclass(frozen=True)
class BookIssue:
    """Something the operator should look at before the book goes back on the shelf."""

    kind: str  # gap | repeat | out_of_order | odd_number | same_page
    pages: tuple[int, ...]
    message_vi: str


def parse_entry_number(value: str | None) -> int | None:
    """The entry number of a ``so`` field (``"12"``, ``"12/1994"``, ``"Số: 12"``)."""
    if not value:
        return None
    m = _NUMBER.search(value)
    return int(m[0]) if m else None


def entry_number_issues(entries: list[Entry]) -> list[BookIssue]:
    """Gaps, repeats and jumps backwards in the entry numbers, in page order."""
    issues: list[BookIssue] = []
    seen: dict[int, int] = {}
    prev: Entry | None = None
    for e in entries:
        if prev is not None and e.number == RESTART_AT and prev.number > e.number:
            seen = {}  # a new year's numbering starts again at 1
        if e.number in seen:
            issues.append(
                BookIssue(
                    "repeat",
                    (seen[e.number], e.page),
                    f"Số {e.number} có ở trang {seen[e.number]} và trang {e.page}: "
                    "trang quét hai lần, hoặc đọc sai số — trang bị thiếu?",
                )
            )
        elif prev is not None:
            issues.extend(_step_issue(prev, e))
        seen.setdefault(e.number, e.page)
        prev = e
    return issues


def _step_issue(prev: Entry, e: Entry) -> list[BookIssue]:
    step = e.number - prev.number
    if step == 1 or (e.number == RESTART_AT and step < 0):
        return []
    pages = (prev.page, e.page)
    if 1 < step <= MAX_GAP:
        missing = f"{prev.number + 1}" if step == 2 else f"{prev.number + 1}–{e.number - 1}"
        return [
            BookIssue(
                "gap",
                pages,
                f"Thiếu số {missing} giữa trang {prev.page} và trang {e.page}: trang bị thiếu?",
            )
        ]
    if step > MAX_GAP:
        return [
            BookIssue(
                "odd_number",
                pages,
                f"Số nhảy từ {prev.number} lên {e.number} (trang {e.page}): đọc sai số, "
                "hay trang bị thiếu?",
            )
        ]
    return [
        BookIssue(
            "out_of_order",
            pages,
            f"Số {e.number} (trang {e.page}) đứng sau số {prev.number}: trang bị đảo thứ tự?",
        )
    ]


def same_page_issues(hashes: list[tuple[int, str]]) -> list[BookIssue]:
    """Pages whose perceptual hashes (nearly) match an earlier page of the book."""
    issues = []
    for i, (seq, h) in enumerate(hashes):
        for other_seq, other in hashes[:i]:
            if h and other and hash_distance(h, other) <= SAME_PAGE_BITS:
                issues.append(
                    BookIssue(
                        "same_page",
                        (other_seq, seq),
                        f"Trang {seq} giống hệt trang {other_seq}: cùng một trang quét hai lần?",
                    )
                )
                break
    return issues


def book_entries(sessions: sessionmaker[Session], batch_id: int) -> list[Entry]:
    """Entry numbers (``so``) of a batch's records, in page then entry order."""
    q = (
        select(Page.seq, FieldRow.value)
        .join(RecordRow, RecordRow.page_id == Page.id)
        .join(FieldRow, FieldRow.record_id == RecordRow.id)
        .where(Page.batch_id == batch_id, FieldRow.name == "so")
        .order_by(Page.seq, RecordRow.entry_index)
    )
    with sessions() as s:
        rows = s.execute(q).all()
    out = []
    for seq, value in rows:
        n = parse_entry_number(value)
        if n is not None:
            out.append(Entry(seq, n))
    return out


def page_hashes(
    sessions: sessionmaker[Session],
    batch_id: int,
    folder: Path,
    *,
    memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
) -> list[tuple]:
    """(page seq, perceptual hash) of each page, from the capture manifest or computed.

    Hashes computed here (pages decoded within ``memory_mb``) are cached in
    ``folder/.sohoa-phash.json``.
    """
    with sessions() as s:
        rows = s.execute(
            select(Page.seq, Page.source_name, Page.page_index, Page.source_sha256, Page.status)
            .where(Page.batch_id == batch_id)
            .order_by(Page.seq)
        ).all()
    cache = _load_cache(folder)
    out = []
    for seq, name, index, sha, status in rows:
        key = f"{sha}:{index}"
        if key not in cache and status != "failed":
            cache[key] = _hash_file(folder / name, index, memory_mb)
        out.append((seq, cache.get(key, "")))
    try:
        (folder / HASH_CACHE).write_text(json.dumps(cache), encoding="utf-8")
    except OSError:
        log.warning("cannot write the perceptual-hash cache of batch %s", batch_id)
    return out


def _load_cache(folder: Path) -> dict[str, str]:
    cache: dict[str, str] = {}
    for path in (folder / HASH_CACHE, folder / MANIFEST):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if path.name == MANIFEST:
            for p in data.get("pages", []):
                if p.get("phash"):
                    cache.setdefault(f"{p['sha256']}:0", p["phash"])
        else:
            cache.update(data)
    return cache


def _hash_file(path: Path, index: int, memory_mb: int) -> str:
    try:
        src, data = read_source(path)
        page = load_page(data, src.kind, index, pdf_dpi=100, name=path.name, memory_mb=memory_mb)
        return perceptual_hash(page)
    except (BadInputError, OSError):
        return ""


def check_book(
    sessions: sessionmaker[Session],
    batch_id: int,
    folder: Path,
    *,
    memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
) -> list[BookIssue]:
    """Every book-level issue of a batch: entry-number gaps/repeats and repeated pages."""
    issues = entry_number_issues(book_entries(sessions, batch_id))
    issues += same_page_issues(page_hashes(sessions, batch_id, folder, memory_mb=memory_mb))
    return issues
