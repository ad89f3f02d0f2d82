"""Searchable PDF of a page and of a book: the colour master with our OCR as invisible text.

Decree 30/2020/NĐ-CP, Annex I asks for PDF (version 1.4 or later), colour, at least
200 dpi, 100 % scale. Each page here is:

* the colour master, turned upright and deskewed with the same geometry as the OCR copy
  (:func:`pipeline.imaging.ocr_copy.make_ocr_copy`: ``turn_upright`` then ``rotate_fill(-skew)``,
  expanding canvas, white fill), so hOCR word boxes fall on the words; embedded as a
  full-resolution JPEG (DCT, quality 90, RGB);
* a page of ``pixels / dpi * 72`` points, so the image is at 100 % scale at its dpi
  (the master's declared dpi, else 300);
* each hOCR word as invisible text (render mode 3) in DejaVu Sans (Vietnamese glyphs),
  sized from the word box height and stretched horizontally to the box width.

fpdf2 writes the pages and pikepdf sets the header to at least PDF 1.4 and concatenates
pages into a book. PDF/A-2b is **not** produced: the ghostscript route (OCRmyPDF) is a
bench-only dependency, not part of the runtime.

Every function here is pure (bytes/arrays in, bytes/values out).
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
import unicodedata
from contextlib import ExitStack
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import pikepdf
from fpdf import FPDF
from PIL import Image

from pipeline.config import DEFAULT_PAGE_MEMORY_MB
from pipeline.errors import MissingToolError
from pipeline.imaging.cleanup import rotate_fill, turn_upright
from pipeline.imaging.io import image_dpi, load_page, sniff_kind, to_array

log = logging.getLogger(__name__)

#: Debian fonts-dejavu-core (in the Makefile's APT_RUN): Latin with all Vietnamese letters.
FONT_PATH = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
#: Resolution assumed when the master declares none.
DEFAULT_DPI = 300.0
#: Annex I minimum resolution.
MIN_DPI = 200.0
JPEG_QUALITY = 90
PDF_MIN_VERSION = "1.4"
#: DejaVu Sans vertical metrics (em fractions): the text box spans ascent + descent.
_ASCENT, _DESCENT = 0.928, 0.236

_BBOX = re.compile(r"bbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")
_WCONF = re.compile(r"x_wconf\s+(\d+)")


@dataclass(frozen=True)
class Word:
    """One hOCR word: NFC text and its box in the OCR copy's pixels."""

    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1
    conf: int | None = None


@dataclass(frozen=True)
class Hocr:
    """The words of an hOCR page and the page size it declares (None if absent)."""

    words: list[Word]
    size: tuple[int, int] | None  # width, height


class _HocrParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.words: list[Word] = []
        self.size: tuple[int, int] | None = None
        self._word: tuple[tuple[int, int, int, int], int | None] | None = None
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        title = a.get("title") or ""
        if self._word is not None:
            self._depth += tag == "span"
            return
        if "ocr_page" in classes and self.size is None:
            m = _BBOX.search(title)
            if m:
                self.size = (int(m[3]) - int(m[1]), int(m[4]) - int(m[2]))
        if tag == "span" and "ocrx_word" in classes:
            m = _BBOX.search(title)
            if m is None:
                return
            c = _WCONF.search(title)
            box = (int(m[1]), int(m[2]), int(m[3]), int(m[4]))
            self._word, self._depth, self._text = (box, int(c[1]) if c else None), 1, []

    def handle_endtag(self, tag: str) -> None:
        if self._word is None or tag != "span":
            return
        self._depth -= 1
        if self._depth == 0:
            text = unicodedata.normalize("NFC", "".join(self._text)).strip()
            if text:
                self.words.append(Word(text, *self._word))
            self._word = None

    def handle_data(self, data: str) -> None:
        if self._word is not None:
            self._text.append(data)


