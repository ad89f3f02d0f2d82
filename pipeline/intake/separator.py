"""Separator sheets: a printed page with a QR code that starts a new book (batch).

The QR holds ``SOHOA-SEP/1`` and the book facts as compact JSON; the same facts are printed
in plain text beside it, so a person can read the sheet too. Sheets are drawn with segno
(QR) and Pillow (text, PDF) and read back with OpenCV's QR detector.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from pipeline.imaging.io import to_array
from schemas.enums import BOOK_TYPE_VI
from schemas.models import BookMeta

log = logging.getLogger(__name__)

MAGIC = "SOHOA-SEP/1"
#: Sheets are drawn at this resolution (A4).
SHEET_DPI = 200
A4_MM = (210, 297)
#: Pages are searched for a QR code on a copy this wide (a sheet's QR is ~ 6 cm).
SEARCH_WIDTH = 1400

_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


def encode_payload(meta: BookMeta) -> str:
    """The text the QR code carries."""
    body = {
        "t": meta.book_type.value,
        "a": meta.agency,
        "b": meta.book,
        "y": [meta.year_from, meta.year_to],
    }
    return MAGIC + json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def decode_payload(text: str) -> BookMeta | None:
    """Book facts from a QR text, or None when it is not a sohoa separator."""
    if not text.startswith(MAGIC):
        return None
    try:
        body = json.loads(text[len(MAGIC) :])
        return BookMeta(
            book_type=body["t"],
            agency=body["a"],
            book=body["b"],
            year_from=int(body["y"][0]),
            year_to=int(body["y"][1]),
        )
    except (ValueError, KeyError, TypeError, IndexError):
        log.warning("separator QR with an unreadable payload")
        return None


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for path in _FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _years(meta: BookMeta) -> str:
    if meta.year_from == meta.year_to:
        return str(meta.year_from)
    return f"{meta.year_from}–{meta.year_to}"


def sheet_lines(meta: BookMeta) -> list[str]:
    """The plain-text facts printed on the sheet."""
    return [
        "TỜ PHÂN CÁCH QUYỂN SỔ",
        f"Loại sổ: {BOOK_TYPE_VI.get(meta.book_type.value, meta.book_type.value)}"
        f" ({meta.book_type.value})",
        f"Mã cơ quan: {meta.agency}",
        f"Quyển số: {meta.book}",
        f"Năm: {_years(meta)}",
        "Đặt tờ này trước trang đầu của quyển sổ khi quét.",
    ]


def render_sheet(meta: BookMeta, *, dpi: int = SHEET_DPI) -> Image.Image:
    """Draw an A4 separator sheet: a large QR code and the same facts in plain text."""
    import segno

    px = lambda mm: round(mm / 25.4 * dpi)  # noqa: E731
    sheet = Image.new("L", (px(A4_MM[0]), px(A4_MM[1])), 255)
    qr = segno.make(encode_payload(meta), error="m", micro=False)
    modules = qr.symbol_size(scale=1, border=4)[0]
    scale = max(1, px(70) // modules)
    qr_im = Image.open(_png(qr, scale)).convert("L")
    sheet.paste(qr_im, ((sheet.width - qr_im.width) // 2, px(30)))
    draw = ImageDraw.Draw(sheet)
    y = px(30) + qr_im.height + px(15)
    for i, line in enumerate(sheet_lines(meta)):
        font = _font(px(9) if i == 0 else px(6) if i < 5 else px(4))
        width = draw.textlength(line, font=font)
        draw.text(((sheet.width - width) / 2, y), line, fill=0, font=font)
        y += px(14) if i == 0 else px(10)
    draw.rectangle((px(8), px(8), sheet.width - px(8), sheet.height - px(8)), outline=0, width=4)
    sheet.info["dpi"] = (dpi, dpi)
    return sheet


def _png(qr: object, scale: int) -> io.BytesIO:
    buf = io.BytesIO()
    qr.save(buf, kind="png", scale=scale, border=4)  # type: ignore[attr-defined]
    buf.seek(0)
    return buf


def write_sheet_pdf(meta: BookMeta, path: Path, *, dpi: int = SHEET_DPI) -> Path:
    """Write the separator sheet as a one-page A4 PDF at 100 % scale."""
    path.parent.mkdir(parents=True, exist_ok=True)
    render_sheet(meta, dpi=dpi).save(path, format="PDF", resolution=float(dpi))
    return path


def _qr_texts(gray: np.ndarray) -> list[str]:
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(gray)
    return [text] if text else []


def find_separator(im: Image.Image) -> BookMeta | None:
    """The book facts when the page is a separator sheet, else None.

    The page is searched on a reduced copy first and then, if nothing is found, after
    binarisation (scanned sheets can be grey or speckled).
    """
    gray = to_array(im.convert("L"))
    if gray.shape[1] > SEARCH_WIDTH:
        f = SEARCH_WIDTH / gray.shape[1]
        gray = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    texts = _qr_texts(gray)
    if not texts:
        _t, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        texts = _qr_texts(binary)
    for text in texts:
        meta = decode_payload(text)
        if meta is not None:
            return meta
    return None
