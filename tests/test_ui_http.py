"""The web app over HTTP (ASGI, in-memory store): access rules, CSRF, images, approval."""

from __future__ import annotations

import json
import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pipeline.db.models import FieldRow, RecordLock, RecordRow, ReviewEvent
from review_ui.app import create_app
from tests.fakes import MemoryStore
from tests.ui_fixtures import PASSWORD, add_users, make_config, make_sessions, seed


@pytest.fixture
def env(tmp_path):
    sessions = make_sessions(tmp_path)
    store = MemoryStore()
    seeded = seed(sessions, store)
    app = create_app(make_config(sessions, store), warm_up=False)
    return app, sessions, store, seeded


def client(app) -> TestClient:
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


def login(app, username: str) -> TestClient:
    c = client(app)
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    return c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


@pytest.mark.parametrize(
    "path", ["/", "/review", "/records/1", "/dashboard", "/admin/users", "/pages/1/preview"]
)
def test_no_session_redirects_to_login(env, path):
    app, *_ = env
    r = client(app).get(path)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login?next=")


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(env):
    app, *_ = env
    c = client(app)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "clerk1", "password": PASSWORD, "csrf_token": token})
    cookie = r.headers["set-cookie"]
    assert "sohoa_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = c.get("/")
    assert home.status_code == 200 and "Hàng chờ duyệt" in home.text
    c.post("/logout", data={"csrf_token": csrf_of(home.text)})
    c.cookies.clear()
    assert client(app).get("/").status_code == 303


def test_wrong_password_is_refused_then_throttled(env):
    app, *_ = env
    c = client(app)
    codes = []
    for _ in range(6):
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": "admin1", "password": "sai", "csrf_token": token})
        codes.append(r.status_code)
    assert codes[:5] == [401] * 5 and codes[5] == 429
    assert "sohoa_session" not in c.cookies


def test_login_without_its_csrf_token_is_rejected(env):
    app, *_ = env
    c = client(app)
    c.get("/login")
    r = c.post("/login", data={"username": "clerk1", "password": PASSWORD})
    assert r.status_code == 403


def test_roles_are_checked_on_the_server(env):
    app, *_ = env
    clerk = login(app, "clerk1")
    assert clerk.get("/review").status_code == 200
    assert clerk.get("/admin/users").status_code == 403
    assert clerk.get("/dashboard").status_code == 403
    operator = login(app, "operator1")
    assert operator.get("/review").status_code == 403
    manager = login(app, "manager1")
    assert manager.get("/dashboard").status_code == 200
    assert manager.get("/admin/users").status_code == 403
    admin = login(app, "admin1")
    assert admin.get("/admin/users").status_code == 200
    assert admin.get("/review").status_code == 200


def test_a_form_without_its_csrf_token_is_rejected(env):
    app, sessions, _store, seeded = env
    admin = login(app, "admin1")
    page = admin.get("/admin/users")
    data = {"username": "moi1", "role": "clerk", "password": "mat-khau-rat-dai"}
    assert admin.post("/admin/users", data=data).status_code == 403
    assert admin.post("/admin/users", data={**data, "csrf_token": "x" * 64}).status_code == 403
    ok = admin.post("/admin/users", data={**data, "csrf_token": csrf_of(page.text)})
    assert ok.status_code == 303
    clerk = login(app, "clerk1")
    r = clerk.post(f"/records/{seeded.record_a}/approve", data={"f_ho_ten": "Nguyễn Văn An"})
    assert r.status_code == 403
    with sessions() as s:
        assert s.get(RecordRow, seeded.record_a).status == "needs_review"


def test_another_users_csrf_token_does_not_work(env):
    app, *_ = env
    admin = login(app, "admin1")
    other = login(app, "manager1")
    token_of_other = csrf_of(other.get("/dashboard").text)
    data = {"username": "moi2", "role": "admin", "password": "mat-khau-rat-dai"}
    r = admin.post("/admin/users", data={**data, "csrf_token": token_of_other})
    assert r.status_code == 403


@pytest.mark.parametrize(
    "raw_path",
    [
        "/pages/../../etc/passwd/preview",
        "/pages/..%2F..%2Fetc%2Fpasswd/preview",
        "/pages/1%2F..%2F..%2Fsecret/preview",
        "/static/..%2F..%2Fpipeline%2Fconfig.py",
        "/static/../app.py",
    ],
)
def test_the_image_route_rejects_path_traversal(env, raw_path):
    app, *_ = env
    c = login(app, "clerk1")
    r = c.get(raw_path)
    assert r.status_code in (400, 404, 422)
    assert b"PLACEHOLDER" not in r.content and b"import" not in r.content


