"""Reading page files: the only place that opens scans. Everything inward gets arrays.

A file is identified by its bytes (magic numbers), not by its extension: an HTML
page named ``.jpg`` is refused with a reason, a PDF named ``.png`` is read as a PDF.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from pipeline.config import DEFAULT_PAGE_MEMORY_MB
from pipeline.errors import BadInputError
from pipeline.keys import sha256_hex

#: Memory a page takes through cleanup and OCR, bytes per decoded pixel (measured: a
#: 600-dpi A3 colour page, 70 MP, peaks ~ 700 MB above the interpreter's own).
BYTES_PER_PIXEL = 10
#: Pages up to this many times the pixel budget are reduced on decode; larger ones are refused.
HARD_LIMIT_FACTOR = 4
#: Pillow's own guard: a header claiming more pixels than this is refused before decoding,
#: whatever the memory setting (a 600-dpi A0 page is ~ 560 MP).
MAX_PIXELS = 1_000_000_000
#: Refuse files above this size unread (an uncompressed 600-dpi A2 colour TIFF is ~ 420 MB).
MAX_FILE_BYTES = 1 << 30
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
#: A page has both sides at least this long and is at most this elongated.
MIN_SIDE = 32
MAX_ASPECT = 20
#: Peak bytes per pixel to decode an image of a mode and convert it to RGB or L.
_DECODE_COST = {"1": 2, "L": 1, "P": 4, "LA": 3, "RGB": 3, "RGBA": 7, "CMYK": 7, "YCbCr": 6}
#: Key of ``Image.info`` holding the (width, height) a page had before it was reduced.
DOWNSCALED_FROM = "sohoa_downscaled_from"

IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
TEMP_SUFFIXES = {".tmp", ".part", ".crdownload", ".swp"}
SIDECAR_SUFFIXES = {".json", ".txt", ".md"}
IGNORED_SUFFIXES = TEMP_SUFFIXES | SIDECAR_SUFFIXES

#: Why a folder entry is not taken (reason → message for people).
SKIP_REASONS = {
    "hidden": "tệp ẩn (tên bắt đầu bằng dấu chấm), không đọc",
    "temporary": "tệp tạm (đang chép, đang ghi hoặc tệp khóa của Office), không đọc",
    "system": "tệp hệ thống (Thumbs.db, desktop.ini, .DS_Store), không đọc",
    "not_a_page": "tệp kèm theo (.json, .txt, .md), không phải trang",
    "folder": "thư mục con: chỉ đọc các tệp nằm ngay trong thư mục",
    "not_a_file": "không phải tệp thường (liên kết hỏng, thiết bị, ống dẫn), không đọc",
    "link_outside": "liên kết trỏ ra ngoài thư mục, từ chối đọc",
    "duplicate": "cùng một tệp với một tệp đã có trong danh sách (viết khác hoặc liên kết), "
    "chỉ xử lý một lần",
}

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
class PixelBudget:
    """How large a page may be for the memory a worker spends on it.

    Pages up to ``pixels`` are processed as they are; up to ``limit`` they are reduced
    to ``pixels`` while decoding (and flagged ``downscaled``); larger ones are refused.
    """

    memory_bytes: int

    @property
    def pixels(self) -> int:
        """Pixels processed at full size."""
        return self.memory_bytes // BYTES_PER_PIXEL

    @property
    def limit(self) -> int:
        """Pixels above which a page is refused (``too_many_pixels``)."""
        return HARD_LIMIT_FACTOR * self.pixels


def pixel_budget(memory_mb: int) -> PixelBudget:
    """The pixel budget of one page for ``memory_mb`` megabytes (``SOHOA_PAGE_MEMORY_MB``)."""
    return PixelBudget(memory_mb << 20)


@dataclass(frozen=True)
class SourceFile:
    """A file found in a batch folder, identified by content."""

    path: Path
    sha256: str
    size: int
    kind: str  # jpeg | png | tiff | pdf | bmp
    pages: int


def sniff_kind(head: bytes) -> str | None:
    """File kind from its first bytes, or None when it is not a page format we read."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return None


