"""From ``sohoa demo``'s data to the packages the receiving systems take (issue 19).

``sohoa demo`` (real Tesseract, the embedded SQLite and local S3, the Prefect flow) reads the
sample register page of book 02/1999; a clerk approves its five entries in Debian's chromium
(``sohoa serve``), keying what the machine misread from the page's truth and confirming the
rest; ``sohoa export 02/1999 --format hotich`` then writes an Excel with the template's header
and one row per approved registration (equal to the approved versions) and a .zip of PDFs of
≥ 200 dpi and ≤ 150 kB a page; ``--format archive`` writes the TT 02/2019 workbook and a
package whose METS and EAD validate.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from flows.local_s3 import stop_local_s3
from pipeline.archive.hotich import book_rows, load_template
from tests.browser_fixtures import ARGS, CHROMIUM, free_port
from tests.test_e2e import ROOT, SAMPLES, _store, sohoa
from tests.test_export import XSD, _pdf_pages, _schema

playwright_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    pytest.mark.tesseract,
    pytest.mark.s3,
    pytest.mark.timeout(900),
]

PASSWORD = "mat-khau-thu-nghiem-demo"
BOOK = "02/1999"


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[tuple[Path, str, dict[str, str]]]:
    home = tmp_path_factory.mktemp("home")
    env = {"PREFECT_HOME": str(tmp_path_factory.mktemp("prefect"))}
    run = sohoa(home, "demo", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    for name, role in (("clerk1", "clerk"), ("manager1", "manager")):
        add = subprocess.run(
            [sys.executable, "-m", "flows.cli", "users", "add", name, "--role", role,
             "--password-stdin"],
            input=PASSWORD + "\n", cwd=ROOT, capture_output=True, text=True, timeout=120,
            env={**os.environ, "SOHOA_HOME": str(home)},
        )  # fmt: skip
        assert add.returncode == 0, add.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "SOHOA_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "serve did not start"
                time.sleep(0.2)
        yield home, base, env
    finally:
        server.terminate()
        server.wait(20)
        stop_local_s3(home)


def _shown(name: str, value: str) -> str:
    """A truth value as the review screen shows it (dates dd/mm/yyyy)."""
    if name.startswith("ngay_") and len(value) == 10 and value[4] == "-":
        y, m, d = value.split("-")
        return f"{d}/{m}/{y}"
    return value


def _login(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.keyboard.type(name)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def _approve_book(base: str) -> int:
    truth = json.loads((SAMPLES / "so_ks_1999_p1.truth.json").read_text(encoding="utf-8"))
    by_number = {e["so"]: e for e in truth["entries"]}
    approved = 0
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            _login(page, base, "clerk1")
            for _ in range(10):
                page.goto(f"{base}/review/next?book={BOOK}")
                if "/records/" not in page.url:
                    break  # the book's queue is empty
                entry = by_number.get(page.input_value("#f_so").strip(), {})
                flagged = page.locator("input[data-flag]")
                for i in range(flagged.count()):
                    field = flagged.nth(i)
                    name = (field.get_attribute("id") or "f_")[2:]
                    field.focus()
                    want = _shown(name, str(entry.get(name) or ""))
                    if want and field.input_value() != want:  # key what the page says
                        page.keyboard.press("Control+A")
                        page.keyboard.type(want)
                    field.focus()
                    page.keyboard.press("Alt+A")  # confirmed against the page
                with page.expect_navigation():
                    page.keyboard.press("Control+S")
                assert "/records/" not in page.url or page.locator(".error").count() == 0
                approved += 1
        finally:
            browser.close()
    return approved


def test_demo_data_approved_in_the_browser_exports_both_packages(demo, tmp_path) -> None:
    home, base, env = demo
    assert _approve_book(base) == 5

    out = tmp_path / "out"
    run = sohoa(home, "export", BOOK, "--format", "hotich", "--out", str(out), env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    (xlsx,) = out.glob("*.xlsx")
    (package,) = out.glob("*.zip")
    ws = load_workbook(xlsx)["khai_sinh"]
    header = [c.value for c in ws[1]]
    assert header == [c.name for c in load_template().books["khai_sinh"]]
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=2)]
    assert len(rows) == 5

    db = sqlite3.connect(home / "sohoa.db")
    keys = [
        k
        for (k,) in db.execute(
            "SELECT r.object_key FROM records r JOIN pages p ON p.id = r.page_id"
            " JOIN batches b ON b.id = p.batch_id WHERE b.book = ? AND r.status = 'approved'"
            " ORDER BY p.seq, r.entry_index",
            (BOOK,),
        )
    ]
    store = _store(home)
    template = load_template()
    for row, key in zip(rows, keys, strict=True):  # the exported values are the approved ones
        approved = {k: v["value"] for k, v in json.loads(store.get_bytes(key))["fields"].items()}
        assert row["so"] == approved["so"] and row["nksHoTen"] == approved["ho_ten"]
        assert row["ngayDangKy"] == _shown("ngay_dang_ky", approved["ngay_dang_ky"])
        assert row["nksNoiSinh"] == approved["noi_sinh"]
        # every column, issue 19's extra fields too, as the template maps the approved values
        (want,) = book_rows(template, "khai_sinh", [approved], {"book": BOOK}).rows
        assert list(row.values()) == want
    # the late entry's remark ("Đăng ký quá hạn") reached its column as the template's code
    assert [r["loaiDangKy"] for r in rows].count(4) >= 1
    with zipfile.ZipFile(package) as z:
        assert len(z.namelist()) == 5
        for name in z.namelist():
            for dpi, size in _pdf_pages(z.read(name)):
                assert dpi >= 199.5 and size <= 150 * 1024, (name, dpi, size)

    arch = tmp_path / "arch"
    run = sohoa(
        home, "export", BOOK, "--format", "archive", "--fonds", "H40.12", "--out", str(arch),
        env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    (workbook,) = arch.glob("*.xlsx")
    assert load_workbook(workbook)["VanBan"].max_row == 6  # the header and five documents
    (zipped,) = arch.glob("*.zip")
    import metsrw
    from lxml import etree

    mets_xsd = _schema(Path(metsrw.__file__).parent / "resources" / "mets.xsd")
    ead_xsd = _schema(XSD / "ead.xsd")
    with zipfile.ZipFile(zipped) as z:
        names = {n.split("/", 1)[1]: n for n in z.namelist()}
        assert mets_xsd.validate(etree.fromstring(z.read(names["METS.xml"])))
        assert ead_xsd.validate(etree.fromstring(z.read(names["metadata/descriptive/ead.xml"])))
        premis = etree.fromstring(z.read(names["metadata/preservation/premis.xml"]))
        assert _schema(XSD / "premis.xsd").validate(premis)
    verify = sohoa(home, "verify", env=env)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_the_manager_exports_the_book_from_the_dashboard_with_a_progress_bar(demo) -> None:
    _home, base, _env = demo
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 900})
            _login(page, base, "manager1")
            page.goto(f"{base}/dashboard")
            row = page.locator("#books tr", has_text=BOOK)
            with page.expect_navigation():
                row.locator("button.export-hotich").click()
            assert "/exports/" in page.url
            assert page.locator("#export-progress").count() == 1 or "Xong" in page.content()
            page.wait_for_selector("#export-files", timeout=240_000)  # the page refreshes itself
            links = page.locator("#export-files a")
            names = [links.nth(i).inner_text() for i in range(links.count())]
            assert any(n.endswith(".xlsx") for n in names) and any(
                n.endswith(".zip") for n in names
            )
            xlsx = next(i for i, n in enumerate(names) if n.endswith(".xlsx"))
            got = page.request.get(base + (links.nth(xlsx).get_attribute("href") or ""))
            assert got.status == 200 and got.body()[:2] == b"PK"  # an .xlsx is a zip
            ws = load_workbook(io.BytesIO(got.body()))["khai_sinh"]
            assert ws.max_row == 6  # the header and the five approved registrations
        finally:
            browser.close()
