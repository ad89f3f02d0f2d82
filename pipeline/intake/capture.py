"""Capture at the scan station: the page-source port, the batch folder, instant page checks.

A :class:`PageSource` (SANE, TWAIN, hot folder; adapters in ``scanners/``) yields what
arrives: a scanned page image (:class:`ScannedPage`) or a dropped file (:class:`DroppedFile`).
:class:`BatchFolder` writes each one into the batch folder the moment it arrives — scanned
pages losslessly (LZW TIFF, with their dpi), dropped files as verified byte copies — and keeps a
``manifest.json`` beside them, so a jam or a vanished scanner loses nothing already scanned
and the batch can be resumed. :func:`quick_check` gives the operator the page's quality flags
right away, without OCR.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image

from pipeline.errors import SohoaError
from pipeline.imaging.io import to_array
from pipeline.keys import sha256_hex
from pipeline.ports import ScannedPage
from schemas.models import BookMeta

log = logging.getLogger(__name__)

#: Decree 30/2020, Annex I: digitised copies at no less than 200 dpi.
MIN_SCAN_DPI = 200
DEFAULT_SCAN_DPI = 300
#: A page turned further than this (degrees) is flagged ``skewed`` for a rescan.
MAX_SKEW_DEG = 2.0
#: Perceptual hashes closer than this (of 64 bits) are taken as the same page.
SAME_PAGE_BITS = 6
MANIFEST = "manifest.json"


class CaptureError(SohoaError):
    """The scanner or the hot folder cannot go on; pages captured so far are kept.

    Reasons: ``device_not_found``, ``device_busy``, ``paper_jam``, ``cover_open``,
    ``no_paper``, ``device_gone``, ``dpi_too_low``, ``scanner_error``, ``cancelled``.
    """

    reason = "capture"


def check_dpi(dpi: float) -> None:
    """Refuse resolutions under the 200 dpi of Decree 30/2020."""
    if dpi < MIN_SCAN_DPI:
        raise CaptureError(
            f"Độ phân giải {dpi:g} dpi thấp hơn mức tối thiểu {MIN_SCAN_DPI} dpi "
            "(Nghị định 30/2020)",
            reason="dpi_too_low",
        )


# --------------------------------------------------------------------------- checks


def perceptual_hash(im: Image.Image) -> str:
    """64-bit DCT perceptual hash (hex) of a page, for "same page scanned twice"."""
    import imagehash

    return str(imagehash.phash(im.convert("L"), hash_size=8))


def hash_distance(a: str, b: str) -> int:
    """Number of differing bits between two hex hashes."""
    return bin(int(a, 16) ^ int(b, 16)).count("1")


def quick_check(im: Image.Image, dpi: float | None) -> dict[str, Any]:
    """Quality flags of a page in about a second, without OCR.

    Flags come from :func:`pipeline.imaging.quality.page_quality` (``blank``, ``low_dpi``,
    ``blurry``, ``text_too_small``, ``overexposed``, ``underexposed``, ``text_cut_off``)
    plus ``skewed`` when the page lies more than :data:`MAX_SKEW_DEG` off straight.
    """
    from pipeline.imaging.cleanup import analyse
    from pipeline.imaging.ocr_copy import make_ocr_copy
    from pipeline.imaging.page import to_gray
    from pipeline.imaging.quality import page_quality

    gray = to_gray(to_array(im))
    a = analyse(gray)
    copy = make_ocr_copy(gray, a, dpi=dpi)
    quality = page_quality(gray, copy, a, dpi=dpi).model_dump()
    quality["skew_deg"] = round(float(a.skew), 2)
    quality["orientation_deg"] = int(a.orientation)
    if abs(a.skew) > MAX_SKEW_DEG and "blank" not in quality["flags"]:
        quality["flags"].append("skewed")
    return quality


def same_page_as(phash: str, earlier: list[tuple[str, str]]) -> str | None:
    """Name of an earlier page with (nearly) the same perceptual hash, or None."""
    for name, other in earlier:
        if other and hash_distance(phash, other) <= SAME_PAGE_BITS:
            return name
    return None


# --------------------------------------------------------------------------- batch folder


def book_slug(meta: BookMeta) -> str:
    """Folder-safe name of a book: ``<agency>_<type>_<book>`` (ASCII, no separators)."""
    raw = f"{meta.agency}_{meta.book_type.value}_{meta.book}"
    ascii_ = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", ascii_).strip("-.") or "book"


@dataclass
class PageEntry:
    """One file of the batch folder, as the manifest records it."""

    file: str
    sha256: str
    origin: str
    dpi: float | None = None
    quality: dict[str, Any] = field(default_factory=dict)
    phash: str = ""
    same_as: str | None = None
    at: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a synced temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class BatchFolder:
    """A batch on disk: page files plus ``manifest.json`` (book, device, pages, status).

    Every page is on disk (synced) before :meth:`add_scan` returns, and the manifest is
    rewritten atomically after each page, so an interrupted batch is resumed where it
    stopped: new pages are numbered after the last one kept.
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest

    @classmethod
    def create(cls, path: Path, meta: BookMeta, *, source: str) -> BatchFolder:
        """Start a new batch folder (it must not exist or be empty)."""
        path.mkdir(parents=True, exist_ok=True)
        if (path / MANIFEST).exists():
            raise CaptureError(f"Thư mục lô {path} đã có", reason="batch_exists")
        manifest = {
            "version": 1,
            "book": meta.model_dump(mode="json"),
            "source": source,
            "status": "open",
            "started_at": _now(),
            "pages": [],
            "events": [],
        }
        folder = cls(path, manifest)
        folder.save()
        return folder

    @classmethod
    def open(cls, path: Path) -> BatchFolder:
        """Reopen an existing batch folder (to resume it)."""
        try:
            manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CaptureError(
                f"Không đọc được {MANIFEST} của lô {path}", reason="no_manifest"
            ) from exc
        return cls(path, manifest)

    @property
    def meta(self) -> BookMeta:
        """The book this batch belongs to."""
        return BookMeta.model_validate(self.manifest["book"])

    @property
    def pages(self) -> list[PageEntry]:
        """Pages kept so far, in order."""
        return [PageEntry(**p) for p in self.manifest["pages"]]

    @property
    def status(self) -> str:
        """``open``, ``interrupted`` or ``complete``."""
        return str(self.manifest.get("status", "open"))

    def save(self) -> None:
        """Write the manifest atomically."""
        data = json.dumps(self.manifest, ensure_ascii=False, indent=1).encode("utf-8")
        _atomic_write(self.path / MANIFEST, data)

    def note(self, event: str, **details: Any) -> None:
        """Record an event (start, resume, interruption, end) in the manifest."""
        self.manifest["events"].append({"at": _now(), "event": event, **details})
        self.save()

    def set_status(self, status: str, **details: Any) -> None:
        """Mark the batch open / interrupted / complete, with an event."""
        self.manifest["status"] = status
        self.note(status, **details)

    def _next_name(self, suffix: str) -> str:
        return f"p{len(self.manifest['pages']) + 1:05d}{suffix}"

    def add_scan(self, page: ScannedPage, *, check: bool = True) -> PageEntry:
        """Write a scanned page losslessly (LZW TIFF with its exact dpi), then check it.

        TIFF rather than PNG: PNG keeps resolution in pixels per metre, so 200 dpi would
        read back as 199.9994 and be flagged under the 200 dpi minimum.
        """
        name = self._next_name(".tif")
        im = page.image if page.image.mode in ("RGB", "L") else page.image.convert("RGB")
        buf = _tiff_bytes(im, page.dpi)
        _atomic_write(self.path / name, buf)
        entry = PageEntry(
            file=name, sha256=sha256_hex(buf), origin=page.origin, dpi=page.dpi, at=_now()
        )
        if check:
            entry.quality = quick_check(im, page.dpi)
            entry.phash = perceptual_hash(im)
            earlier = [(p.file, p.phash) for p in self.pages]
            entry.same_as = same_page_as(entry.phash, earlier)
            if entry.same_as:
                entry.quality["flags"].append("same_page")
        self.manifest["pages"].append(entry.__dict__)
        self.save()
        log.info("captured %s (%s)", name, ",".join(entry.quality.get("flags", [])) or "ok")
        return entry

    def add_file(self, src: Path, sha256: str) -> PageEntry:
        """Copy a dropped file in and verify the copy by its SHA-256."""
        name = self._next_name(src.suffix.lower() or ".bin")
        data = src.read_bytes()
        if sha256_hex(data) != sha256:
            raise CaptureError(f"Tệp {src.name} thay đổi trong khi sao chép", reason="changed")
        _atomic_write(self.path / name, data)
        if sha256_hex((self.path / name).read_bytes()) != sha256:
            (self.path / name).unlink(missing_ok=True)
            raise CaptureError(f"Bản sao của {src.name} bị sai lệch", reason="copy_mismatch")
        entry = PageEntry(file=name, sha256=sha256, origin=src.name, at=_now())
        self.manifest["pages"].append(entry.__dict__)
        self.save()
        return entry

    def known(self, sha256: str) -> PageEntry | None:
        """The page with these bytes, if the batch has it already."""
        return next((p for p in self.pages if p.sha256 == sha256), None)


def _tiff_bytes(im: Image.Image, dpi: float) -> bytes:
    import io

    out = io.BytesIO()
    im.save(out, format="TIFF", dpi=(dpi, dpi), compression="tiff_lzw")
    return out.getvalue()


def flag_counts(entries: list[PageEntry]) -> dict[str, int]:
    """How many pages carry each quality flag."""
    counts: dict[str, int] = {}
    for e in entries:
        for f in e.quality.get("flags", []):
            counts[f] = counts.get(f, 0) + 1
    return counts
