"""Adapters for what users have today, so ``sohoa bench`` can compare in the same run.

- :func:`bare_tesseract_text`: ``tesseract IMAGE stdout -l vie --psm 3`` on the raw image, via
  the project's one Tesseract wrapper (:mod:`ocr.tesseract`).
- :func:`ocrmypdf_text`: the PyPI ``ocrmypdf`` with ``--deskew --clean --rotate-pages`` on the
  raw image; its ``--sidecar`` text.
- :func:`deskew_angle` / :func:`jdeskew_angle`: skew estimates of the PyPI ``deskew`` and
  ``jdeskew`` packages, in sohoa's sign convention.

sohoa's sign convention (DESIGN.md): a skew is the rotation of the content counter-clockwise in
degrees, as in Pillow: ``Image.rotate(a)`` of an upright page has skew ``a``. Both ``deskew``
and ``jdeskew`` answer the opposite (the angle that straightens the page, checked on pages
rotated by +4°, +5° and -7°), so their answers are negated here.

The optional packages (ocrmypdf, deskew, jdeskew) are imported inside the functions;
:func:`available` says which baselines can run, so a missing one is skipped with a note.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ocr import tesseract
from pipeline.errors import BadInputError, MissingToolError, SohoaError, ToolError
from schemas.models import nfc

log = logging.getLogger(__name__)

#: Resolution assumed for an image whose file claims none, or a non-credible one (≤ 96 dpi,
#: which OCRmyPDF itself refuses): the usual scan resolution of the civil-status books.
DEFAULT_DPI = 300
_MIN_CREDIBLE_DPI = 96

_OCRMYPDF_HINT = "Chưa cài OCRmyPDF: chạy `pip install ocrmypdf` (và `apt-get install unpaper`)"
_UNPAPER_HINT = "OCRmyPDF --clean cần unpaper: chạy `apt-get install unpaper`"

# OCRmyPDF exit codes (ocrmypdf.ExitCode): how each is reported.
_OCRMYPDF_EXIT: dict[int, tuple[type[SohoaError], str, str]] = {
    1: (ToolError, "ocrmypdf_bad_args", "OCRmyPDF không nhận các tham số"),
    2: (BadInputError, "ocrmypdf_input_file", "OCRmyPDF không đọc được tệp ảnh đầu vào"),
    3: (MissingToolError, "ocrmypdf_missing_dependency", "OCRmyPDF thiếu chương trình phụ trợ"),
    5: (ToolError, "ocrmypdf_file_access", "OCRmyPDF không ghi/đọc được tệp"),
    6: (BadInputError, "ocrmypdf_already_done_ocr", "Tệp đầu vào đã có lớp chữ"),
    7: (ToolError, "ocrmypdf_child_process", "Một chương trình con của OCRmyPDF bị lỗi"),
    8: (BadInputError, "ocrmypdf_encrypted_pdf", "Tệp PDF đầu vào bị mã hóa"),
    9: (ToolError, "ocrmypdf_invalid_config", "Cấu hình OCRmyPDF không hợp lệ"),
    10: (ToolError, "ocrmypdf_pdfa_failed", "OCRmyPDF không tạo được PDF/A"),
    15: (ToolError, "ocrmypdf_other_error", "OCRmyPDF lỗi"),
    130: (ToolError, "ocrmypdf_interrupted", "OCRmyPDF bị ngắt"),
}
#: "The output PDF did not validate": the sidecar is still the OCR text, so it is used.
_OCRMYPDF_INVALID_OUTPUT = 4


# --------------------------------------------------------------------------- running


def run_tool(
    args: Sequence[str], *, program: str, timeout: float, install_hint: str
) -> subprocess.CompletedProcess[str]:
    """Run an external program the way every baseline runs one.

    Logs the argv, pins ``OMP_THREAD_LIMIT=1`` (Tesseract inside it stays single-threaded),
    routes stderr line by line to the logger named ``program``, and on a timeout kills the
    whole process group (OCRmyPDF's Tesseract and unpaper children included).

    Returns:
        The completed process, whatever its exit code; the caller interprets it.

    Raises:
        MissingToolError: the executable does not exist (message: ``install_hint``).
        ToolError: the program ran out of time (reason ``"timeout"``).
    """
    argv = [os.fspath(a) for a in args]
    log.info("run %s", shlex.join(argv))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=env,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise MissingToolError(install_hint, reason=f"{program}_missing") from exc
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):  # the group may have just ended
            os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        _log_stderr(program, stderr)
        raise ToolError(
            f"{program} chạy quá {timeout:g} giây", reason="timeout", detail=shlex.join(argv)
        ) from exc
    _log_stderr(program, stderr)
    return subprocess.CompletedProcess(argv, proc.returncode, stdout, stderr)


def _log_stderr(program: str, stderr: str) -> None:
    tool_log = logging.getLogger(program)
    for line in stderr.splitlines():
        if line.strip():
            tool_log.info("%s", line.rstrip())


def _last_lines(text: str, n: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-n:])


# --------------------------------------------------------------------------- bare Tesseract


def bare_tesseract_text(
    image: Path, *, lang: str = "vie", psm: int = 3, timeout: float = 300
) -> str:
    """Text of ``tesseract IMAGE stdout -l LANG --psm PSM`` on the raw image, NFC.

    No preprocessing at all: this is what a user who runs Tesseract on a scan gets.

    Raises:
        MissingToolError: Tesseract or the language data is not installed.
        BadInputError: the image does not exist or Tesseract cannot read it.
        ToolError: Tesseract failed, or ran out of time (reason ``"timeout"``).
    """
    tesseract.probe(lang)
    if not image.is_file():
        raise BadInputError("Không tìm thấy tệp ảnh", reason="missing_image", detail=str(image))
    args = tesseract.build_args(
        image=image, out_base=tesseract.STDOUT, lang=lang, psm=psm, configs=()
    )
    start = time.perf_counter()
    proc = tesseract.run_tool(args, timeout=timeout)
    if tesseract.timed_out(proc):
        raise ToolError(f"Tesseract chạy quá {timeout:g} giây", reason="timeout", detail=str(image))
    log.info("bare tesseract %s: %.1f s", image.name, time.perf_counter() - start)
    return nfc(proc.stdout)


# --------------------------------------------------------------------------- OCRmyPDF


def image_dpi(image: Path, *, default: int = DEFAULT_DPI) -> int:
    """Horizontal resolution the image file claims, rounded; ``default`` when none is credible.

    OCRmyPDF refuses images without a resolution or with ≤ 96 dpi, so those get ``default``.
    """
    with Image.open(image) as im:
        dpi = im.info.get("dpi")
    try:
        x = float(dpi[0]) if dpi else 0.0
    except (TypeError, ValueError, IndexError):
        x = 0.0
    return round(x) if x > _MIN_CREDIBLE_DPI else default


def build_ocrmypdf_args(
    *, image: Path, output_pdf: Path, sidecar: Path, lang: str, dpi: int, jobs: int = 1
) -> list[str]:
    """Argv for one OCRmyPDF run on a page image (pure).

    OCRmyPDF runs as ``python -m ocrmypdf`` with this interpreter, so the copy installed beside
    sohoa is used even when its script directory is not on PATH. Options: ``--deskew --clean
    --rotate-pages`` (the cleanup a user would turn on for scans; ``--clean`` needs unpaper and
    cleans only the copy sent to OCR), ``--output-type pdf`` (no PDF/A conversion, so no
    Ghostscript), ``--image-dpi`` always (the file's own resolution, or the default). Not
    used: ``--force-ocr`` (an image has no text layer, so there is nothing to force) and
    ``--rotate-pages-threshold`` (OCRmyPDF's default, 14, is what users get).
    """
    return [
        sys.executable,
        "-m",
        "ocrmypdf",
        "--deskew",
        "--clean",
        "--rotate-pages",
        "-l",
        lang,
        "--jobs",
        str(jobs),
        "--output-type",
        "pdf",
        "--image-dpi",
        str(dpi),
        "--sidecar",
        os.fspath(sidecar),
        os.fspath(image),
        os.fspath(output_pdf),
    ]


def _ocrmypdf_failure(proc: subprocess.CompletedProcess[str]) -> SohoaError:
    kind, reason, message = _OCRMYPDF_EXIT.get(
        proc.returncode, (ToolError, "ocrmypdf_failed", "OCRmyPDF lỗi")
    )
    return kind(
        message, reason=reason, detail=f"exit {proc.returncode}: {_last_lines(proc.stderr)}"
    )


def ocrmypdf_text(image: Path, *, workdir: Path, lang: str = "vie", timeout: float = 600) -> str:
    """OCR the raw image with OCRmyPDF and return its sidecar text, NFC.

    Writes ``workdir/<stem>_ocrmypdf.pdf`` and ``.txt``. Takes about 6-8 s for an A4 page at
    300 dpi on one core (``--jobs 1``), against about 1 s for bare Tesseract: it runs Tesseract
    OSD, twice Tesseract ``--psm 2`` for the deskew angle, unpaper, then Tesseract for hOCR.

    Raises:
        MissingToolError: ocrmypdf, unpaper, Tesseract or the language data is missing.
        BadInputError: the image is unreadable (or has an alpha channel), or already has text.
        ToolError: OCRmyPDF failed or ran out of time (reason ``"timeout"``), or exited 0
            without writing the sidecar.
    """
    if importlib.util.find_spec("ocrmypdf") is None:
        raise MissingToolError(_OCRMYPDF_HINT, reason="ocrmypdf_missing")
    if shutil.which("unpaper") is None:
        raise MissingToolError(_UNPAPER_HINT, reason="unpaper_missing")
    tesseract.probe(lang)
    if not image.is_file():
        raise BadInputError("Không tìm thấy tệp ảnh", reason="missing_image", detail=str(image))
    workdir.mkdir(parents=True, exist_ok=True)
    output_pdf = workdir / f"{image.stem}_ocrmypdf.pdf"
    sidecar = workdir / f"{image.stem}_ocrmypdf.txt"
    for stale in (output_pdf, sidecar):
        stale.unlink(missing_ok=True)
    args = build_ocrmypdf_args(
        image=image, output_pdf=output_pdf, sidecar=sidecar, lang=lang, dpi=image_dpi(image)
    )
    start = time.perf_counter()
    proc = run_tool(args, program="ocrmypdf", timeout=timeout, install_hint=_OCRMYPDF_HINT)
    if proc.returncode == _OCRMYPDF_INVALID_OUTPUT and sidecar.is_file():
        log.warning("ocrmypdf: output PDF did not validate; using its sidecar text anyway")
    elif proc.returncode != 0:
        raise _ocrmypdf_failure(proc)
    if not sidecar.is_file():
        raise ToolError(
            "OCRmyPDF chạy xong nhưng không tạo tệp văn bản",
            reason="ocrmypdf_no_output",
            detail=str(sidecar),
        )
    log.info("ocrmypdf %s: %.1f s", image.name, time.perf_counter() - start)
    return nfc(sidecar.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- skew estimators


def _check_gray(gray: np.ndarray) -> None:
    if gray.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale array, got shape {gray.shape}")


def _ccw(angle: float) -> float:
    """Negate a "rotate by this to straighten" angle into sohoa's counter-clockwise skew."""
    return 0.0 - float(angle)  # 0.0 - x: never -0.0


def deskew_angle(gray: np.ndarray, *, min_deviation: float = 1.0) -> float | None:
    """Skew of the page by the PyPI ``deskew`` package (Canny edges + Hough lines).

    Args:
        gray: 2-D grayscale page.
        min_deviation: angle step in degrees; 1.0 is the package's default (what users get),
            so answers are whole degrees. 0.1 is finer and about 4 times slower.

    Returns:
        Counter-clockwise skew in degrees (Pillow's sign), or None when ``deskew`` finds no
        line (e.g. a blank page). ``deskew`` cannot tell quarter turns apart: on a page with
        strong vertical rules it may answer about ±45° off.
    """
    from deskew import determine_skew

    _check_gray(gray)
    angle = determine_skew(gray, min_deviation=min_deviation)
    return None if angle is None else _ccw(angle)


def jdeskew_angle(gray: np.ndarray, *, angle_max: float = 15.0) -> float | None:
    """Skew of the page by the PyPI ``jdeskew`` package (adaptive radial projection of the FFT).

    Args:
        gray: 2-D grayscale page, full resolution.
        angle_max: search range ±degrees; 15 is the package's default.

    Returns:
        Counter-clockwise skew in degrees (Pillow's sign), or None for a page with no contrast
        at all (``jdeskew`` itself would answer 0.0 there). It answers 0.0 too when its best
        angle is at the edge of the range.
    """
    from jdeskew.estimator import get_angle

    _check_gray(gray)
    if gray.size == 0 or int(gray.max()) == int(gray.min()):
        return None
    return _ccw(get_angle(np.ascontiguousarray(gray), angle_max=angle_max))


# --------------------------------------------------------------------------- availability


def _package_version(module: str) -> str | None:
    try:
        importlib.import_module(module)
        return importlib.metadata.version(module)
    except (ImportError, importlib.metadata.PackageNotFoundError) as exc:
        log.info("baseline %s unavailable: %s", module, exc)
        return None


def _tesseract_version(lang: str) -> str | None:
    try:
        return tesseract.probe(lang)
    except SohoaError as exc:
        log.info("baseline tesseract unavailable: %s", exc)
        return None


def available(*, lang: str = "vie") -> dict[str, str | None]:
    """Version of each baseline's tool, or None when that baseline cannot run here.

    Keys: ``"tesseract"`` (bare Tesseract with ``lang``), ``"ocrmypdf"`` (None also when
    unpaper or Tesseract is missing, since ``--clean`` and OCR need them), ``"deskew"``,
    ``"jdeskew"``.
    """
    tess = _tesseract_version(lang)
    ocrmypdf = _package_version("ocrmypdf")
    if ocrmypdf is not None and (tess is None or shutil.which("unpaper") is None):
        log.info("baseline ocrmypdf unavailable: needs unpaper and tesseract with %s", lang)
        ocrmypdf = None
    return {
        "tesseract": tess,
        "ocrmypdf": ocrmypdf,
        "deskew": _package_version("deskew"),
        "jdeskew": _package_version("jdeskew"),
    }
