"""Separator sheets: QR encode → render (PNG and PDF) → scan-like damage → OpenCV decode."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import segno
from pdf2image import convert_from_path
from PIL import Image, ImageFilter

from pipeline.intake.separator import decode_payload, encode_payload, find_separator, render_sheet
from schemas.models import BookMeta

ROOT = Path(__file__).resolve().parents[1]
META = BookMeta(
    book_type="ket_hon", agency="001.02.03", book="02/1994", year_from=1994, year_to=1996
)


def _scanned(sheet: Image.Image, angle: float, seed: int) -> Image.Image:
    """Print-and-scan damage: 300 dpi, turned, blurred, grey paper, noise, JPEG."""
    im = sheet.convert("RGB").resize((2480, 3508))
    im = im.rotate(angle, expand=True, fillcolor=(90, 90, 90))
    im = im.filter(ImageFilter.GaussianBlur(1.3))
    rng = np.random.default_rng(seed)
    a = np.asarray(im, dtype=np.float32) * 0.8 + 30 + rng.normal(0, 20, (im.height, im.width, 1))
    buf = io.BytesIO()
    Image.fromarray(a.clip(0, 255).astype(np.uint8)).save(buf, format="JPEG", quality=60)
    return Image.open(io.BytesIO(buf.getvalue()))


def test_payload_round_trip_and_foreign_codes():
    assert decode_payload(encode_payload(META)) == META
    assert decode_payload("https://example.org") is None
    assert decode_payload("SOHOA-SEP/1{broken") is None


def test_rendered_sheet_decodes_and_carries_plain_text():
    sheet = render_sheet(META)
    assert find_separator(sheet) == META


def test_scanned_sheet_slightly_rotated_and_noisy_decodes():
    sheet = render_sheet(META)
    for angle, seed in ((3.0, 1), (-7.5, 2)):
        assert find_separator(_scanned(sheet, angle, seed)) == META


def test_pages_without_a_sohoa_code_are_not_separators(samples):
    with Image.open(samples / "ks_2018_01.png") as page:
        assert find_separator(page) is None
    buf = io.BytesIO()
    segno.make("not a sohoa sheet").save(buf, kind="png", scale=10, border=4)
    other = Image.open(io.BytesIO(buf.getvalue()))
    canvas = Image.new("L", (1200, 1600), 255)
    canvas.paste(other.convert("L"), (300, 300))
    assert find_separator(canvas) is None


def test_cli_writes_a_printable_pdf_sheet(tmp_path):
    out = tmp_path / "sheet.pdf"
    env = {**os.environ, "SOHOA_HOME": str(tmp_path / "home")}
    args = ["separator", "--book-type", "ket_hon", "--agency", "001.02.03"]
    args += ["--book", "02/1994", "--years", "1994-1996", "--out", str(out)]
    run = subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    (page,) = convert_from_path(out, dpi=150)
    assert abs(page.width / 150 * 25.4 - 210) < 2  # A4 at 100 % scale
    assert find_separator(page) == META
