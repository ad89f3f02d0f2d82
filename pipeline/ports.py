"""Ports: what the core needs from the outside, as Protocols the adapters implement."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from schemas.models import OcrPage


class OcrReading(Protocol):
    """An OCR result: the words and lines, and the hOCR to archive."""

    @property
    def page(self) -> OcrPage:
        """Words with boxes and confidences, lines in reading order."""
        ...

    @property
    def hocr(self) -> str:
        """HOCR of the page."""
        ...


@runtime_checkable
class OcrEngine(Protocol):
    """An OCR engine (Tesseract in ``ocr.tesseract.TesseractEngine``)."""

    def read(
        self,
        image: Path,
        *,
        workdir: Path,
        lang: str,
        timeout: float,
        dpi: int | None,
        psm: int = 3,
    ) -> OcrReading:
        """OCR a cleaned page image file with page-segmentation mode ``psm``."""
        ...

    def orientation(self, image: Path) -> tuple[int, float] | None:
        """(degrees turned counter-clockwise, confidence), or None when it cannot tell."""
        ...
