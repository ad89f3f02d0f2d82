"""Ports: what the core needs from the outside, as Protocols the adapters implement."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from PIL import Image

from schemas.models import BookMeta, OcrPage

if TYPE_CHECKING:
    import numpy as np


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


@dataclass(frozen=True)
class LineReading:
    """What a line reader read in one cut text line: its text (NFC) and a confidence in [0, 1]."""

    text: str
    confidence: float
    #: the reader's name and version, for provenance ("asterocr 1.0.2")
    engine: str = ""


@runtime_checkable
class LineReader(Protocol):
    """A second, independent reader of short cut lines (a field's value, a number line).

    Used as a second opinion on the fields that matter: a value is auto-accepted only when the
    page's OCR and this reader agree. ``image`` is a grayscale crop (uint8 array, dark ink on
    light paper) holding one line of text.
    """

    @property
    def name(self) -> str:
        """The reader's name and version, e.g. ``"asterocr 1.0.2"``."""
        ...

    def read_line(self, image: np.ndarray) -> LineReading:
        """Read one cut line; an empty text when nothing could be read."""
        ...


# ------------------------------------------------------------------ object store


@dataclass(frozen=True)
class StoredObject:
    """What the store knows about one object.

    Attributes:
        key: object key.
        sha256: hex SHA-256 of the content from metadata; ``""`` for an
            object not written by sohoa.
        size: content length in bytes.
        etag: server ETag, without quotes.
        version_id: version id when the bucket is versioned, else ``None``.
        content_type: MIME type given at upload.
        metadata: user metadata (decoded, names lower-case), without ``sha256``.
    """

    key: str
    sha256: str
    size: int
    etag: str
    version_id: str | None
    content_type: str = ""
    metadata: Mapping[str, str] = field(default_factory=dict, hash=False)


@runtime_checkable
class ObjectStore(Protocol):
    """Port for storing checked, immutable-by-convention objects."""

    def put_bytes(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        """Store ``data`` under ``key`` (idempotent for identical content)."""
        ...

    def get_bytes(self, key: str) -> bytes:
        """Return the content of ``key``, verified against its checksum."""
        ...

    def stat(self, key: str) -> StoredObject | None:
        """Describe ``key``, or return ``None`` when it does not exist."""
        ...

    def list_keys(self, prefix: str) -> list[str]:
        """Return all keys starting with ``prefix``, sorted."""
        ...

    def delete(self, key: str) -> None:
        """Remove ``key`` (tests and repair only)."""
        ...


# ------------------------------------------------------------------ page sources


@dataclass(frozen=True)
class ScannedPage:
    """A page image as a scanner delivers it."""

    image: Image.Image
    dpi: float
    #: where it came from, e.g. ``"test:0 ADF #3"`` (no personal data)
    origin: str


@dataclass(frozen=True)
class DroppedFile:
    """A file that arrived in a hot folder and stopped changing."""

    path: Path
    #: batch it belongs to (the sub-folder name, or the separator-sheet group)
    group: str
    #: book facts from the sub-folder's manifest or the last separator sheet
    meta: BookMeta | None = None
    #: why the file cannot be taken as it is (e.g. an unreadable batch manifest)
    problem: str = ""


@runtime_checkable
class PageSource(Protocol):
    """Where pages come from (adapters in ``scanners/``)."""

    def describe(self) -> str:
        """Human-readable name of the source (device or folder)."""
        ...

    def acquire(self) -> Iterator[ScannedPage | DroppedFile]:
        """Yield pages or files as they arrive; raise :class:`CaptureError` on a fault."""
        ...