def parse_hocr(hocr: str) -> Hocr:
    """Words (``ocrx_word`` spans with ``bbox`` and ``x_wconf``) of an hOCR document."""
    p = _HocrParser()
    p.feed(hocr)
    p.close()
    return Hocr(p.words, p.size)


def upright_rgb(im: Image.Image, orientation: int, skew: float) -> np.ndarray:
    """The colour page in the OCR copy's pixel frame (turned upright, then deskewed)."""
    arr = to_array(im)
    if arr.ndim == 2:
        arr = cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    return rotate_fill(turn_upright(arr, orientation), -skew)


def page_dpi(im: Image.Image) -> float:
    """The master's declared dpi, else :data:`DEFAULT_DPI`."""
    return image_dpi(im) or DEFAULT_DPI


def master_page(
    data: bytes, index: int = 0, *, name: str = "", memory_mb: int = DEFAULT_PAGE_MEMORY_MB
) -> Image.Image:
    """Decode a stored master (any format, page ``index``) as the batch stage does.

    ``memory_mb`` must be the page memory the batch stage had, so a reduced page is
    reduced alike and the hOCR's coordinates fit.
    """
    kind = sniff_kind(data[:16]) or ""
    return load_page(data, kind, index, name=name, memory_mb=memory_mb)


def _font_path() -> Path:
    if not FONT_PATH.is_file():
        raise MissingToolError(
            f"Thiếu phông chữ {FONT_PATH} (gói Debian fonts-dejavu-core): "
            "không tạo được lớp chữ tiếng Việt cho PDF",
            reason="missing_font",
        )
    return FONT_PATH


def _jpeg(rgb: np.ndarray, dpi: float) -> io.BytesIO:
    buf = io.BytesIO()
    Image.fromarray(rgb, mode="RGB").save(
        buf, format="JPEG", quality=JPEG_QUALITY, dpi=(dpi, dpi), subsampling=0
    )
    buf.seek(0)
    return buf


#: JPEG qualities tried, best first, until a page fits its size (sohoa export).
_QUALITIES = (75, 65, 55, 45, 38, 30, 24, 20, 16)


def compact_jpeg(rgb: np.ndarray, dpi: float, *, max_bytes: int) -> io.BytesIO:
    """The page as a colour JPEG of at most ``max_bytes`` (else the smallest tried).

    For packages sized per page (the civil-status database takes about 100 kB per A4 page):
    4:2:0 chroma, progressive, the best quality of :data:`_QUALITIES` that fits. A page dense
    with text needs quality 16–24 at 200 dpi to come near 100 kB (bench.export_sizes).
    """
    im = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    buf = io.BytesIO()
    for quality in _QUALITIES:
        buf = io.BytesIO()
        im.save(
            buf,
            format="JPEG",
            quality=quality,
            dpi=(dpi, dpi),
            subsampling=2,
            optimize=True,
            progressive=True,
        )
        if buf.tell() <= max_bytes:
            break
    buf.seek(0)
    return buf


def _finish(data: bytes) -> bytes:
    """Rewrite with pikepdf so the header says at least PDF 1.4."""
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.save(out, min_version=PDF_MIN_VERSION)
    return out.getvalue()


