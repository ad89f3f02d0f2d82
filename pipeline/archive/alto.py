"""ALTO 4 XML from Tesseract's hOCR (pure: text in, text out).

Archives and library viewers read ALTO; Tesseract writes hOCR. The mapping is
direct: ``ocr_page`` → ``Page``, ``ocr_carea`` → ``TextBlock``, ``ocr_line`` (and
its caption/header variants) → ``TextLine``, ``ocrx_word`` → ``String`` with
``WC`` (word confidence 0–1). Coordinates stay in pixels of the OCR image
(``MeasurementUnit`` = ``pixel``), the same pixels as the hOCR and the cleaned
image stored beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from xml.sax.saxutils import quoteattr

ALTO_NS = "http://www.loc.gov/standards/alto/ns-v4#"
_BBOX = re.compile(r"bbox\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)\s+(-?\d+)")
_WCONF = re.compile(r"x_wconf\s+(\d+(?:\.\d+)?)")
_LINE_CLASSES = {"ocr_line", "ocr_caption", "ocr_header", "ocr_textfloat"}


@dataclass
class _Word:
    box: tuple[int, int, int, int]
    conf: float
    text: str = ""


@dataclass
class _Line:
    box: tuple[int, int, int, int]
    words: list[_Word] = field(default_factory=list)


@dataclass
class _Block:
    box: tuple[int, int, int, int]
    lines: list[_Line] = field(default_factory=list)


class _HocrReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page: tuple[int, int, int, int] = (0, 0, 0, 0)
        self.blocks: list[_Block] = []
        self._word: _Word | None = None
        self._depth = 0
        self._word_depth = -1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._depth += 1
        a = dict(attrs)
        cls, title = (a.get("class") or "").split(), a.get("title") or ""
        box = _bbox(title)
        if box is None:
            return
        if "ocr_page" in cls:
            self.page = box
        elif "ocr_carea" in cls:
            self.blocks.append(_Block(box))
        elif _LINE_CLASSES & set(cls):
            if not self.blocks:
                self.blocks.append(_Block(box))
            self.blocks[-1].lines.append(_Line(box))
        elif "ocrx_word" in cls and self.blocks and self.blocks[-1].lines:
            m = _WCONF.search(title)
            self._word = _Word(box, float(m[1]) / 100 if m else 0.0)
            self._word_depth = self._depth
            self.blocks[-1].lines[-1].words.append(self._word)

    def handle_endtag(self, tag: str) -> None:
        if self._depth == self._word_depth:
            self._word, self._word_depth = None, -1
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._word is not None:
            self._word.text += data


def _bbox(title: str) -> tuple[int, int, int, int] | None:
    m = _BBOX.search(title)
    return (int(m[1]), int(m[2]), int(m[3]), int(m[4])) if m else None


def _geom(box: tuple[int, int, int, int]) -> str:
    x0, y0, x1, y1 = box
    return f'HPOS="{x0}" VPOS="{y0}" WIDTH="{max(0, x1 - x0)}" HEIGHT="{max(0, y1 - y0)}"'


def hocr_to_alto(hocr: str, *, image_name: str, software: str = "sohoa/tesseract") -> str:
    """Convert Tesseract hOCR into an ALTO 4 document.

    Args:
        hocr: the hOCR text.
        image_name: file name of the image the coordinates refer to.
        software: producer recorded in ``OCRProcessing``.

    Returns:
        The ALTO XML, UTF-8, one ``String`` per non-empty word.
    """
    reader = _HocrReader()
    reader.feed(hocr)
    _, _, width, height = reader.page
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<alto xmlns="{ALTO_NS}">',
        "<Description><MeasurementUnit>pixel</MeasurementUnit>",
        f"<sourceImageInformation><fileName>{_text(image_name)}</fileName>"
        "</sourceImageInformation>",
        '<OCRProcessing ID="OCR_0"><ocrProcessingStep><processingSoftware>'
        f"<softwareName>{_text(software)}</softwareName>"
        "</processingSoftware></ocrProcessingStep></OCRProcessing>",
        "</Description>",
        f'<Layout><Page ID="P1" PHYSICAL_IMG_NR="1" WIDTH="{width}" HEIGHT="{height}">',
        f'<PrintSpace HPOS="0" VPOS="0" WIDTH="{width}" HEIGHT="{height}">',
    ]
    for b, block in enumerate(reader.blocks, 1):
        out.append(f'<TextBlock ID="B{b}" {_geom(block.box)}>')
        for n, line in enumerate(block.lines, 1):
            words = [w for w in line.words if w.text.strip()]
            if not words:
                continue
            out.append(f'<TextLine ID="B{b}_L{n}" {_geom(line.box)}>')
            for i, w in enumerate(words):
                if i:
                    out.append("<SP/>")
                content = quoteattr(w.text.strip())
                out.append(f'<String {_geom(w.box)} WC="{w.conf:.2f}" CONTENT={content}/>')
            out.append("</TextLine>")
        out.append("</TextBlock>")
    out += ["</PrintSpace></Page></Layout>", "</alto>", ""]
    return "\n".join(out)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