@dataclass(frozen=True)
class Skipped:
    """A folder entry that is not read as a page, and why."""

    path: Path
    reason: str  # a key of SKIP_REASONS
    message_vi: str

    @property
    def name(self) -> str:
        """The entry's file name."""
        return self.path.name

    @property
    def refused(self) -> bool:
        """Refused for safety (a link out of the folder), not merely ignored."""
        return self.reason == "link_outside"


@dataclass(frozen=True)
class FolderScan:
    """The page files of a folder, in name order, and every entry left out."""

    files: list[Path]
    skipped: list[Skipped]


def leaves_folder(path: Path, folder: Path) -> bool:
    """True when ``path`` resolves (following links) to somewhere outside ``folder``."""
    try:
        return not path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        return True


def skip_reason(path: Path, folder: Path) -> str | None:
    """Why an entry of ``folder`` is not a page file to read (a SKIP_REASONS key), or None."""
    if leaves_folder(path, folder):
        return "link_outside"  # checked first: nothing behind such a link is ever opened
    name = path.name.lower()
    if path.is_dir():
        return "folder"
    if name in IGNORED_NAMES:
        return "system"
    if name.startswith("~$") or path.suffix.lower() in TEMP_SUFFIXES:
        return "temporary"
    if name.startswith("."):
        return "hidden"
    if path.suffix.lower() in SIDECAR_SUFFIXES:
        return "not_a_page"
    if not path.is_file():
        return "not_a_file"
    return None


def scan_folder(folder: Path) -> FolderScan:
    """The page files of a folder in name order, with every entry left out and why.

    Links are followed only when they stay inside the folder; hidden, temporary and
    system files, side files and sub-folders are left out, each with its reason.

    Raises:
        BadInputError: ``no_folder`` when ``folder`` is not a folder.
    """
    if not folder.is_dir():
        raise BadInputError(f"Không tìm thấy thư mục {folder}", reason="no_folder")
    files, skipped = [], []
    for p in sorted(folder.iterdir(), key=lambda q: q.name):
        reason = skip_reason(p, folder)
        if reason is None:
            files.append(p)
        else:
            skipped.append(Skipped(p, reason, SKIP_REASONS[reason]))
    return FolderScan(files, skipped)


def list_page_files(folder: Path) -> list[Path]:
    """Page files of a folder in name order (:func:`scan_folder` without what it left out)."""
    return scan_folder(folder).files


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
    return SourceFile(path, sha256_hex(data), len(data), kind, pages), data


def count_pages(data: bytes, kind: str, *, name: str = "") -> int:
    """Number of pages (PDF pages, TIFF frames), checking the file decodes."""
    if kind == "pdf":
        return _pdf_page_count(data, name)
    with _open_image(data, name) as im:
        return getattr(im, "n_frames", 1)


