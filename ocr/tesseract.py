"""The one wrapper around the ``tesseract`` binary.

Everything that runs Tesseract goes through :func:`run_tool`, which logs the argv, routes
stderr to the ``"tesseract"`` logger, pins ``OMP_THREAD_LIMIT=1`` (pages are parallelised by the
caller, not inside Tesseract) and sorts failures into soft ones (a timeout: an empty result
flagged for review) and hard ones (an unknown non-zero exit: :class:`ToolError`).
:func:`build_args`, :func:`parse_tsv` and :func:`parse_osd` are pure.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from ocr.postprocess import annotate_page
from pipeline.errors import BadInputError, MissingToolError, ToolError
from schemas.models import OcrLine, OcrPage, OcrWord, nfc

log = logging.getLogger(__name__)
tool_log = logging.getLogger("tesseract")

PROGRAM = "tesseract"
#: ``out_base`` that makes Tesseract write to stdout.
STDOUT = Path("-")
#: Return code of the :class:`subprocess.CompletedProcess` that :func:`run_tool` hands back when
#: the program ran out of time (the convention of GNU ``timeout``).
TIMEOUT_RETURNCODE = 124
#: Warning codes sohoa itself adds to :attr:`OcrPage.warnings` (stderr lines are kept verbatim).
WARN_TIMEOUT = "timeout"
WARN_EMPTY = "empty_page"

_INSTALL_HINT = "Chưa cài Tesseract: chạy `apt-get install tesseract-ocr tesseract-ocr-vie`"
_OSD_SOFT_STDERR = ("Too few characters", "Error during processing")
_BANNER_RE = re.compile(r"^Tesseract Open Source OCR Engine")


def _lang_package(lang: str) -> str:
    return "tesseract-ocr-" + lang.lower().replace("_", "-")


def _missing_lang(lang: str) -> MissingToolError:
    return MissingToolError(
        f"Chưa có dữ liệu ngôn ngữ '{lang}' cho Tesseract: "
        f"chạy `apt-get install {_lang_package(lang)}`",
        reason="tesseract_lang_missing",
    )


# --------------------------------------------------------------------------- running


def build_args(
    *,
    image: Path,
    out_base: Path,
    lang: str,
    psm: int,
    configs: Sequence[str],
    dpi: int | None = None,
) -> list[str]:
    """Argv for one Tesseract run (pure).

    Args:
        image: input image file (Tesseract reads it itself; never hand over PIL images).
        out_base: output path without extension, or :data:`STDOUT`.
        lang: language(s), e.g. ``"vie"`` or ``"vie+eng"``; ``"osd"`` for orientation.
        psm: page segmentation mode (0 = orientation and script detection only).
        configs: config names that pick the outputs, e.g. ``("tsv", "hocr")``.
        dpi: resolution of the image when its file does not say (``--dpi``).
    """
    extra = ["--dpi", str(dpi)] if dpi else []
    return [
        PROGRAM,
        os.fspath(image),
        os.fspath(out_base),
        "-l",
        lang,
        "--psm",
        str(psm),
        *extra,
        *configs,
    ]


def timed_out(proc: subprocess.CompletedProcess[str]) -> bool:
    """True when :func:`run_tool` stopped the program at its timeout."""
    return proc.returncode == TIMEOUT_RETURNCODE


def _as_text(data: str | bytes | None) -> str:
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return data or ""


def _log_stderr(stderr: str) -> None:
    for line in stderr.splitlines():
        if line.strip():
            tool_log.info("%s", line.rstrip())


def _failure(args: Sequence[str], proc: subprocess.CompletedProcess[str]) -> Exception:
    stderr = proc.stderr
    detail = f"exit {proc.returncode}: {' | '.join(stderr.strip().splitlines()[-3:])}"
    if "Failed loading language" in stderr or "couldn't load any languages" in stderr:
        match = re.search(r"Failed loading language '([^']+)'", stderr)
        return _missing_lang(match[1] if match else "vie")
    if "cannot be read" in stderr or "cannot read input file" in stderr:
        return BadInputError(
            "Tesseract không đọc được tệp ảnh", reason="unreadable_image", detail=detail
        )
    return ToolError(f"Tesseract lỗi: {shlex.join(args)}", reason="tesseract_failed", detail=detail)


def run_tool(
    args: Sequence[str], *, timeout: float, soft_stderr: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """Run Tesseract and sort the outcome.

    Args:
        args: the argv, usually from :func:`build_args`.
        timeout: seconds before the process is killed.
        soft_stderr: stderr fragments that make a non-zero exit an expected, soft failure
            (e.g. "Too few characters" from orientation detection); the caller interprets it.

    Returns:
        The completed process. After a timeout its ``returncode`` is
        :data:`TIMEOUT_RETURNCODE` (see :func:`timed_out`) — a soft failure, not an exception.

    Raises:
        MissingToolError: the binary or the requested language data is not installed.
        BadInputError: Tesseract cannot read the image.
        ToolError: any other non-zero exit.
    """
    argv = list(args)
    log.debug("run %s", shlex.join(argv))
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            env=env,
            check=False,
        )
    except FileNotFoundError as exc:
        raise MissingToolError(_INSTALL_HINT, reason="tesseract_missing") from exc
    except subprocess.TimeoutExpired as exc:
        stderr = _as_text(exc.stderr)
        _log_stderr(stderr)
        tool_log.warning("timed out after %s s: %s", timeout, shlex.join(argv))
        return subprocess.CompletedProcess(argv, TIMEOUT_RETURNCODE, _as_text(exc.stdout), stderr)
    _log_stderr(proc.stderr)
    if proc.returncode != 0 and not any(s in proc.stderr for s in soft_stderr):
        raise _failure(argv, proc)
    return proc


@functools.cache
def probe(lang: str = "vie") -> str:
    """Check that Tesseract and the language data are installed; return its version.

    The answer is cached for the process (``probe.cache_clear()`` forgets it).

    Args:
        lang: language(s) that must be available, ``"+"``-separated.

    Raises:
        MissingToolError: with the Debian package to install, in Vietnamese.
    """
    if shutil.which(PROGRAM) is None:
        raise MissingToolError(_INSTALL_HINT, reason="tesseract_missing")
    out = run_tool([PROGRAM, "--version"], timeout=30)
    match = re.search(r"tesseract\s+v?(\d+\.\d+\S*)", out.stdout + out.stderr)
    if match is None:
        raise ToolError("Không đọc được phiên bản Tesseract", detail=out.stdout[:200])
    listed = run_tool([PROGRAM, "--list-langs"], timeout=30).stdout.splitlines()[1:]
    available = {line.strip() for line in listed}
    for needed in lang.split("+"):
        if needed not in available:
            raise _missing_lang(needed)
    return match[1]


# --------------------------------------------------------------------------- parsing (pure)

_TSV_HEADER = tuple(
    "level page_num block_num par_num line_num word_num left top width height conf text".split()
)


def _tsv_rows(text: str) -> list[list[str]]:
    rows = text.splitlines()
    if not rows:
        return []
    if tuple(rows[0].split("\t")) != _TSV_HEADER:
        raise ValueError("not a Tesseract TSV: unexpected header")
    out = []
    for row in rows[1:]:
        cells = row.split("\t", len(_TSV_HEADER) - 1)
        if len(cells) >= len(_TSV_HEADER) - 1:
            out.append(cells + [""] * (len(_TSV_HEADER) - len(cells)))
    return out


def _union(boxes: Sequence[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    left = min(b[0] for b in boxes)
    top = min(b[1] for b in boxes)
    right = max(b[0] + b[2] for b in boxes)
    bottom = max(b[1] + b[3] for b in boxes)
    return (left, top, right - left, bottom - top)


def parse_tsv(text: str) -> list[OcrLine]:
    """Turn Tesseract's TSV output into lines of words, in Tesseract's reading order.

    Only word rows (level 5) with a confidence are kept (Tesseract writes -1 for structure rows
    and empty words). Words are grouped by (page, block, paragraph, line); a line's box is the
    union of its word boxes. Confidence is scaled to [0, 1]; text is NFC.

    Raises:
        ValueError: the text is not Tesseract TSV.
    """
    groups: dict[tuple[str, ...], list[OcrWord]] = {}
    for cells in _tsv_rows(text):
        level, page, block, par, line = cells[:5]
        conf, word = float(cells[10]), nfc(cells[11].strip())
        if level != "5" or conf < 0 or not word:
            continue
        left, top, width, height = (int(c) for c in cells[6:10])
        groups.setdefault((page, block, par, line), []).append(
            OcrWord(
                text=word,
                conf=min(max(conf / 100.0, 0.0), 1.0),
                bbox=(left, top, width, height),
                block=int(block),
                par=int(par),
                line=int(line),
            )
        )
    return [OcrLine(words=ws, bbox=_union([w.bbox for w in ws])) for ws in groups.values()]


def tsv_page_size(text: str) -> tuple[int, int] | None:
    """(width, height) of the page from the TSV's level-1 row, or None if there is none."""
    for cells in _tsv_rows(text):
        if cells[0] == "1":
            return int(cells[8]), int(cells[9])
    return None


