"""SANE scanners (Linux): flatbed or document feeder, through python-sane.

``python-sane`` is built against ``libsane-dev``; it is imported when a scan starts, so
the rest of sohoa works on machines without it. Faults of the device (jam, cover open,
busy, gone) become :class:`~pipeline.intake.capture.CaptureError` with a Vietnamese message;
pages delivered before the fault have already been handed to the caller.
"""

from __future__ import annotations

import ctypes
import logging
import re
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pipeline.intake.capture import DEFAULT_SCAN_DPI, CaptureError, check_dpi
from pipeline.ports import ScannedPage

log = logging.getLogger(__name__)

#: sane_strstatus() text → (reason, message for the operator, retryable)
_STATUS: dict[str, tuple[str, str, bool]] = {
    "Document feeder out of documents": (
        "no_paper",
        "Khay nạp giấy trống: đặt giấy vào khay rồi quét lại.",
        False,
    ),
    "Document feeder jammed": (
        "paper_jam",
        "Kẹt giấy trong khay nạp: gỡ tờ bị kẹt, đặt lại các trang chưa quét rồi quét tiếp.",
        False,
    ),
    "Scanner cover is open": ("cover_open", "Nắp máy quét đang mở: đóng nắp rồi quét tiếp.", True),
    "Device busy": (
        "device_busy",
        "Máy quét đang bận (chương trình khác đang dùng): đợi hoặc đóng chương trình đó.",
        True,
    ),
    "Error during device I/O": (
        "device_gone",
        "Mất kết nối với máy quét (cáp USB, nguồn điện?): kiểm tra rồi quét tiếp.",
        False,
    ),
    "Operation was cancelled": ("cancelled", "Lần quét đã bị hủy.", False),
    "Access to resource has been denied": (
        "access_denied",
        "Không có quyền dùng máy quét (thêm người dùng vào nhóm scanner).",
        False,
    ),
    "Out of memory": ("scanner_error", "Máy quét báo hết bộ nhớ.", False),
}


def translate(exc: Exception, device: str) -> CaptureError:
    """Turn a ``_sane.error`` into a :class:`CaptureError` with a reason."""
    text = str(exc.args[0] if exc.args else exc)
    reason, message, retryable = _STATUS.get(
        text, ("scanner_error", f"Máy quét {device} báo lỗi: {text}", False)
    )
    err = CaptureError(message, reason=reason, detail=text)
    err.retryable = retryable
    return err


def ignore_sigpipe() -> None:
    """Put SIGPIPE back to "ignored", as Python needs it.

    libsane (its test backend at least) resets SIGPIPE to the default action while scanning.
    Python relies on it being ignored: a write to a closed socket or pipe (an S3 upload, a
    child process) must raise BrokenPipeError, not kill the whole process.
    """
    try:
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    except ValueError:  # not the main thread: set the process-wide disposition in C
        libc = ctypes.CDLL(None)
        libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.signal(int(signal.SIGPIPE), ctypes.c_void_p(1))  # 1 = SIG_IGN


def _sane() -> Any:
    try:
        import sane
    except ImportError as exc:  # pragma: no cover - depends on the machine
        from pipeline.errors import MissingToolError

        raise MissingToolError(
            "Thiếu python-sane: cài `apt-get install libsane-dev sane-utils` rồi "
            "`pip install python-sane`"
        ) from exc
    return sane


def _error_type() -> type[Exception]:
    import _sane

    return _sane.error


def list_devices() -> list[dict[str, str]]:
    """Scanners SANE sees: name, vendor, model, type."""
    sane = _sane()
    sane.init()
    return [{"name": d[0], "vendor": d[1], "model": d[2], "type": d[3]} for d in sane.get_devices()]


def device_options(device: str) -> list[dict[str, Any]]:
    """The options of one scanner (name, value, allowed values), for ``--list``."""
    sane = _sane()
    sane.init()
    dev = _open(sane, device)
    try:
        out = []
        for name, opt in dev.opt.items():
            if not name or not opt.is_active():
                continue
            try:
                value = getattr(dev, name)
            except (AttributeError, _error_type()):
                value = None
            out.append({"name": name, "value": value, "allowed": opt.constraint})
        return out
    finally:
        dev.close()