def test_the_image_route_serves_only_known_pages(env):
    app, _sessions, _store, seeded = env
    c = login(app, "clerk1")
    r = c.get(f"/pages/{seeded.page_id}/preview")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert c.get("/pages/999/preview").status_code == 404


def test_queue_lists_oldest_first_and_filters(env):
    app, _sessions, _store, seeded = env
    c = login(app, "clerk1")
    html = c.get("/review").text
    assert html.index(f"#{seeded.record_a}<") < html.index(f"#{seeded.record_b}<")
    assert "#" + str(seeded.record_a) not in c.get("/review?agency=khac").text
    assert f"#{seeded.record_a}<" in c.get("/review?phase=phase-5&book=02/1994").text


def test_a_record_open_for_one_clerk_is_locked_for_others(env, tmp_path):
    app, sessions, _store, seeded = env
    add_users(sessions, {"clerk2": "clerk"})
    first = login(app, "clerk1")
    assert 'name="f_ho_ten"' in first.get(f"/records/{seeded.record_a}").text
    second = login(app, "clerk2")
    view = second.get(f"/records/{seeded.record_a}").text
    assert "đang được clerk1 mở" in view and "disabled" in view
    nxt = second.get("/review/next")
    assert nxt.headers["location"].startswith(f"/records/{seeded.record_b}")
    with sessions.begin() as s:  # the lock expires
        lock = s.get(RecordLock, seeded.record_a)
        lock.expires_at = lock.expires_at.replace(year=2000)
    assert "đang được" not in second.get(f"/records/{seeded.record_a}").text


def test_approve_validates_stores_a_new_version_and_audits(env):
    app, sessions, store, seeded = env
    c = login(app, "clerk1")
    view = c.get(f"/records/{seeded.record_a}").text
    token = csrf_of(view)
    url = f"/records/{seeded.record_a}/approve"
    bad = {
        "csrf_token": token,
        "f_ho_ten": "Nguyễn Văn An",
        "f_dan_toc": "Meo",
        "f_so": "12",
        "f_ngay_sinh": "32/13/1994",
        "seen": ["ho_ten", "dan_toc"],  # the clerk's cursor visited both flagged fields
    }
    r = c.post(url, data=bad)
    assert r.status_code == 422 and "ngày không đọc được" in r.text
    assert store.stat(seeded.key_a.replace(".v1.", ".v2.")) is None
    good = {**bad, "f_ngay_sinh": "05/03/1994"}
    r = c.post(url, data=good)
    assert r.status_code == 303 and r.headers["location"].startswith("/review/next")
    v2 = json.loads(store.get_bytes(seeded.key_a.replace(".v1.", ".v2.")))
    assert v2["version"] == 2 and v2["status"] == "approved"
    assert v2["fields"]["ho_ten"]["value"] == "Nguyễn Văn An"
    assert v2["fields"]["dan_toc"]["value"] == "HMông"
    assert json.loads(store.get_bytes(seeded.key_a))["version"] == 1  # old version kept
    with sessions() as s:
        rec = s.get(RecordRow, seeded.record_a)
        assert rec.status == "approved" and rec.version == 2
        assert rec.object_key.endswith(".v2.json") and rec.approved_by == seeded.users["clerk"]
        events = s.scalars(select(ReviewEvent).where(ReviewEvent.record_id == rec.id)).all()
        edits = {e.field_name: (e.old_value, e.new_value) for e in events if e.action == "edit"}
        assert edits == {"ho_ten": ("Nguyễn Văn Aan", "Nguyễn Văn An"), "dan_toc": (None, "HMông")}
        assert [e.action for e in events].count("approve") == 1
        flagged = s.scalars(
            select(FieldRow).where(FieldRow.record_id == rec.id, FieldRow.needs_review)
        ).all()
        assert flagged == [] and s.get(RecordLock, rec.id) is None
    page = c.get(f"/records/{seeded.record_a}").text
    assert "Nhật ký duyệt" in page and "Nguyễn Văn Aan" in page and "clerk1" in page
    again = c.post(url, data=good)
    assert again.status_code == 409 and "đã được duyệt" in again.text  # read-only now


def test_an_invalid_value_passes_only_when_the_clerk_accepts_it(env):
    app, _sessions, store, seeded = env
    c = login(app, "clerk1")
    token = csrf_of(c.get(f"/records/{seeded.record_b}").text)
    url = f"/records/{seeded.record_b}/approve"
    r = c.post(url, data={"csrf_token": token, "f_ho_ten": "Bình"})
    assert r.status_code == 422 and "họ tên bất thường" in r.text
    # the banner names the field to fix and the cursor is in it (issue 20, item 10)
    assert re.search(r'role="alert">Có trường chưa hợp lệ: Họ, chữ đệm, tên<', r.text)
    assert re.search(r'id="f_ho_ten"[^>]*autofocus', r.text.replace("\n", " "))
    r = c.post(url, data={"csrf_token": token, "f_ho_ten": "Bình", "accepted": "ho_ten"})
    assert r.status_code == 303
    key = seeded.key_a.replace("e00.v1", "e01.v2")
    assert json.loads(store.get_bytes(key))["fields"]["ho_ten"]["value"] == "Bình"