def parse_osd(text: str) -> tuple[int, float] | None:
    """Read Tesseract's OSD report (``--psm 0``).

    Returns:
        (degrees the page is turned counter-clockwise from upright, Tesseract's orientation
        confidence), or None when the report has no rotation. Tesseract's ``Rotate: R`` is the
        clockwise rotation that fixes the page, i.e. the page is turned R° counter-clockwise —
        the sohoa ``orientation_deg``. (``Orientation in degrees`` is the opposite sign.)
    """
    rotate = re.search(r"^Rotate:\s*(\d+)", text, re.MULTILINE)
    conf = re.search(r"^Orientation confidence:\s*([\d.]+)", text, re.MULTILINE)
    if rotate is None or int(rotate[1]) % 360 not in (0, 90, 180, 270):
        return None
    return int(rotate[1]) % 360, float(conf[1]) if conf else 0.0


def _stderr_signals(stderr: str) -> list[str]:
    lines = (line.strip() for line in stderr.splitlines())
    return [line for line in lines if line and not _BANNER_RE.match(line)]


# --------------------------------------------------------------------------- use cases


@dataclass(frozen=True)
class OcrResult:
    """What one OCR run of a page gives.

    Attributes:
        page: words and lines with boxes and confidences; ``page.warnings`` holds the signals.
        hocr: the hOCR document ("" after a timeout).
        tsv_path: the TSV file Tesseract wrote (None after a timeout).
        hocr_path: the hOCR file Tesseract wrote (None after a timeout).
        warnings: same as ``page.warnings``: Tesseract's stderr lines ("Detected 12
            diacritics", "Empty page!!", ...) plus :data:`WARN_TIMEOUT` / :data:`WARN_EMPTY`.
    """

    page: OcrPage
    hocr: str
    tsv_path: Path | None
    hocr_path: Path | None
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_review(self) -> bool:
        """True for a soft failure: the run timed out or found no text."""
        return WARN_TIMEOUT in self.warnings or WARN_EMPTY in self.warnings


