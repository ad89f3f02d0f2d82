"""Tests for bench/baselines.py.

Pure parts (argv, dpi, exit-code mapping, the runner) run everywhere; tests marked
``tesseract`` run the real baselines on a clean Vietnamese page rendered here at 300 dpi, and
skip a baseline whose package or program is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from bench import baselines
from bench.baselines import (
    DEFAULT_DPI,
    available,
    bare_tesseract_text,
    build_ocrmypdf_args,
    image_dpi,
    run_tool,
)
from bench.metrics import cer
from pipeline.errors import BadInputError, MissingToolError, ToolError

FONT = Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf")
HAS_TESSERACT = shutil.which("tesseract") is not None
needs_tesseract = pytest.mark.skipif(not HAS_TESSERACT, reason="tesseract binary not installed")

LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "TRÍCH LỤC KHAI SINH",
    "Họ, chữ đệm, tên: Nguyễn Thu Huyền",
    "Ngày, tháng, năm sinh: 22/11/2011",
    "Giới tính: Nữ Dân tộc: Thái Quốc tịch: Việt Nam",
    "Nơi sinh: xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An",
    "Quê quán: xã Quỳnh Hưng, huyện Quỳnh Lưu, tỉnh Nghệ An",
    "Họ, chữ đệm, tên người mẹ: Nguyễn Thị Bạch Trà",
    "Nơi cư trú: Thôn 2, xã Quỳnh Hưng, huyện Quỳnh Lưu",
    "Họ, chữ đệm, tên người cha: Nguyễn Nhật Tấn",
    "Nơi đăng ký: Ủy ban nhân dân xã Quỳnh Hưng",
    "Ngày, tháng, năm đăng ký: 08/10/2018",
]
REF = "\n".join(LINES)
SKEW = 4.0


def _render_page() -> Image.Image:
    """A clean page at 300 dpi: 10.5 pt Noto Serif (44 px), black on white."""
    font = ImageFont.truetype(str(FONT), 44)
    im = Image.new("L", (2480, 1500), 255)
    draw = ImageDraw.Draw(im)
    for i, line in enumerate(LINES):
        draw.text((200, 140 + i * 92), line, font=font, fill=0)
    return im


def _rotated(im: Image.Image, deg: float) -> Image.Image:
    """``deg`` counter-clockwise (Pillow's sign), white corners."""
    return im.rotate(deg, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not FONT.is_file():
        pytest.skip("Noto Serif font not installed")
    d = tmp_path_factory.mktemp("baselines")
    up = _render_page()
    paths = {"upright": d / "upright.png", "rotated": d / "rotated.png"}
    up.save(paths["upright"], dpi=(300, 300))
    _rotated(up, SKEW).save(paths["rotated"], dpi=(300, 300))
    return paths


# --------------------------------------------------------------------------- pure parts


def test_image_dpi(tmp_path: Path) -> None:
    im = Image.new("L", (10, 10), 255)
    im.save(tmp_path / "none.png")
    im.save(tmp_path / "low.png", dpi=(72, 72))
    im.save(tmp_path / "ok.png", dpi=(299.9994, 299.9994))
    im.save(tmp_path / "ok.tif", dpi=(200, 200))
    assert image_dpi(tmp_path / "none.png") == DEFAULT_DPI
    assert image_dpi(tmp_path / "low.png") == DEFAULT_DPI  # OCRmyPDF refuses ≤ 96 dpi
    assert image_dpi(tmp_path / "ok.png") == 300
    assert image_dpi(tmp_path / "ok.tif") == 200
    assert image_dpi(tmp_path / "none.png", default=400) == 400


def test_build_ocrmypdf_args() -> None:
    args = build_ocrmypdf_args(
        image=Path("in.png"),
        output_pdf=Path("w/o.pdf"),
        sidecar=Path("w/o.txt"),
        lang="vie",
        dpi=300,
    )
    assert args[:3] == [sys.executable, "-m", "ocrmypdf"]
    assert args[-2:] == ["in.png", "w/o.pdf"]
    for flag in ("--deskew", "--clean", "--rotate-pages"):
        assert flag in args
    assert args[args.index("-l") + 1] == "vie"
    assert args[args.index("--jobs") + 1] == "1"
    assert args[args.index("--output-type") + 1] == "pdf"
    assert args[args.index("--image-dpi") + 1] == "300"
    assert args[args.index("--sidecar") + 1] == "w/o.txt"


@pytest.mark.parametrize(
    ("code", "kind", "reason"),
    [
        (2, BadInputError, "ocrmypdf_input_file"),
        (3, MissingToolError, "ocrmypdf_missing_dependency"),
        (6, BadInputError, "ocrmypdf_already_done_ocr"),
        (7, ToolError, "ocrmypdf_child_process"),
        (99, ToolError, "ocrmypdf_failed"),
    ],
)
def test_ocrmypdf_exit_codes(code: int, kind: type, reason: str) -> None:
    proc = subprocess.CompletedProcess(["ocrmypdf"], code, "", "a\nb\nlast words\n")
    err = baselines._ocrmypdf_failure(proc)
    assert isinstance(err, kind)
    assert err.reason == reason
    assert f"exit {code}" in err.detail and "last words" in err.detail


def test_run_tool_missing_program() -> None:
    with pytest.raises(MissingToolError, match="cài gì đó"):
        run_tool(["sohoa-no-such-program"], program="nope", timeout=5, install_hint="cài gì đó")


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return "\tZ" not in status.read_text().split("State:", 1)[1].splitlines()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs /proc")
def test_run_tool_timeout_kills_the_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = (
        "import pathlib, subprocess, sys, time;"
        "p = subprocess.Popen(['sleep', '30']);"
        "pathlib.Path(sys.argv[1]).write_text(str(p.pid));"
        "time.sleep(30)"
    )
    with pytest.raises(ToolError) as info:
        run_tool(
            [sys.executable, "-c", script, str(pid_file)], program="py", timeout=1, install_hint=""
        )
    assert info.value.reason == "timeout"
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_run_tool_returns_output_and_sets_thread_limit(caplog: pytest.LogCaptureFixture) -> None:
    script = "import os, sys; print(os.environ['OMP_THREAD_LIMIT']); print('warn', file=sys.stderr)"
    with caplog.at_level("INFO"):
        proc = run_tool([sys.executable, "-c", script], program="py", timeout=30, install_hint="")
    assert proc.returncode == 0 and proc.stdout.strip() == "1"
    assert any(r.name == "py" and r.getMessage() == "warn" for r in caplog.records)


def test_available_reports_every_baseline() -> None:
    got = available()
    assert set(got) == {"tesseract", "ocrmypdf", "deskew", "jdeskew"}
    assert all(v is None or isinstance(v, str) for v in got.values())


def test_skew_estimators_reject_color() -> None:
    pytest.importorskip("jdeskew")
    with pytest.raises(ValueError, match="2-D"):
        baselines.jdeskew_angle(np.zeros((10, 10, 3), np.uint8))


def test_jdeskew_blank_page_is_none() -> None:
    pytest.importorskip("jdeskew")
    assert baselines.jdeskew_angle(np.full((200, 300), 255, np.uint8)) is None


def test_deskew_blank_page_is_none() -> None:
    pytest.importorskip("deskew")
    assert baselines.deskew_angle(np.full((200, 300), 255, np.uint8)) is None


# --------------------------------------------------------------------------- real baselines


@pytest.mark.tesseract
@needs_tesseract
def test_bare_tesseract_reads_the_upright_page(pages: dict[str, Path]) -> None:
    text = bare_tesseract_text(pages["upright"], lang="vie", psm=3)
    assert cer(text, REF) < 0.1


@pytest.mark.tesseract
@needs_tesseract
def test_bare_tesseract_missing_image(tmp_path: Path) -> None:
    with pytest.raises(BadInputError):
        bare_tesseract_text(tmp_path / "nope.png")


@pytest.mark.tesseract
@needs_tesseract
@pytest.mark.timeout(300)
def test_ocrmypdf_reads_the_rotated_page(pages: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("ocrmypdf")
    if shutil.which("unpaper") is None:
        pytest.skip("unpaper not installed (needed by ocrmypdf --clean)")
    text = baselines.ocrmypdf_text(pages["rotated"], workdir=tmp_path, lang="vie")
    assert cer(text, REF) < 0.1
    assert (tmp_path / "rotated_ocrmypdf.pdf").is_file()


@pytest.mark.tesseract
@needs_tesseract
def test_ocrmypdf_image_without_dpi(pages: dict[str, Path], tmp_path: Path) -> None:
    """An image with no resolution gets --image-dpi 300 instead of OCRmyPDF's DpiError."""
    pytest.importorskip("ocrmypdf")
    if shutil.which("unpaper") is None:
        pytest.skip("unpaper not installed (needed by ocrmypdf --clean)")
    nodpi = tmp_path / "nodpi.png"
    with Image.open(pages["upright"]) as im:
        im.crop((0, 0, 2480, 600)).save(nodpi)  # Pillow writes no pHYs chunk
    text = baselines.ocrmypdf_text(nodpi, workdir=tmp_path / "w", lang="vie")
    assert cer(text, "\n".join(LINES[:5])) < 0.1


@pytest.mark.parametrize("deg", [SKEW, -7.0, 0.0])
@pytest.mark.parametrize("estimator", ["deskew", "jdeskew"])
def test_skew_sign_matches_pillow(estimator: str, deg: float) -> None:
    """``Image.rotate(deg)`` of an upright page is estimated as +deg (counter-clockwise)."""
    pytest.importorskip(estimator)
    if not FONT.is_file():
        pytest.skip("Noto Serif font not installed")
    fn = {"deskew": baselines.deskew_angle, "jdeskew": baselines.jdeskew_angle}[estimator]
    gray = np.asarray(_rotated(_render_page(), deg))
    angle = fn(gray)
    assert angle is not None
    assert abs(angle - deg) < 0.5


def test_bench_imports_without_the_optional_packages() -> None:
    code = (
        "import sys; import bench.baselines, bench.metrics;"
        "print(sorted(m for m in ('ocrmypdf', 'deskew', 'jdeskew') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.stdout.strip() == "[]"
