"""Searchable PDF (issue #8, Decree 30/2020 Annex I): real pages, real Tesseract, poppler."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from ocr.tesseract import TesseractEngine
from pipeline.archive import pdfout
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import packaged
from pipeline.process import process_image

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
SAMPLE = SAMPLES / "ks_2018_01.png"

pytestmark = [
    pytest.mark.tesseract,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils missing"),
]


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")


def _colour_master(turn: int = 0, skew: float = 0.0) -> bytes:
    """The sample on cream paper (a real colour scan), optionally turned, as PNG at 300 dpi."""
    gray = np.asarray(Image.open(SAMPLE).convert("L"), dtype=np.float32)
    tint = np.array([1.0, 0.95, 0.82], dtype=np.float32)
    im = Image.fromarray((gray[..., None] * tint).astype(np.uint8), mode="RGB")
    if turn:
        im = im.rotate(turn, expand=True)
    if skew:
        im = im.rotate(skew, expand=True, resample=Image.BICUBIC, fillcolor=(255, 243, 209))
    buf = io.BytesIO()
    im.save(buf, format="PNG", dpi=(300, 300))
    return buf.getvalue()


def _process(master: bytes, tmp_path: Path, stem: str):  # noqa: ANN202
    im = pdfout.master_page(master, name=stem)
    return process_image(
        im,
        stem=stem,
        workdir=tmp_path / stem,
        options=ProcessOptions(keep_intermediates=True),
        engine=TesseractEngine(),
        calibration=packaged(),
    )


def _text(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
    return unicodedata.normalize("NFC", out.stdout.decode("utf-8"))


def _bbox_words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, check=True)
    pat = re.compile(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
    )
    return [
        (unicodedata.normalize("NFC", m[5]), float(m[1]), float(m[2]), float(m[3]), float(m[4]))
        for m in pat.finditer(out.stdout.decode("utf-8"))
    ]


def _name() -> str:
    truth = json.loads((SAMPLES / "ks_2018_01.truth.json").read_text(encoding="utf-8"))
    line = next(ln for ln in truth["lines"] if ln.startswith("Họ, chữ đệm, tên:"))
    return unicodedata.normalize("NFC", line.split(":", 1)[1].strip())


def _check_page(path: Path, hocr: pdfout.Hocr) -> None:
    data = path.read_bytes()
    m = re.match(rb"%PDF-1\.(\d)", data)
    assert m and int(m[1]) >= 4, data[:12]
    text = _text(path)
    assert "KHAI SINH" in text
    surname, *_, given = _name().split()
    assert surname in text and given in text, text[:400]

    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == 1
        page = pdf.pages[0]
        width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
        height_pt = float(page.mediabox[3]) - float(page.mediabox[1])
        found = page.get_images() if hasattr(page, "get_images") else page.images
        images = list(found.values())
        assert len(images) == 1
        img = pikepdf.PdfImage(images[0])
        assert img.colorspace == "/DeviceRGB" and img.mode == "RGB"
        assert img.filters == ["/DCTDecode"]
        pil = img.as_pil_image()
    dpi = img.width / (width_pt / 72)
    assert dpi >= 200 and abs(dpi - 300) < 0.5
    assert abs(img.height / (height_pt / 72) - dpi) < 0.5  # 100 % scale both ways

    # the text layer sits on the words of the image: boxes agree with hOCR, and have ink
    k = 72 / dpi
    ink = np.asarray(pil.convert("L")) < 128
    placed: dict[str, list[tuple[float, float, float, float]]] = {}
    for text_, *box in _bbox_words(path):
        placed.setdefault(text_, []).append(tuple(box))
    unique = {t for t, boxes in placed.items() if len(boxes) == 1}
    good = [w for w in hocr.words if (w.conf or 0) >= 90 and len(w.text) >= 4 and w.text in unique]
    assert len(good) >= 20
    for w in good:
        (x0, y0, x1, y1) = placed[w.text][0]
        hx0, hy0, hx1, hy1 = (v * k for v in w.box)
        assert abs(x0 - hx0) < 2 and abs(x1 - hx1) < 2, (w, x0, x1)
        assert abs(y0 - hy0) < 2 and abs(y1 - hy1) < 2, (w, y0, y1)
        crop = ink[round(y0 / k) : round(y1 / k), round(x0 / k) : round(x1 / k)]
        assert crop.mean() > 0.05, (w, crop.mean())


def test_page_pdf_upright(tmp_path: Path) -> None:
    master = _colour_master()
    out = _process(master, tmp_path, "up")
    assert (tmp_path / "up" / "up_3_clean.png").exists()
    pdf, dpi = pdfout.master_pdf(
        master,
        out.ocr.hocr,
        orientation=out.result.orientation_deg,
        skew=out.result.skew_deg,
        name="up",
    )
    assert dpi == pytest.approx(300, abs=0.01)
    path = tmp_path / "up.pdf"
    path.write_bytes(pdf)
    _check_page(path, pdfout.parse_hocr(out.ocr.hocr))
    pytest.importorskip("ocrmypdf")
    archival = tmp_path / "up_pdfa.pdf"
    archival.write_bytes(pdfout.to_pdfa(pdf))
    with pikepdf.open(archival) as doc:
        assert doc.open_metadata().pdfa_status == "2B"
    assert "KHAI SINH" in _text(archival)


def test_page_pdf_turned_and_skewed_and_book(tmp_path: Path) -> None:
    master = _colour_master(turn=90, skew=2.0)
    out = _process(master, tmp_path, "turned")
    assert out.result.orientation_deg == 90
    assert abs(out.result.skew_deg) > 1
    pdf, _ = pdfout.master_pdf(
        master,
        out.ocr.hocr,
        orientation=out.result.orientation_deg,
        skew=out.result.skew_deg,
        name="turned",
    )
    path = tmp_path / "turned.pdf"
    path.write_bytes(pdf)
    hocr = pdfout.parse_hocr(out.ocr.hocr)
    im = pdfout.master_page(master)
    rgb = pdfout.upright_rgb(im, out.result.orientation_deg, out.result.skew_deg)
    assert hocr.size == (rgb.shape[1], rgb.shape[0])  # same geometry as the OCR copy
    _check_page(path, hocr)

    book = pdfout.merge([pdf, pdf])
    assert re.match(rb"%PDF-1\.[4-9]", book)
    with pikepdf.open(io.BytesIO(book)) as merged:
        assert len(merged.pages) == 2
    book_path = tmp_path / "book.pdf"
    book_path.write_bytes(book)
    assert _text(book_path).count("KHAI SINH") == 2


def test_parse_hocr_nested_and_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn")
    hocr = (
        "<div class='ocr_page' title='image \"x\"; bbox 0 0 100 50; ppageno 0'>"
        "<span class='ocrx_word' title='bbox 1 2 30 12; x_wconf 91'><strong>"
        f"{decomposed}</strong></span>"
        "<span class='ocrx_word' title='bbox 40 2 60 12; x_wconf 50'> </span>"
        "<span class='ocrx_word' title='bbox 70 2 90 12; x_wconf 77'>Thu&amp;</span></div>"
    )
    h = pdfout.parse_hocr(hocr)
    assert h.size == (100, 50)
    assert h.words == [
        pdfout.Word("Nguyễn", (1, 2, 30, 12), 91),
        pdfout.Word("Thu&", (70, 2, 90, 12), 77),
    ]
    assert unicodedata.is_normalized("NFC", h.words[0].text)


def test_missing_font_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline.errors import MissingToolError

    monkeypatch.setattr(pdfout, "FONT_PATH", tmp_path / "none.ttf")
    rgb = np.full((100, 80, 3), 255, np.uint8)
    with pytest.raises(MissingToolError, match="fonts-dejavu-core"):
        pdfout.page_pdf(rgb, pdfout.Hocr([], None), 300)