def _output(out_base: Path, ext: str) -> Path:
    return out_base.with_name(f"{out_base.name}.{ext}")


def _read_outputs(out_base: Path) -> tuple[Path, Path]:
    tsv_path, hocr_path = _output(out_base, "tsv"), _output(out_base, "hocr")
    missing = [p.name for p in (tsv_path, hocr_path) if not p.is_file()]
    if missing:
        raise ToolError(
            "Tesseract chạy xong nhưng không tạo tệp kết quả",
            reason="tesseract_no_output",
            detail=", ".join(missing),
        )
    return tsv_path, hocr_path


def ocr_image(
    image: Path,
    *,
    workdir: Path,
    lang: str = "vie",
    psm: int = 3,
    timeout: float = 180,
    dpi: int | None = None,
) -> OcrResult:
    """OCR one page image with one Tesseract run that writes both TSV and hOCR.

    Outputs are ``workdir/<stem>_ocr.tsv`` and ``.hocr``. A timeout or a page without text is
    a soft failure: an empty page with a warning (:attr:`OcrResult.needs_review`).

    Raises:
        MissingToolError: Tesseract or the language data is not installed.
        BadInputError: the image does not exist or Tesseract cannot read it.
        ToolError: Tesseract failed, or exited 0 without writing its outputs.
    """
    version = probe(lang)
    if not image.is_file():
        raise BadInputError("Không tìm thấy tệp ảnh", reason="missing_image", detail=str(image))
    workdir.mkdir(parents=True, exist_ok=True)
    out_base = workdir / f"{image.stem}_ocr"
    for stale in (_output(out_base, "tsv"), _output(out_base, "hocr")):
        stale.unlink(missing_ok=True)
    args = build_args(
        image=image, out_base=out_base, lang=lang, psm=psm, configs=("tsv", "hocr"), dpi=dpi
    )
    proc = run_tool(args, timeout=timeout)
    if timed_out(proc):
        return _timed_out_result(image, proc.stderr, version=version, lang=lang, psm=psm)
    tsv_path, hocr_path = _read_outputs(out_base)
    tsv = tsv_path.read_text(encoding="utf-8")
    try:
        lines, size = parse_tsv(tsv), tsv_page_size(tsv)
    except ValueError as exc:
        raise ToolError("Tệp TSV của Tesseract không hợp lệ", detail=str(exc)) from exc
    if size is None:
        raise ToolError("Tệp TSV của Tesseract không có dòng trang", detail=str(tsv_path))
    warnings = _stderr_signals(proc.stderr) + ([] if lines else [WARN_EMPTY])
    page = OcrPage(
        width=size[0],
        height=size[1],
        lines=lines,
        warnings=warnings,
        engine_version=version,
        lang=lang,
        psm=psm,
    )
    page = annotate_page(page)
    hocr = nfc(hocr_path.read_text(encoding="utf-8"))
    log.debug("ocr %s: %d lines, warnings=%s", image.name, len(lines), warnings)
    return OcrResult(
        page=page, hocr=hocr, tsv_path=tsv_path, hocr_path=hocr_path, warnings=warnings
    )