def test_dashboard_and_csv(env):
    app, sessions, _store, _seeded = env
    from pipeline.intake.inventory import import_inventory, parse_inventory
    from pipeline.phases import load_plan

    rows = parse_inventory(
        "agency,book_type,book,years,estimated_pages\n001.02.03,khai_sinh,02/1994,1994,200\n"
        "001.02.03,khai_tu,01/2010,2010,80\n"
    )
    import_inventory(sessions, load_plan(), rows)
    c = login(app, "manager1")
    html = c.get("/dashboard").text
    assert "Giai đoạn 5" in html and "<svg" in html and "Năng suất cán bộ" in html
    assert "ngày " in html and "tháng " in html
    csv_text = c.get("/dashboard.csv?phase=phase-5").content.decode("utf-8-sig")
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("Giai đoạn,Cơ quan") and len(lines) == 2
    assert ",200,1,1,0,0,2,0,2,3," in lines[1]


def test_a_handwritten_field_says_so_and_offers_the_other_reading_first(env):
    app, sessions, _store, seeded = env
    with sessions.begin() as s:
        f = s.scalars(
            select(FieldRow).where(FieldRow.record_id == seeded.record_a, FieldRow.needs_review)
        ).first()
        f.handwritten, f.alternatives, name = True, ["Lê Văn Tám"], f.name
    html = login(app, "clerk1").get(f"/records/{seeded.record_a}").text
    block = html[html.index(f'data-name="{name}"') :]
    block = (
        block[: block.index('<div class="field', 10)]
        if '<div class="field' in block[10:]
        else block
    )
    assert "viết tay" in block
    assert re.search(r'class="sug"[^>]*data-value="Lê Văn Tám"[^>]*>1\. ', block)


def test_a_value_read_on_another_page_of_the_document_is_cropped_from_that_page(env):
    from pipeline.db.models import Page

    app, sessions, store, seeded = env
    with sessions.begin() as s:
        first = s.get_one(Page, seeded.page_id)
        signer = Page(
            batch_id=first.batch_id,
            seq=2,
            source_name="p2.png",
            source_sha256="1" * 64,
            phase="phase-5",
            status="processed",
            preview_key="phase-5/x/previews/p00002.png",
            preview_scale=0.25,
            document_page_id=first.id,
        )
        s.add(signer)
        s.flush()
        f = s.scalars(
            select(FieldRow).where(FieldRow.record_id == seeded.record_a, FieldRow.name == "so")
        ).one()
        f.page_id, page2 = signer.id, signer.id
    store.put_bytes("phase-5/x/previews/p00002.png", b"png", content_type="image/png")
    c = login(app, "clerk1")
    html = c.get(f"/records/{seeded.record_a}").text
    block = html[html.index('data-name="so"') :]
    block = block[: block.index('<div class="field', 10)]
    assert f'data-src="/pages/{page2}/preview"' in block
    assert 'data-bbox="75.0,50.0,30.0,15.0"' in block  # (300, 200, 120, 60) at that page's 0.25
    assert "ở trang 2" in block
    assert 'id="box-so"' not in html  # no box on the record's own page for it
    assert c.get(f"/pages/{page2}/preview").status_code == 200


def test_the_export_button_is_for_managers_and_refuses_what_it_cannot_build(env):
    app, _sessions, _store, _seeded = env
    clerk = login(app, "clerk1")
    token = csrf_of(clerk.get("/review").text)
    r = clerk.post("/books/export", data={"book": "x", "fmt": "hotich", "csrf_token": token})
    assert r.status_code == 403
    manager = login(app, "manager1")
    token = csrf_of(manager.get("/dashboard").text)
    assert manager.post("/books/export", data={"book": "x", "fmt": "hotich"}).status_code == 403
    bad = manager.post("/books/export", data={"book": "x", "fmt": "ead", "csrf_token": token})
    assert bad.status_code == 400
    started = manager.post(
        "/books/export", data={"book": "x", "fmt": "hotich", "csrf_token": token}
    )
    assert started.status_code == 303
    job = started.headers["location"]
    for _ in range(100):  # the unknown book fails in the background, with its reason
        page = manager.get(job).text
        if "Không xuất được" in page:
            break
        time.sleep(0.05)
    assert "Không xuất được" in page and "quyển" in page
    assert manager.get(job + "/files/a.xlsx").status_code == 404
    assert manager.get("/exports/khong-co").status_code == 404


