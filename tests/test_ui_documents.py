"""A clerk sees a document's pages and splits or merges them, in a real browser (issue 18).

A two-page letter goes through the batch stages (real Tesseract, SQLite, SeaweedFS), is joined
into one record, then a clerk in Debian's chromium opens it: the signer's field is cropped from
page 2, "Tách từ trang 2" makes page 2 a document of its own, "Gộp vào văn bản ở trang 1" puts
it back; each step is in the record's audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.browser import serving
from pipeline.config import ProcessOptions
from pipeline.db.models import Page, RecordRow, ReviewEvent
from pipeline.phases import load_plan
from pipeline.work import batch as stages
from pipeline.work.joining import join_documents
from review_ui.app import create_app
from tests import s3_fixtures
from tests.browser_fixtures import ARGS, CHROMIUM
from tests.browser_fixtures import login as _login
from tests.test_batch import _meta
from tests.test_joining import letter_pages
from tests.ui_fixtures import add_users, make_config, make_sessions

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.s3, pytest.mark.tesseract, pytest.mark.timeout(300)]

s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store


@pytest.fixture
def letter_site(tmp_path: Path, s3_store) -> Iterator[tuple[str, object, list[int]]]:
    from ocr.tesseract import TesseractEngine

    sessions = make_sessions(tmp_path)
    ctx = stages.Context(
        sessions=sessions,
        store=s3_store,
        plan=load_plan(),
        options=ProcessOptions(),
        engine=TesseractEngine(),
        work_dir=tmp_path / "work",
    )
    folder, _ = letter_pages(tmp_path)
    bid = stages.open_batch(sessions, _meta(book_type="khai_sinh"), folder)
    stages.register_pages(sessions, ctx.plan, bid)
    ids = stages.pending_pages(sessions, bid)
    for pid in ids:
        stages.store_master(ctx, pid)
        stages.store_outputs(ctx, pid, stages.process_page(ctx, pid))
    join_documents(ctx, bid)
    add_users(sessions, {"clerk1": "clerk"})
    app = create_app(make_config(sessions, s3_store))
    with serving(app, proxy_headers=False) as base:
        yield base, sessions, ids


def test_a_clerk_splits_a_letter_at_its_second_page_and_merges_it_back(letter_site) -> None:
    base, sessions, (p1, p2) = letter_site
    with sessions() as s:
        (rid,) = s.scalars(select(RecordRow.id).where(RecordRow.page_id == p1)).all()
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            _login(page, base, f"/records/{rid}", "clerk1")
            assert "Văn bản gồm 2 trang: trang 1, trang 2" in page.inner_text(".document-pages")
            signer = page.locator('.field[data-name="nguoi_ky"]')
            assert signer.get_attribute("data-src") == f"/pages/{p2}/preview"
            assert "ở trang 2" in signer.inner_text()
            # the crop of a value on page 2 is drawn from page 2's image
            page.wait_for_function(
                "document.querySelector('.field[data-name=nguoi_ky] canvas.crop').width > 0"
            )

            page.get_by_role("button", name="Tách từ trang 2 thành văn bản riêng").click()
            page.wait_for_url(f"{base}/records/*")
            with sessions() as s:
                own = s.scalars(
                    select(RecordRow).where(
                        RecordRow.page_id == p2, RecordRow.status != "superseded"
                    )
                ).all()
                assert len(own) == 1 and page.url.endswith(f"/records/{own[0].id}")
                assert s.get_one(Page, p2).document_page_id == p2
            assert page.locator("#merge").inner_text() == "Gộp vào văn bản ở trang 1"

            page.locator("#merge").click()
            page.wait_for_url(f"{base}/records/{rid}")
            assert "Văn bản gồm 2 trang" in page.inner_text(".document-pages")
            history = page.inner_text("#audit")
            assert "tách văn bản" in history and "gộp văn bản" in history
        finally:
            browser.close()
    with sessions() as s:
        actions = {
            e.action for e in s.scalars(select(ReviewEvent).where(ReviewEvent.record_id == rid))
        }
    assert {"split", "merge"} <= actions
