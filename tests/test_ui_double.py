"""Blind double keying of key fields (issue 20, item 3) in a real browser.

A phase with ``double_keying: true``: the first clerk's approval of a record with unsure key
fields becomes keying 1; a second clerk keys the key fields without seeing them; agreement
approves, disagreement goes to the arbiter, who decides. Real SQLite (migrations), real S3
(SeaweedFS), uvicorn on 127.0.0.1, Debian's chromium.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from pipeline.db.models import Keying, RecordRow, ReviewEvent
from pipeline.phases import load_plan, parse_plan
from review_ui.app import create_app
from tests import browser_fixtures, s3_fixtures
from tests.ui_fixtures import add_users, make_config, make_sessions, seed

pytest.importorskip("playwright.sync_api")
pytest.importorskip("uvicorn")

pytestmark = [pytest.mark.browser, pytest.mark.s3, pytest.mark.timeout(300)]

s3_server = s3_fixtures.s3_server
s3_store = s3_fixtures.s3_store


def test_the_phase_plan_turns_double_keying_on_per_phase() -> None:
    plan = load_plan()
    assert not any(p.double_keying for p in plan.phases)
    raw = {"phases": [{"number": 5, "from_year": 1800, "to_year": 1996, "double_keying": True}]}
    assert parse_plan(raw).phases[0].double_keying is True
    with pytest.raises(Exception, match="double_keying"):
        parse_plan({"phases": [{**raw["phases"][0], "double_keying": "có"}]})


@pytest.fixture
def site(tmp_path, s3_store) -> Iterator[tuple[str, object, object, object]]:
    sessions = make_sessions(tmp_path)
    for key in s3_store.list_keys("phase-"):  # the module's bucket is shared between tests
        s3_store.delete(key)
    seeded = seed(sessions, s3_store)
    add_users(sessions, {"clerk2": "clerk", "arbiter1": "arbiter"})
    cfg = make_config(sessions, s3_store)
    plan = dataclasses.replace(
        cfg.plan, phases=tuple(dataclasses.replace(p, double_keying=True) for p in cfg.plan.phases)
    )
    with browser_fixtures.serve(create_app(dataclasses.replace(cfg, plan=plan))) as base:
        yield base, sessions, s3_store, seeded, plan


browser = browser_fixtures.browser
_login = browser_fixtures.login


def _events(sessions, rid: int) -> list[tuple[str, str | None]]:  # type: ignore[no-untyped-def]
    with sessions() as s:
        rows = s.scalars(select(ReviewEvent).where(ReviewEvent.record_id == rid))
        return [(e.action, e.new_value) for e in rows.all()]


def test_two_blind_keyings_agree_or_go_to_the_arbiter(site, browser):
    base, sessions, store, seeded, _plan = site
    a, b = seeded.record_a, seeded.record_b
    # record A: clerk1 fixes it in the review screen; with double keying that is keying 1
    page1 = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    _login(page1, base, f"/records/{a}", "clerk1")
    page1.fill("#f_ho_ten", "Nguyễn Văn An")
    page1.fill("#f_dan_toc", "Mông")
    page1.click("#f_ngay_sinh")
    page1.keyboard.press("Control+S")
    page1.wait_for_url(lambda url: f"/records/{a}" not in url)
    with sessions() as s:
        assert s.get_one(RecordRow, a).status == "second_keying"
        assert s.scalar(select(Keying.round).where(Keying.record_id == a)) == 1
    assert store.stat(seeded.key_a.replace(".v1.", ".v2.")) is None  # nothing approved yet
    # record B opens next for clerk1, who confirms the name as the machine read it: keying 1
    page1.wait_for_url(f"{base}/records/{b}")
    page1.click("#f_ho_ten")
    page1.keyboard.press("Alt+A")
    page1.keyboard.press("Control+S")
    page1.wait_for_url(lambda url: f"/records/{b}" not in url)
    with sessions() as s:
        assert s.get_one(RecordRow, b).status == "second_keying"
    # clerk1 is never offered the second keying of the record they keyed first
    page1.goto(f"{base}/records/{a}/key2")
    assert "lần hai phải do người khác nhập" in page1.content()

    # clerk2 keys A blind: nothing of the first keying or of the machine's reading is shown
    page2 = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    _login(page2, base, "/review", "clerk2")
    page2.goto(f"{base}/review/next")
    page2.wait_for_url(f"{base}/records/{a}/key2")
    assert "Nguyễn Văn An" not in page2.content() and "Aan" not in page2.content()
    assert page2.input_value("#f_ho_ten") == ""
    page2.fill("#f_so", "12")
    page2.fill("#f_ho_ten", "Nguyễn  Văn An")
    page2.fill("#f_ngay_sinh", "050394")  # typed short
    page2.fill("#f_ngay_dang_ky", "20/03/1994")
    page2.click("#submit-keying")
    page2.wait_for_url(lambda url: f"/records/{a}/key2" not in url)
    with sessions() as s:
        rec_a = s.get_one(RecordRow, a)
        assert rec_a.status == "approved"
        values = {f.name: f.value for f in rec_a.fields}
    assert values["ho_ten"] == "Nguyễn Văn An" and values["dan_toc"] == "HMông"
    assert ("key2", "khớp lần nhập thứ nhất") in _events(sessions, a)
    assert store.stat(seeded.key_a.replace(".v1.", ".v2.")) is not None

    # clerk2 keys B and reads the name otherwise: the record goes to the arbiter
    page2.goto(f"{base}/records/{b}/key2")
    page2.fill("#f_so", "13")
    page2.fill("#f_ho_ten", "Trần Thị Bính")
    page2.fill("#f_ngay_dang_ky", "02041994")
    page2.click("#submit-keying")
    page2.wait_for_url(lambda url: f"/records/{b}/key2" not in url)
    with sessions() as s:
        assert s.get_one(RecordRow, b).status == "arbitration"
    assert ("key2", "khác ở: ho_ten") in _events(sessions, b)

    arb = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    _login(arb, base, "/arbitration", "arbiter1")
    arb.click(f"a[href='/records/{b}/arbitrate']")
    arb.wait_for_url(f"{base}/records/{b}/arbitrate")
    shown = arb.inner_text("#keying-form")
    assert "Trần Thị Bình" in shown and "Trần Thị Bính" in shown  # both keyings
    arb.click("#submit-keying")  # nothing typed: refused, nothing approved
    arb.wait_for_selector("#keying-message")
    assert "Gõ giá trị hợp lệ" in arb.inner_text("#keying-message")
    with sessions() as s:
        assert s.get_one(RecordRow, b).status == "arbitration"
    arb.fill("#f_so", "13")
    arb.fill("#f_ho_ten", "Trần Thị Bình")
    arb.fill("#f_ngay_dang_ky", "02/04/1994")
    arb.click("#submit-keying")
    arb.wait_for_url(f"{base}/arbitration")
    assert "Không có hồ sơ nào." in arb.inner_text("#arbitration")
    with sessions() as s:
        rec_b = s.get_one(RecordRow, b)
        assert rec_b.status == "approved"
        assert {f.name: f.value for f in rec_b.fields}["ho_ten"] == "Trần Thị Bình"
    actions = [e[0] for e in _events(sessions, b)]
    assert actions.index("key1") < actions.index("key2") < actions.index("approve")
    assert "arbitrate" in actions