def test_zoom_buttons_have_drawn_icons_and_names_and_logout_is_readable(env):
    app, _sessions, _store, seeded = env
    html = login(app, "clerk1").get(f"/records/{seeded.record_a}").text
    for name in ("Phóng to", "Thu nhỏ", "Vừa khung"):
        assert f'aria-label="{name}"' in html
    assert "＋" not in html and "－" not in html  # glyphs Debian's fonts lack
    assert html.count("<svg") >= 2
    css = client(app).get("/static/app.css").text
    assert ".logout button { color: #123a5e" in css and "focus-visible" in css


@pytest.mark.parametrize(
    ("days", "said"), [(12, "12 ngày"), (95, "3 tháng"), (4725, "12 năm 11 tháng"), (365, "1 năm")]
)
def test_spans_of_time_are_said_in_days_months_and_years(days, said):
    from review_ui.render import span_vi

    assert span_vi(days) == said


def test_an_overdue_phase_says_so_in_years_and_months(env):
    app, *_ = env
    html = login(app, "manager1").get("/dashboard").text
    # the sample plan's phase 1 deadline passed years ago and nothing of it is done
    assert "quá hạn" in html and "năm" in html.split("quá hạn", 1)[1][:40]
    assert "trễ 4" not in html and "chưa đủ số liệu" not in html


@pytest.mark.parametrize(
    ("peak", "marks"),
    [(5, [0, 1, 2, 3, 4, 5]), (7, [0, 2, 4, 6, 8]), (48, [0, 10, 20, 30, 40, 50])],
)
def test_chart_ticks_are_whole_and_evenly_spaced(peak, marks):
    from review_ui.charts import throughput_svg, ticks

    assert ticks(peak) == marks
    from datetime import date

    svg = throughput_svg([(date(2026, 12, 1), peak, 1)])
    labels = re.findall(r'class="tick" text-anchor="end">(\d+)<', svg)
    assert labels == [str(m) for m in marks]


def test_a_skipped_record_does_not_come_straight_back(env):
    app, sessions, _store, seeded = env
    c = login(app, "clerk1")
    token = csrf_of(c.get(f"/records/{seeded.record_a}").text)
    r = c.post(f"/records/{seeded.record_a}/release", data={"csrf_token": token})
    assert r.status_code == 303 and r.headers["location"] == "/review/next"
    nxt = c.get("/review/next")
    assert nxt.headers["location"] == f"/records/{seeded.record_b}"  # not the skipped one
    # remembered for this clerk (an audit event), not for another
    other = login(app, "admin1").get("/review/next")
    assert other.headers["location"] == f"/records/{seeded.record_a}"
    with sessions() as s:
        events = s.scalars(select(ReviewEvent).where(ReviewEvent.action == "skip")).all()
        assert [(e.record_id, e.user_id) for e in events] == [
            (seeded.record_a, seeded.users["clerk"])
        ]


def test_ctrl_s_does_not_approve_a_flagged_field_nobody_looked_at(env):
    app, sessions, _store, seeded = env
    c = login(app, "clerk1")
    token = csrf_of(c.get(f"/records/{seeded.record_b}").text)
    url = f"/records/{seeded.record_b}/approve"
    r = c.post(url, data={"csrf_token": token, "f_ho_ten": "Trần Thị Bình", "seen": ""})
    assert r.status_code == 422 and "chưa được xem" in r.text
    assert "Còn trường cần duyệt chưa xem: Họ, chữ đệm, tên" in r.text
    # confirmed with Alt+A: approved, and the confirmation is an audit event of its own
    form = {"csrf_token": token, "f_ho_ten": "Trần Thị Bình", "accepted": "ho_ten"}
    assert c.post(url, data=form).status_code == 303
    with sessions() as s:
        events = s.scalars(select(ReviewEvent).where(ReviewEvent.record_id == seeded.record_b))
        got = [(e.action, e.field_name, e.new_value) for e in events]
    assert ("confirm", "ho_ten", "Trần Thị Bình") in got and ("approve", None, None) in got


def test_completion_is_for_reviewers_and_refuses_bad_requests(env):
    app, *_ = env
    assert client(app).get("/complete/name?q=nguyen").status_code in (303, 401, 403)
    c = login(app, "clerk1")
    assert c.get("/complete/name?q=nguyen%20van%20an").json()[0] == "Nguyễn Văn An"
    assert c.get("/complete/place?q=quynh%20hung&year=1994").json()
    assert c.get("/complete/password?q=x").status_code in (404, 422)  # only the four kinds
    assert c.get("/complete/name?q=" + "a" * 201).status_code in (400, 422)
    assert c.get("/complete/place?q=abc&year=1700").status_code in (400, 422)