def _open(sane: Any, device: str) -> Any:
    try:
        return sane.open(device)
    except _error_type() as exc:
        names = [d[0] for d in sane.get_devices()]
        if device not in names:
            known = ", ".join(names) or "không có máy nào"
            raise CaptureError(
                f"Không tìm thấy máy quét {device} (chưa cắm, chưa bật nguồn?). "
                f"Máy đang thấy: {known}",
                reason="device_not_found",
            ) from exc
        raise translate(exc, device) from exc


def _pick(constraint: Any, pattern: str) -> str | None:
    if isinstance(constraint, list):
        for value in constraint:
            if isinstance(value, str) and re.search(pattern, value, re.IGNORECASE):
                return value
    return None


@dataclass(frozen=True)
class SaneOptions:
    """How to scan: device, resolution, colour, feeder."""

    device: str
    dpi: int = DEFAULT_SCAN_DPI
    colour: bool = True
    adf: bool = False
    max_pages: int | None = None
    #: further backend options by python-sane name, e.g. ``{"br_x": 210.0}``
    extra: dict[str, Any] = field(default_factory=dict)


class SaneSource:
    """A SANE scanner as a :class:`~pipeline.ports.PageSource`.

    With the feeder it scans until the feeder is empty (or ``max_pages``); on the flatbed
    it scans one page, then asks ``next_page(pages_so_far)`` before each further page.
    """

    def __init__(
        self, options: SaneOptions, *, next_page: Callable[[int], bool] | None = None
    ) -> None:
        check_dpi(options.dpi)
        self.options = options
        self.next_page = next_page
        #: the open python-sane device while scanning (None otherwise)
        self.device: Any = None

    def describe(self) -> str:
        """Device name and settings."""
        o = self.options
        return f"SANE {o.device} ({'khay nạp' if o.adf else 'mặt kính'}, {o.dpi} dpi)"

    def _configure(self, dev: Any) -> float:
        o = self.options
        if "mode" in dev.opt:
            mode = _pick(dev.opt["mode"].constraint, "colou?r" if o.colour else "gr[ae]y")
            if mode:
                dev.mode = mode
        if "source" in dev.opt:
            wanted = r"adf|feeder" if o.adf else r"flatbed|platen"
            source = _pick(dev.opt["source"].constraint, wanted)
            if source is None and o.adf:
                raise CaptureError(
                    f"Máy quét {o.device} không có khay nạp giấy tự động", reason="no_adf"
                )
            if source:
                dev.source = source
        dev.resolution = o.dpi
        for name, value in o.extra.items():
            setattr(dev, name, value)
        actual = float(dev.resolution)
        check_dpi(actual)
        return actual

    def acquire(self) -> Iterator[ScannedPage]:
        """Scan pages one by one; each is handed over before the next is fed."""
        sane = _sane()
        sane_error = _error_type()
        sane.init()
        o = self.options
        dev = self.device = _open(sane, o.device)
        try:
            try:
                dpi = self._configure(dev)
            except sane_error as exc:
                raise translate(exc, o.device) from exc
            count = 0
            while o.max_pages is None or count < o.max_pages:
                if not o.adf and count and (self.next_page is None or not self.next_page(count)):
                    break
                try:
                    image = dev.scan()
                except sane_error as exc:
                    ignore_sigpipe()
                    err = translate(exc, o.device)
                    if err.reason == "no_paper" and o.adf and count:
                        log.info("feeder empty after %d pages", count)
                        break
                    raise err from exc
                ignore_sigpipe()
                count += 1
                image.info["dpi"] = (dpi, dpi)
                yield ScannedPage(image=image, dpi=dpi, origin=f"{o.device} #{count}")
        finally:
            self.device = None
            try:
                dev.close()
            except sane_error:
                log.warning("closing %s failed (device gone?)", o.device)
            ignore_sigpipe()