def load_page(
    data: bytes,
    kind: str,
    index: int,
    *,
    pdf_dpi: int = 300,
    name: str = "",
    memory_mb: int = DEFAULT_PAGE_MEMORY_MB,
) -> Image.Image:
    """Decode page ``index`` of a file into an RGB or L image, EXIF-orientation applied.

    The image's ``info["dpi"]`` is set when the file declares it (PDFs: ``pdf_dpi``). A page
    above the pixel budget of ``memory_mb`` (:func:`pixel_budget`) is reduced while
    decoding, its former size in ``info[DOWNSCALED_FROM]``; one above the budget's limit
    is refused before decoding.

    Raises:
        BadInputError: ``too_many_pixels``, ``too_small``, ``degenerate_page``,
            ``corrupt_image``, ``corrupt_pdf``.
    """
    budget = pixel_budget(memory_mb)
    if kind == "pdf":
        return _render_pdf_page(data, index, pdf_dpi, name, budget)
    what = f"Ảnh {name}"
    im = _open_image(data, name)
    try:
        if index:
            im.seek(index)
        dpi = im.info.get("dpi")
        full = im.size
        _check_pixels(full, budget, what)
        if full[0] * full[1] > budget.pixels:
            _reduce_decode(im, budget, what)
        im.load()
        orientation = _orientation(im)  # read now: a copy loses a TIFF's own tags
        if im.mode not in ("RGB", "L"):
            im = _to_8bit(im)
    except (OSError, ValueError, EOFError) as exc:
        raise BadInputError(f"Ảnh {name} bị hỏng hoặc cắt cụt", reason="corrupt_image") from exc
    im = _upright(_fit_budget(im, budget), orientation)  # reduce first: no full-size turned copy
    if dpi:
        scale = math.sqrt(im.width * im.height / (full[0] * full[1]))
        x, y = dpi if isinstance(dpi, tuple) else (dpi, dpi)
        im.info["dpi"] = (float(x) * scale, float(y) * scale)
    if im.size != full and (im.width * im.height) < full[0] * full[1]:
        im.info[DOWNSCALED_FROM] = full
    check_page_size(im.size, what)
    return im


def check_page_size(size: tuple[int, int], what: str) -> None:
    """Refuse a page too small or too elongated to be a scan (``what``: "Ảnh x.png")."""
    w, h = size
    if min(w, h) < MIN_SIDE:
        raise BadInputError(f"{what} quá nhỏ ({w}×{h} điểm ảnh)", reason="too_small")
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise BadInputError(
            f"{what} có kích thước bất thường ({w}×{h} điểm ảnh), không phải một trang",
            reason="degenerate_page",
        )


def _check_pixels(size: tuple[int, int], budget: PixelBudget, what: str) -> None:
    w, h = size
    if w * h > budget.limit:
        raise BadInputError(
            f"{what} quá lớn ({w}×{h} = {w * h / 1e6:.0f} triệu điểm ảnh, tối đa "
            f"{budget.limit / 1e6:.0f} triệu với SOHOA_PAGE_MEMORY_MB={budget.memory_bytes >> 20})",
            reason="too_many_pixels",
        )


def _reduce_decode(im: Image.Image, budget: PixelBudget, what: str) -> None:
    """Decode at the largest scale whose decoding fits the page memory, or refuse.

    JPEG decoders can reduce while decoding (1/2, 1/4, 1/8); other formats decode in full.
    The reduced copy made afterwards (:func:`_fit_budget`) is counted too.
    """
    w, h = im.size
    cost = _DECODE_COST.get(im.mode, 12)
    for d in (1, 2, 4, 8) if im.format == "JPEG" else (1,):
        size = (math.ceil(w / d), math.ceil(h / d))
        if size[0] * size[1] * cost + budget.pixels * 3 <= budget.memory_bytes:
            if d > 1:
                im.draft(im.mode, size)
            return
    raise BadInputError(
        f"{what} quá lớn để giải nén trong {budget.memory_bytes >> 20} MB "
        f"({w}×{h} điểm ảnh, {im.mode}); tăng SOHOA_PAGE_MEMORY_MB hoặc quét lại nhỏ hơn",
        reason="too_many_pixels",
    )


def _fit_budget(im: Image.Image, budget: PixelBudget) -> Image.Image:
    """Reduce an image above the pixel budget to fit it, keeping its proportions."""
    px = im.width * im.height
    if px <= budget.pixels:
        return im
    f = math.sqrt(budget.pixels / px)
    size = (max(1, math.floor(im.width * f)), max(1, math.floor(im.height * f)))
    info = dict(im.info)
    out = im.resize(size, Image.Resampling.LANCZOS)
    out.info.update(info)
    return out


#: EXIF orientation → the transposition making the page upright (``ImageOps.exif_transpose``'s)
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(im: Image.Image) -> int:
    """The EXIF (or XMP) orientation of a decoded image, 1 when it has none."""
    try:
        value = im.getexif().get(ExifTags.Base.Orientation, 1)
        return int(value) if isinstance(value, int) else 1
    except (OSError, ValueError, SyntaxError):  # a broken EXIF block: the pixels as they are
        return 1


