"""File reading: formats by content, pages of PDFs and TIFFs, clear reasons for bad input."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from pipeline.errors import BadInputError
from pipeline.imaging.io import image_dpi, list_page_files, load_page, read_source, sniff_kind


def _page(color: str = "L", size=(400, 300)) -> Image.Image:
    im = Image.new(color, size, "white")
    im.paste(0 if color == "L" else (0, 0, 0), (50, 50, 350, 80))
    return im


def _save(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [("PNG", "png"), ("JPEG", "jpeg"), ("TIFF", "tiff"), ("BMP", "bmp"), ("PDF", "pdf")],
)
def test_kind_by_content_not_extension(tmp_path: Path, fmt, kind):
    path = tmp_path / "trang.dat"
    path.write_bytes(_save(_page("RGB"), fmt))
    src, data = read_source(path)
    assert src.kind == kind and src.pages == 1 and sniff_kind(data[:16]) == kind


def test_pdf_and_multipage_tiff_split_into_pages(tmp_path: Path):
    pages = [_page("RGB"), _page("RGB"), _page("RGB")]
    pdf = tmp_path / "so.pdf"
    pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=150)
    src, data = read_source(pdf)
    assert src.pages == 3
    im = load_page(data, "pdf", 2, pdf_dpi=100)
    assert image_dpi(im) == 100 and im.mode == "RGB"
    tif = tmp_path / "so.tif"
    # Pillow 13.0 cannot write multi-frame TIFFs; OpenCV can
    assert cv2.imwritemulti(str(tif), [np.asarray(p.convert("L")) for p in pages[:2]])
    src, data = read_source(tif)
    assert src.pages == 2
    assert np.asarray(load_page(data, "tiff", 1)).shape[:2] == (300, 400)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty_file"),
        (b"<html><body>404</body></html>", "not_an_image"),
        (b"%PDF-1.4\n garbage", "corrupt_pdf"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "corrupt_image"),
    ],
)
def test_bad_files_have_reasons(tmp_path: Path, content, reason):
    path = tmp_path / "x.jpg"
    path.write_bytes(content)
    with pytest.raises(BadInputError) as exc:
        read_source(path)
    assert exc.value.reason == reason and exc.value.message_vi


def test_truncated_jpeg_fails_when_decoded(tmp_path: Path):
    data = _save(_page("RGB", (1200, 900)), "JPEG")
    with pytest.raises(BadInputError) as exc:
        load_page(data[: len(data) // 2], "jpeg", 0)
    assert exc.value.reason == "corrupt_image"


def test_tiny_image_refused(tmp_path: Path):
    path = tmp_path / "1x1.png"
    path.write_bytes(_save(Image.new("L", (1, 1)), "PNG"))
    with pytest.raises(BadInputError) as exc:
        read_source(path)
    assert exc.value.reason == "too_small"


def test_16bit_and_cmyk_are_converted(tmp_path: Path):
    arr = np.arange(300 * 400, dtype=np.uint16).reshape(300, 400) % 65535
    data16 = _save(Image.fromarray(arr), "TIFF")
    assert load_page(data16, "tiff", 0).mode == "L"
    cmyk = _save(_page("RGB").convert("CMYK"), "TIFF")
    assert load_page(cmyk, "tiff", 0).mode == "RGB"


def test_listing_skips_hidden_temporary_and_system_files(tmp_path: Path):
    for name in ("a.png", ".b.png", "c.tmp", "Thumbs.db", "~$d.png", "e.part", "f.jpg"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert [p.name for p in list_page_files(tmp_path)] == ["a.png", "f.jpg"]
