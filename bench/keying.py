"""Keying a handwritten register page in the grid view, in a real browser (issue 20, item 2).

A generated register page written by hand (every value in a handwriting face) goes through
the pipeline (real Tesseract, SQLite, the embedded S3 server), then a scripted clerk keys it in
the grid view (``/pages/<id>/grid``) from the page's truth, with the keyboard only: a cell the
machine read right is confirmed (Alt+A) if flagged, else passed; a wrong or empty cell is typed
(dates the short way, ``21101994``). The benchmark counts the keystrokes per entry and times the
whole page, then checks the approved values against the truth.

The seconds are the browser's and the server's (a script types instantly): the screen's own
cost per entry, not a clerk's. A clerk's time is estimated from the keystrokes at a stated
typing pace.

    python -m bench.keying [--entries 8] [--seed 3] [--out BENCHMARKS.md]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.browser import CHROMIUM, CHROMIUM_ARGS, serving

log = logging.getLogger(__name__)

#: keystrokes a practised clerk makes per second (about 40 words a minute with Telex accents)
KEYS_PER_SECOND = 3.0
PASSWORD = "bench-mat-khau-dai"


@dataclass
class KeyingResult:
    """What keying one page cost and how right it came out."""

    entries: int
    cells: int
    read_right: int
    typed_cells: int
    keystrokes: int
    seconds: float
    right_after: int
    #: mouse presses the page saw while it was keyed (the grid is keyboard-only)
    mouse_events: int = 0

    def row(self) -> dict[str, Any]:
        """The figures per entry, for the report."""
        n = max(1, self.entries)
        return {
            "entries": self.entries,
            "cells": self.cells,
            "read right by the machine": self.read_right,
            "cells typed": self.typed_cells,
            "keystrokes per entry": round(self.keystrokes / n, 1),
            "screen seconds per entry": round(self.seconds / n, 2),
            "clerk seconds per entry (estimate)": round(self.keystrokes / n / KEYS_PER_SECOND, 1),
            "approved values right": f"{self.right_after}/{self.cells}",
        }


def _as_typed(name: str, value: str) -> str:
    """How a clerk types a true value: dates the short way (ddmmyyyy)."""
    if name.startswith("ngay_") and len(value) == 10 and value[4] == "-":
        return value[8:10] + value[5:7] + value[0:4]
    return value


def _shown(name: str, value: str) -> str:
    """A true value as the grid shows it (dates dd/mm/yyyy)."""
    if name.startswith("ngay_") and len(value) == 10 and value[4] == "-":
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return value


def _ingest(home: Path, entries: int, seed: int) -> tuple[Any, Any, Any, int, list[dict]]:
    """Render, process and store the page; (settings, sessions, store, page id, truth entries)."""
    from bench.corpus.synth import render_register_page
    from flows.wiring import make_plan, make_store, sessions, settings
    from ocr.tesseract import TesseractEngine
    from pipeline.config import ProcessOptions
    from pipeline.db.models import Page
    from pipeline.work import batch as stages
    from schemas.enums import BookType
    from schemas.models import BookMeta

    s = settings()
    store, plan, db = make_store(s), make_plan(s), sessions()
    folder = home / "in"
    folder.mkdir(parents=True, exist_ok=True)
    img, truth = render_register_page(
        seed, dpi=300, reg_year=1994, n_entries=entries, handwritten="all"
    )
    img.convert("RGB").save(folder / "trang-01.png", dpi=(300, 300))
    meta = BookMeta(
        agency="001.02.03",
        book_type=BookType.khai_sinh,
        book="01/1994",
        year_from=1994,
        year_to=1994,
    )
    ctx = stages.Context(db, store, plan, ProcessOptions(), home / "work", TesseractEngine())
    bid = stages.open_batch(db, meta, folder)
    stages.register_pages(db, plan, bid)
    for pid in stages.pending_pages(db, bid):
        stages.store_master(ctx, pid)
        stages.store_outputs(ctx, pid, stages.process_page(ctx, pid))
    with db() as session:
        page_id = session.query(Page.id).filter(Page.batch_id == bid).scalar()
    return s, db, store, int(page_id), list(truth["entries"])


def _app(db: Any, store: Any, plan: Any) -> Any:
    from review_ui.app import create_app
    from review_ui.security import WebConfig

    return create_app(WebConfig(sessions=db, store=store, plan=plan, secret="k" * 40))


def _key_page(page: Any, truth: list[dict], record_ids: list[int]) -> tuple[int, int, int, int]:
    """Key every cell from the truth, row by row with Tab; (cells, right, typed, keystrokes).

    A cell the machine read right is only passed (visiting a flagged cell is looking at it);
    a wrong one is typed over (typing replaces), an empty truth deletes the reading.
    """
    by_record = dict(zip(record_ids, truth, strict=False))
    cells = right = typed = keys = 0
    inputs = page.locator("#sheet input[data-cell]:not([disabled])")
    names = [inputs.nth(i).get_attribute("name") or "" for i in range(inputs.count())]
    inputs.nth(0).focus()
    for i, full in enumerate(names):
        _c, rid, name = full.split(":", 2)
        entry = by_record.get(int(rid), {})
        if name in entry and not isinstance(entry[name], list):
            cells += 1
            want = str(entry.get(name) or "")
            if page.locator(f"input[name='{full}']").input_value().strip() == _shown(name, want):
                right += 1
            elif want:
                typed += 1
                page.keyboard.type(_as_typed(name, want))
                keys += len(_as_typed(name, want))
            else:
                typed += 1
                page.keyboard.press("Delete")
                keys += 1
        if i < len(names) - 1:
            page.keyboard.press("Tab")
            keys += 1
    return cells, right, typed, keys


def run(entries: int = 8, seed: int = 3) -> KeyingResult:
    """Process a handwritten register page and key it in the grid; the figures."""
    from playwright.sync_api import sync_playwright
    from sqlalchemy import select

    from pipeline.db.models import RecordRow
    from pipeline.review.accounts import add_user

    home = Path(tempfile.mkdtemp(prefix="sohoa-keying-"))
    os.environ.update({"SOHOA_HOME": str(home), "SOHOA_ENV": "development"})
    os.environ.pop("SOHOA_DATABASE_URL", None)
    os.environ.pop("SOHOA_S3_ENDPOINT", None)
    try:
        s, db, store, page_id, truth = _ingest(home, entries, seed)
        from flows.wiring import make_plan

        add_user(db, "clerk1", "clerk", PASSWORD)
        with db() as session:
            ids = list(
                session.scalars(
                    select(RecordRow.id)
                    .where(RecordRow.page_id == page_id)
                    .order_by(RecordRow.entry_index)
                )
            )
        with serving(_app(db, store, make_plan(s))) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
            page.goto(f"{base}/login?next=/pages/{page_id}/grid")
            page.fill("input[name=username]", "clerk1")
            page.fill("input[name=password]", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/pages/{page_id}/grid")
            page.evaluate(  # count any mouse use while the page is keyed
                "window.sohoaMouse = 0; document.addEventListener('mousedown',"
                " e => { if (e.isTrusted) window.sohoaMouse++; }, true)"
            )
            start = time.perf_counter()
            cells, right, typed, keys = _key_page(page, truth, ids)
            mouse = int(page.evaluate("window.sohoaMouse"))
            with page.expect_navigation():
                page.keyboard.press("Control+S")
            seconds = time.perf_counter() - start
            browser.close()
        right_after = _right_after(db, ids, truth)
        return KeyingResult(len(ids), cells, right, typed, keys + 1, seconds, right_after, mouse)
    finally:
        from flows.local_s3 import stop_local_s3

        stop_local_s3(home)
        shutil.rmtree(home, ignore_errors=True)


def _right_after(db: Any, ids: list[int], truth: list[dict]) -> int:
    from sqlalchemy import select

    from pipeline.db.models import FieldRow, RecordRow

    n = 0
    with db() as session:
        for rid, entry in zip(ids, truth, strict=False):
            if session.get(RecordRow, rid).status != "approved":
                continue
            values = {
                f.name: f.value
                for f in session.scalars(select(FieldRow).where(FieldRow.record_id == rid))
            }
            for k in values:
                if k in entry and not isinstance(entry[k], list):
                    ok = (values[k] or "") == (entry.get(k) or "")
                    n += ok
                    if not ok:
                        log.info("entry %s %s: approved %r, truth %r", rid, k, values[k], entry[k])
    return n


def main() -> None:
    """Command line: run, print, optionally write the section into BENCHMARKS.md."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=8)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    result = run(args.entries, args.seed)
    for k, v in result.row().items():
        print(f"{k}: {v}")
    if args.out:
        print(f"(write the figures into {args.out} by hand: the section is prose)")


if __name__ == "__main__":
    main()