def page_pdf(
    rgb: np.ndarray,
    hocr: Hocr,
    dpi: float,
    *,
    title: str = "",
    image: io.BytesIO | None = None,
) -> bytes:
    """One searchable PDF page: ``rgb`` at 100 % scale with ``hocr``'s words as invisible text.

    Args:
        rgb: the upright colour page (H×W×3 uint8) in the hOCR's pixel frame.
        hocr: the words; boxes are rescaled if the hOCR page size differs from ``rgb``.
        dpi: the page resolution (page size is ``pixels / dpi * 72`` points).
        title: document title for the PDF metadata.
        image: ``rgb`` already encoded (a JPEG sized by :func:`compact_jpeg`); by default a
            quality-90 JPEG.

    Returns:
        The PDF file (header ``%PDF-1.4`` or later).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("page_pdf needs an H×W×3 RGB image")
    h, w = rgb.shape[:2]
    k = 72.0 / dpi  # points per pixel
    sx = sy = 1.0
    if hocr.size and hocr.size[0] > 0 and hocr.size[1] > 0:
        sx, sy = w / hocr.size[0], h / hocr.size[1]
    pdf = FPDF(unit="pt", format=(w * k, h * k))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.set_creator("sohoa")
    if title:
        pdf.set_title(title)
    pdf.add_font("DejaVu", fname=str(_font_path()))
    pdf.add_page()
    pdf.image(image or _jpeg(rgb, dpi), x=0, y=0, w=w * k, h=h * k)
    pdf.text_mode = "INVISIBLE"
    for word in hocr.words:
        x0, y0, x1, y1 = word.box
        bw, bh = (x1 - x0) * sx * k, (y1 - y0) * sy * k
        if bw <= 0 or bh <= 0:
            continue
        size = bh / (_ASCENT + _DESCENT)
        pdf.set_font("DejaVu", size=size)
        pdf.set_stretching(100)
        natural = pdf.get_string_width(word.text)
        if natural <= 0:
            continue
        pdf.set_stretching(100 * bw / natural)
        pdf.text(x0 * sx * k, y1 * sy * k - _DESCENT * size, word.text)
    return _finish(bytes(pdf.output()))


def merge(pages: list[bytes]) -> bytes:
    """Concatenate PDFs (e.g. the pages of a book) into one, PDF 1.4 or later."""
    if not pages:
        raise ValueError("no pages to merge")
    out = io.BytesIO()
    with ExitStack() as stack, pikepdf.new() as book:
        for data in pages:
            src = stack.enter_context(pikepdf.open(io.BytesIO(data)))
            book.pages.extend(src.pages)
        book.save(out, min_version=PDF_MIN_VERSION)
    return out.getvalue()


def to_pdfa(data: bytes) -> bytes:
    """The same PDF as PDF/A-2b, our text layer kept (OCRmyPDF's internal PDF/A backend).

    OCRmyPDF is an optional dependency (``pip install 'sohoa[pdfa]'``): it skips OCR on pages
    that already carry text and only converts. Its Ghostscript backend is not used: the
    Ghostscript 10.0 of Debian 12 corrupts PDFs that carry text.
    """
    try:
        import ocrmypdf
    except ImportError as exc:
        raise MissingToolError(
            "Cần OCRmyPDF để tạo PDF/A-2b: pip install 'sohoa[pdfa]'", detail=str(exc)
        ) from exc
    with tempfile.TemporaryDirectory() as d:
        src, dst = Path(d) / "in.pdf", Path(d) / "out.pdf"
        with pikepdf.open(io.BytesIO(data)) as doc:
            # a viewer action (fpdf2's initial zoom) that PDF/A validation does not allow
            if "/OpenAction" in doc.Root:
                del doc.Root.OpenAction
            doc.save(src)
        code = ocrmypdf.ocr(
            src,
            dst,
            skip_text=True,
            output_type="pdfa-2",
            pdfa_backend="internal",
            progress_bar=False,
        )
        if int(code) != 0 or not dst.is_file():
            raise MissingToolError("OCRmyPDF không tạo được PDF/A-2b", detail=f"exit {code}")
        return dst.read_bytes()


def master_pdf(
    master: bytes,
    hocr: str,
    *,
    orientation: int,
    skew: float,
    index: int = 0,
    name: str = "",
    title: str = "",
    memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
) -> tuple[bytes, float]:
    """The searchable PDF of a stored page; returns it and the page dpi."""
    im = master_page(master, index, name=name, memory_mb=memory_mb)
    dpi = page_dpi(im)
    if dpi < MIN_DPI:
        log.warning("page %s: %.0f dpi, below the %s dpi of Annex I", name, dpi, MIN_DPI)
    rgb = upright_rgb(im, orientation, skew)
    return page_pdf(rgb, parse_hocr(hocr), dpi, title=title), dpi
