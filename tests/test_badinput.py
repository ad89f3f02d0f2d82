"""A bad-input corpus through the batch stages: real S3, SQLite and PostgreSQL.

Each kind has a decided outcome. Files that cannot be a page fail with a reason
and a Vietnamese message; valid scans in unusual forms (16-bit or CMYK TIFF, a
PNG named ``.tif``, NFD or odd names) are processed. Every file ends as exactly
one page row (or one per PDF/TIFF page), so nothing is lost, and the batch goes on.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tempfile
import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from pipeline.archive.verify import verify_store
from pipeline.db.models import Page
from pipeline.errors import BadInputError
from pipeline.imaging.io import MAX_FILE_BYTES, read_source
from tests import s3_fixtures, storage_fixtures
from tests.test_verify import make_ctx, run_stages

s3_server = s3_fixtures.s3_server
pg_db_url = storage_fixtures.pg_db_url
db_url = storage_fixtures.db_url

pytestmark = pytest.mark.s3


def _page(mode: str = "RGB", size: tuple[int, int] = (400, 300)) -> Image.Image:
    im = Image.new("RGB", size, (245, 242, 230))
    im.paste((20, 20, 20), (30, 30, 200, 70))
    return im.convert(mode)


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _bomb_png() -> bytes:
    """A tiny PNG whose header claims 40 000 × 40 000 pixels (1.6 gigapixels)."""
    ihdr = struct.pack(">IIBBBBB", 40_000, 40_000, 1, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 5001 * 10)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _pdf(encrypted: bool = False, pages: int = 1) -> bytes:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(300, 400))
    buf = io.BytesIO()
    enc = pikepdf.Encryption(user="mat-khau", owner="chu", R=6) if encrypted else False
    pdf.save(buf, encryption=enc)
    return buf.getvalue()


def _bad_crc_png() -> bytes:
    data = bytearray(_save(_page(), "PNG"))
    at = data.index(b"IDAT") + 20
    data[at] ^= 0xFF
    return bytes(data)


def _write_sparse(path: Path) -> None:
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + (512 << 20))  # 1.5 GiB of holes, nothing on disk


NFD_NAME = unicodedata.normalize("NFD", "trang-Nguyễn-Đức.png")

#: file name -> (content or writer, expected reason; None = processed)
CORPUS: dict[str, tuple[object, str | None]] = {
    "01-rong.jpg": (b"", "empty_file"),
    "02-cat-cut.jpg": (_save(_page(size=(1200, 900)), "JPEG")[:4000], "corrupt_image"),
    "03-cat-cut.png": (_save(_page(), "PNG")[:200], "corrupt_image"),
    "04-cat-cut.tif": (_save(_page(), "TIFF")[:5000], "corrupt_image"),
    "05-hong.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage", "corrupt_pdf"),
    "06-ma-hoa.pdf": (_pdf(encrypted=True), "corrupt_pdf"),
    "07-bom.png": (_bomb_png(), "too_many_pixels"),
    "08-html.jpg": (b"<!DOCTYPE html><html><body>404</body></html>", "not_an_image"),
    "09-chu.png": ("Không phải ảnh, chỉ là chữ.".encode(), "not_an_image"),
    "10-1x1.png": (_save(Image.new("RGB", (1, 1)), "PNG"), "too_small"),
    "11-gif.gif": (_save(_page(), "GIF"), "not_an_image"),
    "12-crc-sai.png": (_bad_crc_png(), "corrupt_image"),
    "13-khong-trang.pdf": (_pdf(pages=0), "corrupt_pdf"),
    "14-thua.tif": (_write_sparse, "file_too_large"),
    "15-16bit.tif": (
        _save(
            Image.fromarray((np.arange(300 * 400) % 65535).astype(np.uint16).reshape(300, 400)),
            "TIFF",
        ),
        None,
    ),
    "16-cmyk.tif": (_save(_page().convert("CMYK"), "TIFF"), None),
    "17-png-ten-tif.tif": (_save(_page(size=(410, 300)), "PNG"), None),
    NFD_NAME: (_save(_page(size=(420, 300)), "PNG"), None),
    "18-..%2F..%2Fetc%2Fpasswd.png": (_save(_page(size=(430, 300)), "PNG"), None),
    "19-a\\..\\..\\b.png": (_save(_page(size=(440, 300)), "PNG"), None),
    "20-bmp.bmp": (_save(_page(size=(450, 300)), "BMP"), None),
    "21-tot.pdf": (_pdf(), None),
    "22-symlink.jpg": (Path("/etc/hostname"), "link_outside"),  # never opened
}


def build_corpus(folder: Path) -> Path:
    """Write every kind of the corpus into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (content, _) in CORPUS.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, Path):
            path.symlink_to(content)
        else:
            content(path)
    return folder


@pytest.mark.timeout(300)
def test_every_bad_kind_fails_with_a_reason_and_nothing_is_lost(db_url, s3_server, tmp_path):
    ctx = make_ctx(db_url, s3_server, tmp_path / "work")
    folder = build_corpus(tmp_path / "kho")
    run_stages(ctx, folder)
    with ctx.sessions() as s:
        rows = {p.source_name: p for p in s.query(Page)}
    assert set(rows) == set(CORPUS)  # one row per file: nothing skipped, nothing lost
    got = {n: (p.status, p.error_reason) for n, p in rows.items()}
    want = {
        n: ("processed", None) if reason is None else ("failed", reason)
        for n, (_, reason) in CORPUS.items()
    }
    assert got == want
    for p in rows.values():
        if p.status == "failed":
            assert p.error_message and unicodedata.is_normalized("NFC", p.error_message)
        else:
            assert p.master_key.startswith("phase-5/") and "/masters/" in p.master_key
            assert ".." not in p.master_key and "\\" not in p.master_key
    assert verify_store(ctx.sessions, ctx.store, deep=True).findings == []


def test_unreadable_file_as_a_non_root_user(request):
    """Root reads any file, so the check runs in a child that drops to ``nobody``."""
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to another user")
    folder = Path(tempfile.mkdtemp(prefix="sohoa-quyen-", dir="/tmp"))  # traversable by all
    folder.chmod(0o755)
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    path = folder / "khoa.png"
    path.write_bytes(_save(_page(), "PNG"))
    path.chmod(0o000)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: become nobody, try to read, report the reason
        code = 0
        try:
            os.setgid(65534)
            os.setuid(65534)
            try:
                read_source(path)
                reason = "read"
            except BadInputError as exc:
                reason = exc.reason
            os.write(write_end, reason.encode())
        except BaseException:  # noqa: BLE001 - the child must always exit
            code = 1
        finally:
            os._exit(code)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    reason = os.read(read_end, 100).decode()
    os.close(read_end)
    assert os.waitstatus_to_exitcode(status) == 0
    assert reason == "unreadable"
