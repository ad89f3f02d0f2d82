"""TWAIN scanners (Windows), through the ``pytwain`` package (``import twain``).

Most scan-station PCs run Windows with the vendor's TWAIN driver. ``pytwain`` is
installed only there (``pytwain; sys_platform == "win32"``) and imported only when a
scan starts; tests pass a fake module with the same small surface:
``SourceManager(parent)`` (a context manager with ``source_list`` and
``open_source(name)``), a source with ``set_capability``, ``image_info``,
``request_acquire`` and ``xfer_image_natively``, ``dib_to_bm_file(handle)`` returning
BMP bytes, and the ``ICAP_*``/``CAP_*``/``TWTY_*``/``TWPT_*`` constants.
"""

from __future__ import annotations

import io
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PIL import Image

from pipeline.intake.capture import DEFAULT_SCAN_DPI, CaptureError, check_dpi
from pipeline.ports import ScannedPage

log = logging.getLogger(__name__)

#: pytwain exception class name → (reason, message for the operator)
_ERRORS: dict[str, tuple[str, str]] = {
    "PaperJam": ("paper_jam", "Kẹt giấy trong khay nạp: gỡ tờ bị kẹt rồi quét tiếp."),
    "PaperDoubleFeedError": (
        "paper_jam",
        "Khay nạp kéo hai tờ một lúc: đặt lại các trang chưa quét rồi quét tiếp.",
    ),
    "CheckDeviceOnlineError": (
        "device_gone",
        "Máy quét không phản hồi (cáp USB, nguồn điện?): kiểm tra rồi quét tiếp.",
    ),
    "DSTransferCancelled": ("cancelled", "Lần quét đã bị hủy trên máy quét."),
    "NoDataSourceError": ("device_not_found", "Không tìm thấy nguồn TWAIN nào (chưa cài driver?)."),
    "MaxConnectionsError": (
        "device_busy",
        "Máy quét đang được chương trình khác dùng: đóng chương trình đó rồi thử lại.",
    ),
    "DeniedError": ("device_busy", "Máy quét từ chối yêu cầu (đang bận?)."),
    "SMLoadFileFailed": (
        "twain_missing",
        "Không nạp được TWAIN (TWAINDSM.dll): cài lại driver TWAIN của máy quét.",
    ),
}


def translate(exc: Exception) -> CaptureError:
    """A pytwain exception as a :class:`CaptureError` (by class name, so fakes work)."""
    for cls in type(exc).__mro__:
        if cls.__name__ in _ERRORS:
            reason, message = _ERRORS[cls.__name__]
            return CaptureError(message, reason=reason, detail=cls.__name__)
    return CaptureError(
        f"Máy quét TWAIN báo lỗi: {type(exc).__name__}",
        reason="scanner_error",
        detail=str(exc),
    )


def load_twain() -> Any:
    """Import pytwain (Windows only)."""
    if sys.platform != "win32":
        raise CaptureError(
            "TWAIN chỉ có trên Windows; trên Linux dùng máy quét qua SANE (--device).",
            reason="twain_unavailable",
        )
    try:
        import twain  # type: ignore[import-not-found]
    except ImportError as exc:  # pragma: no cover - Windows only
        raise CaptureError(
            "Thiếu gói pytwain: chạy `pip install pytwain`", reason="twain_missing"
        ) from exc
    return twain


@dataclass(frozen=True)
class TwainOptions:
    """How to scan through TWAIN."""

    source_name: str
    dpi: int = DEFAULT_SCAN_DPI
    colour: bool = True
    adf: bool = False
    max_pages: int | None = None


class TwainSource:
    """A TWAIN data source as a :class:`~pipeline.ports.PageSource`."""

    def __init__(
        self, options: TwainOptions, *, module: Any = None, parent_window: Any = None
    ) -> None:
        check_dpi(options.dpi)
        self.options = options
        self._module = module
        self._parent = parent_window

    def describe(self) -> str:
        """Source name and settings."""
        o = self.options
        return f"TWAIN {o.source_name} ({'khay nạp' if o.adf else 'mặt kính'}, {o.dpi} dpi)"

    def _configure(self, tw: Any, src: Any) -> None:
        o = self.options
        src.set_capability(tw.ICAP_XRESOLUTION, tw.TWTY_FIX32, float(o.dpi))
        src.set_capability(tw.ICAP_YRESOLUTION, tw.TWTY_FIX32, float(o.dpi))
        pixel = tw.TWPT_RGB if o.colour else tw.TWPT_GRAY
        src.set_capability(tw.ICAP_PIXELTYPE, tw.TWTY_UINT16, pixel)
        try:
            src.set_capability(tw.CAP_FEEDERENABLED, tw.TWTY_BOOL, bool(o.adf))
            if o.adf:
                src.set_capability(tw.CAP_AUTOFEED, tw.TWTY_BOOL, True)
        except Exception as exc:
            if o.adf:
                raise CaptureError(
                    f"Nguồn TWAIN {o.source_name} không có khay nạp giấy", reason="no_adf"
                ) from exc
        count = o.max_pages if o.max_pages else -1
        src.set_capability(tw.CAP_XFERCOUNT, tw.TWTY_INT16, count)

    def acquire(self) -> Iterator[ScannedPage]:
        """Transfer pages natively, one by one, until the source has no more."""
        tw = self._module or load_twain()
        o = self.options
        twain_error = getattr(getattr(tw, "exceptions", None), "TwainError", Exception)
        try:
            with tw.SourceManager(self._parent) as sm:
                if o.source_name not in sm.source_list:
                    known = ", ".join(sm.source_list) or "không có nguồn nào"
                    raise CaptureError(
                        f"Không tìm thấy máy quét TWAIN {o.source_name}. Đang thấy: {known}",
                        reason="device_not_found",
                    )
                src = sm.open_source(o.source_name)
                try:
                    yield from self._transfer(tw, src)
                finally:
                    src.close()
        except twain_error as exc:
            raise translate(exc) from exc

    def _transfer(self, tw: Any, src: Any) -> Iterator[ScannedPage]:
        o = self.options
        self._configure(tw, src)
        src.request_acquire(show_ui=False, modal_ui=False)
        count, more = 0, 1
        while more and (o.max_pages is None or count < o.max_pages):
            dpi = float(src.image_info.get("XResolution") or o.dpi)
            check_dpi(dpi)
            handle, more = src.xfer_image_natively()
            try:
                image = Image.open(io.BytesIO(tw.dib_to_bm_file(handle)))
                image.load()
            finally:
                free = getattr(tw, "global_handle_free", None)
                if free is not None:
                    free(handle)
            count += 1
            image.info["dpi"] = (dpi, dpi)
            yield ScannedPage(image=image, dpi=dpi, origin=f"twain #{count}")
