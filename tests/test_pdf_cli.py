"""``sohoa pdf`` through the CLI: a batch ingested for real, PDFs stored in real S3."""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
import unicodedata
from pathlib import Path

import pikepdf
import pytest

from flows.local_s3 import ensure_local_s3, stop_local_s3
from pipeline.archive.storage import MinioStore
from tests.test_e2e import SAMPLES, sohoa

pytestmark = [pytest.mark.e2e, pytest.mark.tesseract, pytest.mark.s3]

BOOK = "phase-2/001.02.03/khai_sinh/01-2018"


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    folder = tmp_path_factory.mktemp("book")
    shutil.copy2(SAMPLES / "ks_2018_01.png", folder / "ks_2018_01.png")
    env = {"PREFECT_HOME": str(tmp_path_factory.mktemp("prefect")), "OMP_THREAD_LIMIT": "1"}
    args = ("--book-type", "khai_sinh", "--agency", "001.02.03", "--book", "01/2018")
    done = sohoa(home, "ingest", str(folder), *args, "--years", "2018", env=env)
    assert done.returncode == 0, done.stderr
    yield home
    stop_local_s3(home)


def test_pdf_command_stores_page_and_book_pdfs(home: Path, tmp_path: Path) -> None:
    (batch_id,) = sqlite3.connect(home / "sohoa.db").execute("select id from batches").fetchone()
    out = tmp_path / "quyen.pdf"
    done = sohoa(home, "pdf", str(batch_id), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "book.pdf" in done.stdout

    ep = ensure_local_s3(home)
    store = MinioStore(
        endpoint=ep.endpoint, access_key=ep.access_key, secret_key=ep.secret_key, bucket="sohoa"
    )
    page = store.get_bytes(f"{BOOK}/pdf/p00001.pdf")  # verifies the stored SHA-256
    book = store.get_bytes(f"{BOOK}/pdf/book.pdf")
    assert out.read_bytes() == book
    assert store.stat(f"{BOOK}/pdf/book.pdf").sha256 == hashlib.sha256(book).hexdigest()
    for data in (page, book):
        assert re.match(rb"%PDF-1\.[4-9]", data)
    with pikepdf.open(out) as pdf:
        assert len(pdf.pages) == 1
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout
    assert "KHAI SINH" in unicodedata.normalize("NFC", text.decode("utf-8"))


def test_pdf_command_unknown_batch(home: Path) -> None:
    done = sohoa(home, "pdf", "999")
    assert done.returncode != 0
    assert "Không có lô 999" in done.stderr
