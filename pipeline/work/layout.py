"""What document assembly keeps of a processed page, and the records a later page holds.

A batch's pages are processed one by one, by any number of workers, in any order; a document
over several pages can only be joined once its pages are all read
(:mod:`pipeline.work.joining`). Meanwhile each page keeps its layout (``pages.layout``): a
Decree-30 header starts here, the document ends here, its register table's shape, and the
records it *holds*: those of a letter's later page (the signer block, no header of its own)
and those of a register's right page (no entry numbers: the left page's entries go on).
Held records are never lost: when no document takes them they become records of their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Page
from pipeline.documents import TableShape, is_continuation
from pipeline.extract.decree30 import ends_document, has_header, is_annex
from schemas.models import OcrPage, PageResult, Record


def page_layout(ocr: OcrPage, result: PageResult) -> dict[str, Any]:
    """The page's layout as document assembly needs it (JSON-ready)."""
    steps = [s.model_dump() for s in result.provenance]
    t = TableShape.of_steps(steps)
    table = (
        None
        if t is None
        else {"rows": t.rows, "entry_rows": list(t.entry_rows), "columns": sorted(t.columns)}
    )
    return {
        "header": has_header(ocr),
        "ends": ends_document(ocr),
        "annex": is_annex(ocr),
        "table": table,
    }


def table_of(layout: dict[str, Any]) -> TableShape | None:
    """The register table kept in a page's layout."""
    t = layout.get("table")
    if not t:
        return None
    return TableShape(int(t["rows"]), tuple(t["entry_rows"]), frozenset(t["columns"]))


def read_layout(result_path: Path) -> dict[str, Any]:
    """The layout written beside a page's result (an empty one for results made before it)."""
    path = result_path.with_name(result_path.name.replace("_result.json", "_layout.json"))
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def is_right_page(layout: dict[str, Any]) -> bool:
    """A register page whose table has columns but no entry numbers: a spread's right page."""
    table = table_of(layout)
    return table is not None and bool(table.columns) and "so" not in table.columns


def hold_for_document(
    records: list[Record], layout: dict[str, Any]
) -> tuple[list[Record], list[Record]]:
    """(records of the page's own, records held for its document's first page)."""
    if records and is_right_page(layout):
        return [], list(records)
    held = [r for r in records if is_continuation(r)]
    return [r for r in records if not is_continuation(r)], held


def own_records(layout: dict[str, Any] | None) -> list[Record] | None:
    """The records the page read as its own (None: a page stored before they were kept)."""
    own = (layout or {}).get("own")
    return None if own is None else [Record.model_validate(r) for r in own]


def held_records(layout: dict[str, Any] | None) -> list[Record]:
    """The records a page holds for its document."""
    return [Record.model_validate(r) for r in (layout or {}).get("held", [])]


def save_layout(sessions: sessionmaker[Session], page_id: int, layout: dict[str, Any]) -> None:
    """Keep the page's layout; a page processed again is joined again."""
    with sessions.begin() as s:
        page = s.get_one(Page, page_id)
        page.layout = layout
        page.document_page_id = None
