"""What was broken on the review screen and the dashboard, each checked in a real browser.

Issue 20, items 4 (skip), 7 (every flagged field looked at; confirmations audited), 8 (no
suggestion that corrupts a right value, each with its reason), 10 (a refused approval names
the fields and puts the cursor in the first), 11 (drawn zoom icons with names, readable
logout, a visible focus ring) and 12 (chart ticks at their own heights, "quá hạn" in months
and years). Real SQLite (migrations), real S3 (SeaweedFS), uvicorn on 127.0.0.1, Debian's
chromium.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from pipeline.db.models import FieldRow, RecordRow, ReviewEvent
from review_ui.app import create_app
from tests import browser_fixtures, s3_fixtures
from tests.ui_fixtures import make_config, make_sessions, seed

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.s3, pytest.mark.timeout(300)]

s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store
browser = browser_fixtures.browser
login, poll = browser_fixtures.login, browser_fixtures.poll


@pytest.fixture
def site(tmp_path, s3_store) -> Iterator[tuple[str, object, object, object]]:
    for key in s3_store.list_keys("phase-"):  # the module's bucket is shared between tests
        s3_store.delete(key)
    sessions = make_sessions(tmp_path)
    seeded = seed(sessions, s3_store)
    with browser_fixtures.serve(create_app(make_config(sessions, s3_store))) as base:
        yield base, sessions, s3_store, seeded


def _page(browser, width: int = 1400, height: int = 900):  # type: ignore[no-untyped-def]
    return browser.new_context(viewport={"width": width, "height": height}).new_page()


def _events(sessions, rid: int) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        rows = s.scalars(select(ReviewEvent).where(ReviewEvent.record_id == rid))
        return [(e.action, e.field_name) for e in rows.all()]


def test_a_skipped_record_does_not_come_back_to_the_clerk(site, browser):
    """Item 4: "Bỏ qua" opens the next record, and the skipped one comes after every other."""
    base, sessions, _store, seeded = site
    page = _page(browser)
    login(page, base, "/review", "clerk1")
    page.click("#open-next")
    page.wait_for_url(f"{base}/records/{seeded.record_a}")
    page.click("#skip")
    page.wait_for_url(f"{base}/records/{seeded.record_b}")  # the next one opens at once
    page.goto(f"{base}/review")
    page.click("#open-next")
    page.wait_for_url(f"{base}/records/{seeded.record_b}")  # not the skipped A again
    assert ("skip", None) in _events(sessions, seeded.record_a)
    other = _page(browser)  # a skip is this clerk's: another reviewer still gets A first
    login(other, base, "/review", "admin1")
    other.click("#open-next")
    other.wait_for_url(f"{base}/records/{seeded.record_a}")


def test_ctrl_s_needs_every_flagged_field_looked_at_and_confirmations_are_audited(site, browser):
    """Items 7 and 10: Ctrl+S on a record whose flagged field nobody visited is refused, the
    banner names the field and the cursor goes there; Alt+A confirms (an audit event)."""
    base, sessions, store, seeded = site
    page = _page(browser)
    login(page, base, f"/records/{seeded.record_a}", "clerk1")
    assert page.evaluate("document.activeElement.id") == "f_ho_ten"  # first flagged field
    with page.expect_navigation():
        page.keyboard.press("Control+S")  # "Dân tộc" is flagged and was never visited
    banner = page.inner_text("p.error[role=alert]")
    assert "Còn trường cần duyệt chưa xem" in banner and "Dân tộc" in banner
    assert page.evaluate("document.activeElement.id") == "f_dan_toc"
    with sessions() as s:
        assert s.get_one(RecordRow, seeded.record_a).status == "needs_review"
    page.keyboard.type("HMông")
    page.focus("#f_ho_ten")
    page.keyboard.press("Alt+A")  # the name confirmed as read
    page.keyboard.press("Control+S")
    page.wait_for_url(lambda url: f"/records/{seeded.record_a}" not in url)
    events = _events(sessions, seeded.record_a)
    assert ("confirm", "ho_ten") in events and ("edit", "dan_toc") in events
    assert ("approve", None) in events


def test_a_refused_date_is_named_and_gets_the_cursor(site, browser):
    """Item 10: an impossible date stops approval; the banner names it, the cursor is in it."""
    base, _sessions, _store, seeded = site
    page = _page(browser)
    login(page, base, f"/records/{seeded.record_b}", "clerk1")
    page.fill("#f_ngay_dang_ky", "31/02/1994")
    page.focus("#f_ho_ten")
    page.keyboard.press("Alt+A")
    with page.expect_navigation():
        page.keyboard.press("Control+S")
    assert "năm đăng ký" in page.inner_text("p.error[role=alert]")  # the field by its label
    assert page.evaluate("document.activeElement.id") == "f_ngay_dang_ky"
    assert "invalid" in (page.get_attribute("[data-name=ngay_dang_ky]", "class") or "")


def test_suggestions_keep_right_values_and_say_why(site, browser):
    """Item 8: a right place of a commune merged away is not "corrected" to a listed one, a
    name keeps its case style, and each suggestion says why it is offered."""
    base, sessions, _store, seeded = site
    with sessions.begin() as s:
        s.add_all(
            [
                FieldRow(
                    record_id=seeded.record_b,
                    name="noi_cu_tru",
                    value="xã Quỳnh Hưng, huyện Quỳnh Lưu",
                    raw="xã Quỳnh Hưng, huyện Quỳnh Lưu",
                    confidence=0.6,
                    bbox=[300, 2000, 900, 80],
                    needs_review=True,
                    provenance=[],
                ),
            ]
        )
        name = s.scalars(
            select(FieldRow).where(FieldRow.record_id == seeded.record_b, FieldRow.name == "ho_ten")
        ).one()
        name.value = name.raw = "Lâm Minh Vy"
    page = _page(browser)
    login(page, base, f"/records/{seeded.record_b}", "clerk1")
    place = page.inner_text("[data-name=noi_cu_tru] .sugs")
    assert "Quỳnh Thắng" not in place
    assert "xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An" in place
    assert "danh mục hành chính" in place  # why it is offered
    names = page.locator("[data-name=ho_ten] .sugs")
    assert names.count() == 0 or "MINH VY" not in names.inner_text()
    # the ethnic group: the official name, with its reason, picked with Alt+1
    other = _page(browser)
    login(other, base, f"/records/{seeded.record_a}", "clerk1")
    sugs = other.inner_text("[data-name=dan_toc] .sugs")
    assert "HMông" in sugs and "(" in sugs


def test_zoom_icons_logout_and_focus_ring_are_visible(site, browser):
    """Item 11: drawn zoom icons with names, a readable logout, a focus ring on approve."""
    base, _sessions, _store, seeded = site
    page = _page(browser)
    login(page, base, f"/records/{seeded.record_a}", "clerk1")
    for label in ("Phóng to", "Thu nhỏ", "Vừa khung"):
        button = page.get_by_role("button", name=label)
        assert button.count() == 1
        box = button.bounding_box()
        assert box and box["width"] >= 16 and box["height"] >= 16
    svgs = page.locator(".viewer-tools button svg")
    assert svgs.count() == 2 and svgs.first.bounding_box()["width"] > 4
    colours = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.logout button'));"
        " return [s.color, s.backgroundColor]; })()"
    )
    assert colours[0] != colours[1] and colours[0] not in ("rgb(255, 255, 255)",)
    page.focus("#approve")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by the keyboard: :focus-visible applies
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.getElementById('approve'));"
        " return [s.outlineStyle, s.outlineWidth]; })()"
    )
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2


def test_the_dashboard_chart_and_overdue_phases_read_right(site, browser):
    """Item 12: chart ticks are whole and each at its own height; an overdue phase says
    "quá hạn" in months or years, not in thousands of days."""
    base, _sessions, _store, _seeded = site
    page = _page(browser)
    login(page, base, "/dashboard", "manager1")
    ticks = page.evaluate(
        "Array.from(document.querySelectorAll('svg.chart:not(.plan-chart) text.tick"
        "[text-anchor=end]')).map(t => [t.textContent, parseFloat(t.getAttribute('y'))])"
    )
    values = [int(v) for v, _y in ticks]
    assert values == sorted(values) and values[0] == 0 and len(set(values)) == len(values)
    steps = {round(b[1] - a[1], 1) for a, b in zip(ticks, ticks[1:], strict=False)}
    assert len(steps) == 1  # evenly spaced
    overdue = page.inner_text("#phases")
    assert re.search(r"quá hạn \d+ (năm|tháng)", overdue)
    assert not re.search(r"quá hạn \d{3,} ngày", overdue) and "chưa đủ số liệu" not in overdue