def _upright(im: Image.Image, orientation: int) -> Image.Image:
    """Turn an image by its EXIF orientation; the result says it is upright."""
    method = _UPRIGHT.get(orientation)
    if method is None:
        return im
    info = dict(im.info)
    out = im.transpose(method)
    out.info.update(info)
    if "exif" in info:
        exif = Image.Exif()
        exif.load(info["exif"])
        exif.pop(ExifTags.Base.Orientation, None)
        out.info["exif"] = exif.tobytes()
    return out


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
        raise BadInputError(
            f"Ảnh {name} quá lớn (hơn {MAX_PIXELS // 1_000_000} triệu điểm ảnh, nghi bom giải nén)",
            reason="too_many_pixels",
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise BadInputError(
            f"Ảnh {name} bị hỏng hoặc không đọc được", reason="corrupt_image"
        ) from exc
    check_page_size((w, h), f"Ảnh {name}")
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


_PAGE_SIZE = re.compile(r"([\d.]+) x ([\d.]+) pts")


def _pdf_page_points(data: bytes, index: int) -> tuple[float, float] | None:
    """Width and height of a PDF page in points (pdfinfo), or None when not told."""
    from pdf2image import pdfinfo_from_bytes
    from pdf2image.exceptions import PDFPageCountError, PDFPopplerTimeoutError, PDFSyntaxError

    try:
        info = pdfinfo_from_bytes(data, first_page=index + 1, last_page=index + 1, timeout=60)
    except (PDFPageCountError, PDFSyntaxError, PDFPopplerTimeoutError, ValueError):
        return None  # the render below reports a broken PDF with its reason
    for key, value in info.items():
        m = _PAGE_SIZE.match(str(value)) if key.startswith("Page") and "size" in key else None
        if m:
            return float(m[1]), float(m[2])
    return None


def _render_pdf_page(
    data: bytes, index: int, dpi: int, name: str, budget: PixelBudget
) -> Image.Image:
    """Render one PDF page, checked like an image file: size known before, result after."""
    from pdf2image import convert_from_bytes
    from pdf2image.exceptions import PDFPageCountError, PDFSyntaxError

    what = f"Trang {index + 1} của PDF {name}"
    points = _pdf_page_points(data, index)
    full, render_dpi = None, dpi
    if points is not None:
        full = (round(points[0] * dpi / 72), round(points[1] * dpi / 72))
        check_page_size(full, what)
        _check_pixels(full, budget, what)
        if full[0] * full[1] > budget.pixels:
            render_dpi = max(1, math.floor(dpi * math.sqrt(budget.pixels / (full[0] * full[1]))))
    try:
        pages = convert_from_bytes(
            data, dpi=render_dpi, first_page=index + 1, last_page=index + 1, timeout=120
        )
    except (PDFPageCountError, PDFSyntaxError, ValueError) as exc:
        raise BadInputError(
            f"Không dựng được trang {index + 1} của PDF {name}", reason="corrupt_pdf"
        ) from exc
    if not pages:
        raise BadInputError(f"PDF {name} không có trang {index + 1}", reason="corrupt_pdf")
    # what poppler made, checked like an image file (it renders 1×1 a page it cannot draw)
    check_page_size(pages[0].size, what)
    _check_pixels(pages[0].size, budget, what)
    im = _fit_budget(pages[0] if pages[0].mode == "RGB" else pages[0].convert("RGB"), budget)
    scale = im.width / pages[0].width
    im.info["dpi"] = (render_dpi * scale, render_dpi * scale)
    if full is not None and render_dpi < dpi:
        im.info[DOWNSCALED_FROM] = full
    elif im.size != pages[0].size:
        im.info[DOWNSCALED_FROM] = pages[0].size
    return im
