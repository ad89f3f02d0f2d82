"""Web UI security holes of issue 15 (items 8–12, 14–16), each against a real uvicorn server.

Real SQLite (migrated), in-memory object store, uvicorn on 127.0.0.1 started the way
``sohoa serve`` starts it (no proxy headers of its own), driven with httpx and raw sockets.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import ipaddress
import itertools
import os
import re
import socket
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import select, update

from bench.browser import serving
from pipeline.db.models import InventoryBook, RecordLock, RecordRow, User
from review_ui.app import create_app
from review_ui.security import WebConfig
from tests.fakes import MemoryStore
from tests.ui_fixtures import PASSWORD, Seeded, make_config, make_sessions, seed

uvicorn = pytest.importorskip("uvicorn")

pytestmark = pytest.mark.timeout(300)

HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options")
HUGE = "9999999999999999999999"


@dataclass
class Site:
    """A running server and what it was seeded with."""

    base: str
    app: object
    sessions: object
    store: MemoryStore
    seeded: Seeded


@pytest.fixture
def make_site(tmp_path) -> Iterator:  # type: ignore[type-arg]
    """Start a server; keyword arguments change its :class:`WebConfig`."""
    running, count = ExitStack(), itertools.count()

    def start(**changes: object) -> Site:
        folder = tmp_path / f"site{next(count)}"
        folder.mkdir()
        sessions = make_sessions(folder)
        store = MemoryStore()
        seeded = seed(sessions, store)
        cfg: WebConfig = dataclasses.replace(make_config(sessions, store), **changes)
        app = create_app(cfg, warm_up=False)
        base = running.enter_context(serving(app, proxy_headers=False))
        return Site(base, app, sessions, store, seeded)

    with running:
        yield start


@pytest.fixture
def site(make_site) -> Site:  # type: ignore[no-untyped-def]
    return make_site()


def client(site: Site) -> httpx.Client:
    return httpx.Client(base_url=site.base, follow_redirects=False, timeout=30)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def try_login(c: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    token = csrf_of(c.get("/login").text)
    data = {"username": username, "password": password, "csrf_token": token}
    return c.post("/login", data=data, headers=headers)


def login(site: Site, username: str) -> tuple[httpx.Client, str]:
    """A signed-in client and the CSRF token of its session."""
    c = client(site)
    r = try_login(c, username, PASSWORD)
    assert r.status_code == 303, r.text
    return c, csrf_of(c.get("/").text)


def assert_security_headers(r: httpx.Response) -> None:
    for h in HEADERS:
        assert h in r.headers, (r.status_code, h)
    assert r.headers["cache-control"] == "no-store"


# --- 8. request bodies are capped before anything parses them ------------------------------


def test_a_huge_logout_form_is_refused_by_its_length_before_parsing(site):
    body = "&".join(f"f{i}=" + "x" * 1000 for i in range(900))  # ~900 kB, no session
    c = client(site)
    r = c.post(
        "/logout", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert r.status_code == 413
    assert "quá lớn" in r.text
    assert_security_headers(r)


def _read_head(sock: socket.socket) -> bytes:
    reply = b""
    while b"\r\n\r\n" not in reply:
        part = sock.recv(65536)
        if not part:
            break
        reply += part
    return reply


def test_a_declared_huge_body_is_answered_before_it_is_sent(site):
    host, port = urlsplit(site.base).hostname, urlsplit(site.base).port
    head = (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nContent-Length: 921600\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=15) as sock:
        sock.sendall(head)  # not one byte of the body: nothing is buffered
        assert _read_head(sock).startswith(b"HTTP/1.1 413")


def test_a_chunked_body_is_counted_as_it_streams_and_refused_early(site):
    host, port = urlsplit(site.base).hostname, urlsplit(site.base).port
    head = (
        b"POST /logout HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    )
    chunk = b"a=" + b"b" * 4094
    with socket.create_connection((host, port), timeout=15) as sock:
        sock.sendall(head)
        try:
            for _ in range(16):  # 64 kB, four times the limit, and the body never ends
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass  # the server may close as soon as it has answered
        reply = _read_head(sock)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]


def test_approvals_are_capped_at_256_kb_and_normal_ones_pass(site):
    c, token = login(site, "clerk1")
    url = f"/records/{site.seeded.record_b}/approve"
    big = {"csrf_token": token, "note": "x" * (300 * 1024)}
    assert c.post(url, data=big).status_code == 413
    with site.sessions() as s:
        assert s.get(RecordRow, site.seeded.record_b).status == "needs_review"
    ok = c.post(url, data={"csrf_token": token, "f_ho_ten": "Bình", "accepted": "ho_ten"})
    assert ok.status_code == 303


def test_too_many_form_fields_are_refused(site):
    c, token = login(site, "clerk1")
    r = c.post("/logout", data={"csrf_token": token, "k": ["v"] * 50})
    assert r.status_code == 400 and "không hợp lệ" in r.text
    assert c.get("/").status_code == 200  # still signed in: nothing was done


# --- 9. login throttle: per account and client, progressive, bounded ----------------------


def test_wrong_passwords_of_one_user_do_not_lock_others_behind_the_same_address(site):
    bad = client(site)
    codes = [try_login(bad, "admin1", "sai-mat-khau").status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    r = try_login(client(site), "clerk1", PASSWORD)  # a colleague behind the same address
    assert r.status_code == 303


def test_an_account_guessed_from_one_address_opens_from_another(make_site):
    site = make_site(trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    attacker, owner = client(site), client(site)
    a = {"x-forwarded-for": "203.0.113.7"}
    codes = [try_login(attacker, "admin1", "doan-bua", **a).status_code for _ in range(8)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}
    assert (
        try_login(owner, "admin1", PASSWORD, **{"x-forwarded-for": "198.51.100.2"}).status_code
        == 303
    )
    # a header from a client that is not a trusted proxy is ignored: spoofing gains nothing
    plain = make_site()
    spoof = client(plain)
    codes = [
        try_login(spoof, "admin1", "doan", **{"x-forwarded-for": f"10.0.0.{i}"}).status_code
        for i in range(6)
    ]
    assert codes[5] == 429


def test_the_throttle_backs_off_progressively_and_never_locks_for_good():
    from review_ui.security import LoginThrottle

    now = [1000.0]
    t = LoginThrottle(clock=lambda: now[0])
    waits = []
    for _ in range(14):
        t.failed("admin1", "203.0.113.7")
        waits.append(t.blocked_for("admin1", "203.0.113.7"))
    assert waits[:4] == [0.0] * 4
    assert waits[4:9] == [2.0, 4.0, 8.0, 16.0, 32.0]  # doubling…
    assert max(waits) == 600.0  # …up to a cap
    now[0] += 601
    assert t.blocked_for("admin1", "203.0.113.7") == 0.0  # then it may be tried again
    # guessing one account from a thousand addresses slows its owner by seconds at most
    for i in range(1000):
        t.failed("clerk1", f"10.0.{i // 250}.{i % 250}")
    assert 0 < t.blocked_for("clerk1", "198.51.100.2") <= 30.0


def test_throttle_names_are_normalised_and_the_table_is_bounded():
    from review_ui.security import LoginThrottle, account_key

    nfd = unicodedata.normalize("NFD", " NGUYỄN.Văn ")
    assert account_key(nfd) == account_key("nguyễn.văn") == "nguyễn.văn"
    now = [0.0]
    t = LoginThrottle(clock=lambda: now[0], max_entries=1000, forget=3600)
    for spelling in ("nguyễn.văn", nfd, "Nguyễn.Văn", "NGUYỄN.VĂN ", nfd.upper()):
        t.failed(spelling, "203.0.113.7")
    assert t.blocked_for("nguyễn.văn", "203.0.113.7") > 0  # one key, however it is typed
    for i in range(3000):
        t.failed(f"ten-{i}", "203.0.113.7")
    assert len(t) <= 1000
    now[0] += 3601
    t.failed("khac", "203.0.113.8")
    assert len(t) == 3  # forgotten entries are dropped (left: pair, account, address)


# --- 10. what the page shows as read-only is read-only on the server ----------------------


def test_an_auto_accepted_record_cannot_be_approved_by_post(site):
    rid = site.seeded.record_b
    with site.sessions.begin() as s:
        s.execute(update(RecordRow).where(RecordRow.id == rid).values(status="auto_accepted"))
    c, token = login(site, "clerk1")
    page = c.get(f"/records/{rid}").text
    assert "chỉ xem" in page and "disabled" in page and 'id="approve"' not in page
    r = c.post(
        f"/records/{rid}/approve",
        data={"csrf_token": token, "f_ho_ten": "Bình", "accepted": "ho_ten"},
    )
    assert r.status_code == 409 and "tự chấp nhận" in r.text
    lock = c.post(f"/records/{rid}/lock", headers={"X-CSRF-Token": token})
    assert lock.status_code == 409
    with site.sessions() as s:
        rec = s.get(RecordRow, rid)
        assert (rec.status, rec.version) == ("auto_accepted", 1)
        assert s.get(RecordLock, rid) is None
    assert not any(".v2." in k for k in site.store.objects)


# --- 11. CSV cells never run as formulas --------------------------------------------------

NASTY = ["=cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-2+3", "\t=1", "\r=1"]


def test_the_dashboard_csv_neutralises_formulas(site):
    with site.sessions.begin() as s:
        for i, name in enumerate(NASTY):
            s.add(
                InventoryBook(
                    agency=name,
                    book_type="khai_sinh",
                    book=NASTY[-1 - i],
                    year_from=1994,
                    year_to=1994,
                    estimated_pages=7,
                    phase="phase-5",
                )
            )
    c, _ = login(site, "manager1")
    r = c.get("/dashboard.csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert not [x for x in cells if x[:1] in ("=", "+", "-", "@", "\t", "\r")]
    agencies = {row[1] for row in rows[1:]}
    assert {"'" + n for n in NASTY} <= agencies
    assert any(row[4] == "7" for row in rows[1:])  # numbers stay numbers


def test_the_csv_helper_follows_owasp():
    from pipeline.archive.csvsafe import safe_cell, write_rows

    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@x") == "'@x"
    assert safe_cell("Hà Nội") == "Hà Nội" and safe_cell(-3) == -3 and safe_cell(None) == ""
    text = write_rows([["-1", 5]], bom=False)
    assert text == "'-1,5\r\n"


def test_every_csv_the_product_writes_goes_through_the_helper():
    root = Path(__file__).resolve().parents[1]
    writers = [
        str(p.relative_to(root))
        for pkg in ("pipeline", "review_ui", "flows", "ocr", "scanners", "schemas")
        for p in (root / pkg).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8"))
    ]
    assert writers == ["pipeline/archive/csvsafe.py"]


# --- 12. the CSV's file name cannot inject headers ----------------------------------------


@pytest.mark.parametrize(
    "phase", ['x"; filename="payroll.exe', "giai-đoạn-5", "phase-5\r\nSet-Cookie: a=b", "../x"]
)
def test_an_unknown_phase_is_refused_not_echoed(site, phase):
    c, _ = login(site, "manager1")
    r = c.get("/dashboard.csv", params={"phase": phase})
    assert r.status_code == 400 and "giai đoạn" in r.text
    assert "content-disposition" not in r.headers
    assert_security_headers(r)


def test_the_csv_file_name_is_quoted_safely(site):
    c, _ = login(site, "manager1")
    r = c.get("/dashboard.csv", params={"phase": "phase-5"})
    cd = r.headers["content-disposition"]
    assert re.fullmatch(
        r"attachment; filename=\"tien-do-phase-5-\d{8}\.csv\"; "
        r"filename\*=UTF-8''tien-do-phase-5-\d{8}\.csv",
        cd,
    ), cd
    from review_ui.routes_manage import attachment

    value = attachment('tiến độ "đợt 1";x.csv')
    assert value.startswith('attachment; filename="tien_do_dot_1_x.csv"; filename*=UTF-8')
    assert value.count('"') == 2 and value.isascii()


# --- 14. out-of-range ids are 404, and every response carries the headers ------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/records/{HUGE}"),
        ("POST", f"/records/{HUGE}/approve"),
        ("POST", f"/records/{HUGE}/lock"),
        ("POST", f"/records/{HUGE}/release"),
        ("GET", f"/pages/{HUGE}/preview"),
        ("GET", "/records/0"),
        ("GET", "/pages/-1/preview"),
        ("GET", "/khong-co-trang-nay"),
    ],
)
def test_out_of_range_ids_are_not_found(site, method, path):
    c, token = login(site, "admin1")
    r = c.request(method, path, headers={"X-CSRF-Token": token})
    assert r.status_code == 404, r.text
    assert "Không có" in r.text
    assert_security_headers(r)


def test_an_admin_route_with_a_huge_id_is_not_found(site):
    c, token = login(site, "admin1")
    r = c.post(f"/admin/users/{HUGE}/active", data={"csrf_token": token, "active": "false"})
    assert r.status_code == 404
    assert_security_headers(r)


def test_a_server_error_page_has_the_security_headers(site, monkeypatch):
    import review_ui.routes_review as routes

    def boom(*_a, **_k):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(routes, "load_record", boom)
    c, _ = login(site, "clerk1")
    r = c.get(f"/records/{site.seeded.record_a}")
    assert r.status_code == 500
    assert "Máy chủ gặp lỗi" in r.text and "simulated" not in r.text
    assert_security_headers(r)


# --- 15. Secure cookies outside development; previews are not cached -----------------------


def test_outside_development_the_session_cookie_is_secure_by_default(make_site, monkeypatch):
    from flows.cli_web import web_config
    from pipeline.config import Settings
    from pipeline.phases import load_plan

    for var in [k for k in os.environ if k.startswith("SOHOA_")]:
        monkeypatch.delenv(var)
    monkeypatch.setenv("SOHOA_SECRET_KEY", "s" * 48)
    assert Settings().session_cookie_secure is False  # development: plain http works
    monkeypatch.setenv("SOHOA_ENV", "production")
    prod = Settings()
    assert prod.session_cookie_secure is True
    monkeypatch.setenv("SOHOA_COOKIE_SECURE", "false")  # still possible to turn off
    assert Settings().session_cookie_secure is False
    monkeypatch.setenv("SOHOA_TRUSTED_PROXIES", "10.0.0.0/8, ::1")
    cfg = web_config(Settings(), None, None, load_plan())  # type: ignore[arg-type]
    assert len(cfg.trusted_proxies) == 2
    secure = web_config(prod, None, None, load_plan()).cookie_secure  # type: ignore[arg-type]
    site = make_site(cookie_secure=secure)
    c = client(site)
    form = c.get("/login")
    login_cookie = form.headers["set-cookie"]
    assert "Secure" in login_cookie
    c.cookies.clear()  # a client over plain http would not send a Secure cookie back: do it here
    data = {"username": "clerk1", "password": PASSWORD, "csrf_token": csrf_of(form.text)}
    cookie = login_cookie.split(";")[0]
    r = c.post("/login", data=data, headers={"cookie": cookie})
    assert r.status_code == 303
    session_cookie = next(v for v in r.headers.get_list("set-cookie") if "sohoa_session=" in v)
    assert "Secure" in session_cookie


def test_page_previews_are_never_cached(site):
    c, _ = login(site, "clerk1")
    r = c.get(f"/pages/{site.seeded.page_id}/preview")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["cache-control"] == "no-store"


# --- 16. user names are letters, digits and . _ - only ------------------------------------


def test_markup_is_refused_as_a_user_name_on_the_web(site):
    c, token = login(site, "admin1")
    data = {"csrf_token": token, "role": "clerk", "password": "mat-khau-rat-dai"}
    r = c.post("/admin/users", data={**data, "username": "<script>alert(1)</script>"})
    assert r.status_code == 400 and "Tên đăng nhập không hợp lệ" in r.text
    ok = c.post("/admin/users", data={**data, "username": "Nguyễn.Văn-An_2"})
    assert ok.status_code == 303
    with site.sessions() as s:
        names = set(s.scalars(select(User.username)))
    assert "Nguyễn.Văn-An_2" in names and not any("<" in n for n in names)


def test_the_account_rule_itself(tmp_path):
    from pipeline.review.accounts import AccountError, add_user

    sessions = make_sessions(tmp_path)
    for bad in ("<script>alert(1)</script>", "a", "x" * 65, "có dấu cách", "tab\there", "ab\u200b"):
        with pytest.raises(AccountError, match="không hợp lệ"):
            add_user(sessions, bad, "clerk", "mat-khau-rat-dai")
    uid = add_user(
        sessions, unicodedata.normalize("NFD", "Trần.Thị_Bình"), "clerk", "mat-khau-dai1"
    )
    with sessions() as s:
        assert s.get(User, uid).username == "Trần.Thị_Bình"  # stored in NFC


def test_markup_is_refused_as_a_user_name_by_the_cli(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_HOME=str(tmp_path / "home"), SOHOA_DATABASE_URL=f"sqlite:///{tmp_path}/c.db")
    root = Path(__file__).resolve().parents[1]  # the code of this tree, not an installed one

    def add(name: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "flows.cli", "users", "add", name, "--role", "clerk"]
            + ["--password-stdin"],
            input="mat-khau-rat-dai\n",
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            timeout=180,
            check=False,
        )

    bad = add("<script>alert(1)</script>")
    assert bad.returncode == 2 and "Tên đăng nhập không hợp lệ" in bad.stderr
    good = add("nguyễn.an")
    assert good.returncode == 0, good.stderr


# --- review: parallel guesses, password spraying, mapped proxies, body caps ----------------


def _burst(site: Site, username: str, count: int) -> list[int]:
    """``count`` wrong-password logins sent at once, each from its own client."""
    clients = [client(site) for _ in range(count)]
    tokens = [csrf_of(c.get("/login").text) for c in clients]
    start = threading.Barrier(count)
    codes: list[int] = []

    def attempt(c: httpx.Client, token: str) -> None:
        data = {"username": username, "password": "doan-song-song", "csrf_token": token}
        start.wait()
        codes.append(c.post("/login", data=data).status_code)

    threads = [
        threading.Thread(target=attempt, args=pair) for pair in zip(clients, tokens, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return codes


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_one_by_one(site):
    codes = _burst(site, "admin1", 40)
    assert len(codes) == 40 and set(codes) <= {401, 429}
    assert codes.count(401) <= 5  # the free tries of one (account, address), not one per thread
    assert try_login(client(site), "clerk1", PASSWORD).status_code == 303  # colleagues still in


def test_spraying_many_accounts_from_one_address_is_slowed(site):
    c = client(site)
    codes = [try_login(c, f"nguoi-{i}", "Matkhau123").status_code for i in range(24)]
    first = codes.index(429)
    assert codes[:first] == [401] * first and 5 < first <= 21
    r = try_login(client(site), "clerk1", PASSWORD)  # the same address waits, mildly
    assert r.status_code == 429 and int(r.headers["retry-after"]) <= 31


def test_a_good_login_does_not_count_against_its_address():
    from review_ui.security import LoginThrottle

    t = LoginThrottle(clock=lambda: 0.0)
    for _ in range(50):  # a whole office behind one address signs in
        assert t.reserve("clerk1", "203.0.113.7") == 0.0
        t.succeeded("clerk1", "203.0.113.7")
    assert t.reserve("admin1", "203.0.113.7") == 0.0
    for i in range(30):
        t.reserve(f"ten-{i}", "198.51.100.2")  # thirty names guessed from one address
    assert 0 < t.reserve("clerk1", "198.51.100.2") <= 30.0
    assert t.reserve("clerk1", "203.0.113.7") == 0.0  # another address is not slowed


def _request(peer: str, forwarded: str, proxies: str):  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from starlette.requests import Request

    from review_ui.security import parse_proxies

    cfg = WebConfig(None, None, None, "s", trusted_proxies=parse_proxies(proxies))  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "client": (peer, 4000),
        "headers": [(b"x-forwarded-for", forwarded.encode())],
        "app": SimpleNamespace(state=SimpleNamespace(web=cfg)),
    }
    return Request(scope)


def test_an_ipv4_mapped_peer_is_matched_against_ipv4_proxy_networks():
    from review_ui.security import client_address

    assert client_address(_request("::ffff:10.0.0.1", "203.0.113.7", "10.0.0.0/8")) == (
        "203.0.113.7"
    )
    # a mapped hop is the same client as its IPv4 spelling (one throttle key)
    mapped_hop = _request("10.0.0.1", "::ffff:203.0.113.7, ::ffff:10.0.0.2", "10.0.0.0/8")
    assert client_address(mapped_hop) == "203.0.113.7"
    assert client_address(_request("::ffff:192.0.2.1", "203.0.113.7", "10.0.0.0/8")) == (
        "192.0.2.1"
    )


def _call_asgi(middleware_app, scope: dict, body: bytes = b"") -> tuple[list[dict], bool]:  # type: ignore[no-untyped-def]
    """Run an ASGI layer around a recording app; its messages and whether the app ran."""
    import asyncio

    from review_ui.limits import BodyLimit

    sent: list[dict] = []
    ran = [False]

    async def inner(scope, receive, send):  # type: ignore[no-untyped-def]
        ran[0] = True
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    layer = middleware_app(inner) if middleware_app else BodyLimit(inner)
    asyncio.run(layer({"type": "http", "method": "POST", "headers": [], **scope}, receive, send))
    return sent, ran[0]


@pytest.mark.parametrize("declared", [b"\xb2", b"12\xb3", b"\xb9", b"-1", b"abc"])
def test_a_content_length_of_non_ascii_digits_is_refused_not_a_crash(declared):
    headers = [(b"content-length", declared)]  # b"\xb2" is "²" in latin-1: isdigit() says yes
    sent, ran = _call_asgi(None, {"path": "/logout", "headers": headers})
    assert not ran and sent[0]["status"] == 413


def test_the_login_cap_holds_under_a_root_path():
    from review_ui.limits import body_policy, route_path

    assert route_path({"path": "/sohoa/login", "root_path": "/sohoa"}) == "/login"
    assert route_path({"path": "/login", "root_path": "/sohoa"}) == "/login"
    assert route_path({"path": "/sohoa-x/login", "root_path": "/sohoa"}) == "/sohoa-x/login"
    assert body_policy("/login").max_bytes == 16 * 1024
    big = [(b"content-length", b"20000")]
    scope = {"path": "/sohoa/login", "root_path": "/sohoa", "headers": big}
    sent, ran = _call_asgi(None, scope, b"x" * 20000)
    assert not ran and sent[0]["status"] == 413
    sent, ran = _call_asgi(None, {**scope, "headers": []}, b"x" * 20000)  # streamed, no length
    assert sent[0]["status"] == 413
    small = {"path": "/sohoa/records/1/approve", "root_path": "/sohoa", "headers": big}
    sent, ran = _call_asgi(None, small, b"x" * 20000)
    assert ran and sent[0]["status"] == 200


def test_approve_page_may_send_every_cell_of_a_full_register_page() -> None:
    # 25 entries × 24 fields with their seen/accepted marks: far over the default 300 fields
    from review_ui.limits import DEFAULT_POLICY, GRID_POLICY, body_policy

    assert body_policy("/pages/17/grid") == GRID_POLICY
    assert GRID_POLICY.max_fields >= 25 * 24 * 3
    assert body_policy("/pages/17/grid/lock") == DEFAULT_POLICY
    assert body_policy("/records/3/approve") == DEFAULT_POLICY
