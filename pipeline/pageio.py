"""Reading page files: the only place that opens scans. Everything inward gets arrays.

A file is identified by its bytes (magic numbers), not by its extension: an HTML
page named ``.jpg`` is refused with a reason, a PDF named ``.png`` is read as a PDF.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from pipeline.errors import BadInputError

#: Refuse images above this many pixels (a 600-dpi A2 page is ~ 140 MP).
MAX_PIXELS = 200_000_000
#: Refuse files above this size unread (an uncompressed 600-dpi A2 colour TIFF is ~ 420 MB).
MAX_FILE_BYTES = 1 << 30
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
IGNORED_SUFFIXES = {".tmp", ".part", ".crdownload", ".swp", ".json", ".txt", ".md"}

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"%PDF-", "pdf"),
    (b"BM", "bmp"),
)

CONTENT_TYPES = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tiff": "image/tiff",
    "pdf": "application/pdf",
    "bmp": "image/bmp",
}
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "pdf": ".pdf", "bmp": ".bmp"}


@dataclass(frozen=True)
class SourceFile:
    """A file found in a batch folder, identified by content."""

    path: Path
    sha256: str
    size: int
    kind: str  # jpeg | png | tiff | pdf | bmp
    pages: int


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sniff_kind(head: bytes) -> str | None:
    """File kind from its first bytes, or None when it is not a page format we read."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


def list_page_files(folder: Path) -> list[Path]:
    """Candidate files of a folder in name order, skipping hidden, temporary and system files."""
    if not folder.is_dir():
        raise BadInputError(f"Không tìm thấy thư mục {folder}", reason="no_folder")
    out = []
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        name = p.name.lower()
        if not p.is_file() or name.startswith((".", "~$")) or name in IGNORED_NAMES:
            continue
        if p.suffix.lower() in IGNORED_SUFFIXES:
            continue
        out.append(p)
    return out


def read_source(path: Path) -> tuple[SourceFile, bytes]:
    """Read a file and identify it; raise BadInputError with a reason when unusable."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise BadInputError(
                f"Tệp {path.name} quá lớn ({size // (1 << 20)} MB)", reason="file_too_large"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise BadInputError(f"Không đọc được tệp {path.name}", reason="unreadable") from exc
    if not data:
        raise BadInputError(f"Tệp {path.name} rỗng (0 byte)", reason="empty_file")
    kind = sniff_kind(data[:16])
    if kind is None:
        raise BadInputError(f"Tệp {path.name} không phải ảnh trang hay PDF", reason="not_an_image")
    pages = count_pages(data, kind, name=path.name)
    return SourceFile(path, sha256_bytes(data), len(data), kind, pages), data


def count_pages(data: bytes, kind: str, *, name: str = "") -> int:
    """Number of pages (PDF pages, TIFF frames), checking the file decodes."""
    if kind == "pdf":
        return _pdf_page_count(data, name)
    with _open_image(data, name) as im:
        return getattr(im, "n_frames", 1)


def load_page(
    data: bytes, kind: str, index: int, *, pdf_dpi: int = 300, name: str = ""
) -> Image.Image:
    """Decode page ``index`` of a file into an RGB or L image, EXIF-orientation applied.

    The image's ``info["dpi"]`` is set when the file declares it (PDFs: ``pdf_dpi``).
    """
    if kind == "pdf":
        return _render_pdf_page(data, index, pdf_dpi, name)
    im = _open_image(data, name)
    try:
        if index:
            im.seek(index)
        dpi = im.info.get("dpi")
        im.load()
        im = ImageOps.exif_transpose(im) or im
        if im.mode not in ("RGB", "L"):
            im = _to_8bit(im)
    except (OSError, ValueError, EOFError) as exc:
        raise BadInputError(f"Ảnh {name} bị hỏng hoặc cắt cụt", reason="corrupt_image") from exc
    if dpi:
        im.info["dpi"] = dpi
    return im


def to_array(im: Image.Image) -> np.ndarray:
    """PIL image → uint8 array (H×W gray or H×W×3 RGB)."""
    return np.asarray(im.convert("RGB") if im.mode != "L" else im)


def to_gray_array(im: Image.Image) -> np.ndarray:
    """PIL image → uint8 gray array, converting in Pillow (no RGB array is made)."""
    if im.mode == "L":
        return np.asarray(im)
    return np.asarray((im if im.mode == "RGB" else im.convert("RGB")).convert("L"))


def image_dpi(im: Image.Image) -> float | None:
    """The resolution the file declares, or None (72 dpi defaults are treated as unknown)."""
    dpi = im.info.get("dpi")
    if not dpi:
        return None
    value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    return value if value > 72.5 else None


def _to_8bit(im: Image.Image) -> Image.Image:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = float(arr.max()) or 1.0
        return Image.fromarray((arr * (255.0 / top)).astype(np.uint8), mode="L")
    if im.mode == "1":
        return im.convert("L")
    return im.convert("RGB")


def _open_image(data: bytes, name: str) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise BadInputError(f"Ảnh {name} quá lớn (nghi bom giải nén)", reason="too_large") from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise BadInputError(
            f"Ảnh {name} bị hỏng hoặc không đọc được", reason="corrupt_image"
        ) from exc
    if w < 32 or h < 32:
        raise BadInputError(f"Ảnh {name} quá nhỏ ({w}×{h} điểm ảnh)", reason="too_small")
    return im


def _pdf_page_count(data: bytes, name: str) -> int:
    from pdf2image import pdfinfo_from_bytes
    from pdf2image.exceptions import PDFInfoNotInstalledError, PDFPageCountError, PDFSyntaxError

    try:
        info = pdfinfo_from_bytes(data, timeout=60)
        pages = int(info.get("Pages", 0))
    except PDFInfoNotInstalledError as exc:
        from pipeline.errors import MissingToolError

        raise MissingToolError("Thiếu poppler: chạy `apt-get install poppler-utils`") from exc
    except (PDFPageCountError, PDFSyntaxError, ValueError, KeyError) as exc:
        raise BadInputError(f"PDF {name} bị hỏng hoặc được mã hóa", reason="corrupt_pdf") from exc
    if pages < 1:
        raise BadInputError(f"PDF {name} không có trang nào", reason="corrupt_pdf")
    return pages


def _render_pdf_page(data: bytes, index: int, dpi: int, name: str) -> Image.Image:
    from pdf2image import convert_from_bytes
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    try:
        pages = convert_from_bytes(
            data, dpi=dpi, first_page=index + 1, last_page=index + 1, timeout=120
        )
    except (PDFPageCountError, PDFSyntaxError, ValueError) as exc:
        raise BadInputError(
            f"Không dựng được trang {index + 1} của PDF {name}", reason="corrupt_pdf"
        ) from exc
    if not pages:
        raise BadInputError(f"PDF {name} không có trang {index + 1}", reason="corrupt_pdf")
    im = pages[0].convert("RGB")
    im.info["dpi"] = (dpi, dpi)
    return im