def _timed_out_result(image: Path, stderr: str, *, version: str, lang: str, psm: int) -> OcrResult:
    """A soft failure: an empty page of the image's size with the timeout warning."""
    with Image.open(image) as im:
        width, height = im.size
    warnings = [*_stderr_signals(stderr), WARN_TIMEOUT]
    page = OcrPage(
        width=width,
        height=height,
        lines=[],
        warnings=warnings,
        engine_version=version,
        lang=lang,
        psm=psm,
    )
    return OcrResult(page=page, hocr="", tsv_path=None, hocr_path=None, warnings=warnings)


def detect_orientation(image: Path, *, timeout: float = 60) -> tuple[int, float] | None:
    """Estimate how far the page is turned, with Tesseract OSD (``--psm 0 -l osd``).

    Returns:
        (0, 90, 180 or 270 degrees counter-clockwise from upright — ``Image.rotate(90,
        expand=True)`` of an upright page gives 90 —, Tesseract's orientation confidence, an
        unbounded score where ~15 is typical for a clear page), or None when OSD cannot decide
        ("Too few characters") or times out.
    """
    probe("osd")
    args = build_args(image=image, out_base=STDOUT, lang="osd", psm=0, configs=())
    proc = run_tool(args, timeout=timeout, soft_stderr=_OSD_SOFT_STDERR)
    if timed_out(proc) or proc.returncode != 0:
        return None
    result = parse_osd(proc.stdout)
    log.debug("orientation of %s: %s", image.name, result)
    return result


class TesseractEngine:
    """The Tesseract adapter of ``pipeline.ports.OcrEngine``."""

    def read(
        self,
        image: Path,
        *,
        workdir: Path,
        lang: str,
        timeout: float,
        dpi: int | None,
        psm: int = 3,
    ) -> OcrResult:
        """OCR one page (see :func:`ocr_image`)."""
        return ocr_image(image, workdir=workdir, lang=lang, psm=psm, timeout=timeout, dpi=dpi)

    def orientation(self, image: Path) -> tuple[int, float] | None:
        """Tesseract OSD (see :func:`detect_orientation`)."""
        return detect_orientation(image)
