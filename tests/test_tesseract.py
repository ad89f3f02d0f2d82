"""Tests for ocr/tesseract.py.

Pure parsing runs on a recorded TSV; failure handling runs against a fake ``tesseract`` script
put first on PATH; tests marked ``tesseract`` run the real binary with ``vie`` and ``osd``.
"""

from __future__ import annotations

import logging
import shutil
import sys
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from ocr import tesseract as tess
from ocr.tesseract import (
    OcrResult,
    build_args,
    detect_orientation,
    ocr_image,
    parse_osd,
    parse_tsv,
    probe,
    run_tool,
    timed_out,
    tsv_page_size,
)
from pipeline.errors import BadInputError, MissingToolError, ToolError

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
HAS_TESSERACT = shutil.which("tesseract") is not None
real = pytest.mark.skipif(not HAS_TESSERACT, reason="tesseract binary not installed")


def _tsv(*rows: str) -> str:
    return "\n".join(r.replace(" | ", "\t") for r in rows) + "\n"


# Recorded from `tesseract small.png small -l vie --psm 3 tsv` (Tesseract 5.3.0) on a page
# rendered with DejaVu Serif; columns separated by " | " here for readability. The last two
# rows were added by hand: an empty word with conf -1 (skipped) and a word in NFD (made NFC).
RECORDED_TSV = _tsv(
    "level | page_num | block_num | par_num | line_num | word_num | left | top | width | height"
    " | conf | text",
    "1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1400 | 520 | -1 | ",
    "2 | 1 | 1 | 0 | 0 | 0 | 82 | 61 | 513 | 115 | -1 | ",
    "3 | 1 | 1 | 1 | 0 | 0 | 82 | 61 | 513 | 115 | -1 | ",
    "4 | 1 | 1 | 1 | 1 | 0 | 82 | 61 | 401 | 45 | -1 | ",
    "5 | 1 | 1 | 1 | 1 | 1 | 82 | 61 | 125 | 45 | 96.030655 | CỘNG",
    "5 | 1 | 1 | 1 | 1 | 2 | 225 | 61 | 95 | 37 | 96.264519 | HÒA",
    "5 | 1 | 1 | 1 | 1 | 3 | 332 | 61 | 56 | 37 | 96.928970 | XÃ",
    "5 | 1 | 1 | 1 | 1 | 4 | 403 | 61 | 80 | 45 | 95.809860 | HỘI",
    "4 | 1 | 1 | 1 | 2 | 0 | 82 | 132 | 513 | 44 | -1 | ",
    "5 | 1 | 1 | 1 | 2 | 1 | 82 | 139 | 55 | 37 | 96.956810 | Họ",
    "5 | 1 | 1 | 1 | 2 | 2 | 153 | 136 | 73 | 32 | 96.907837 | tên:",
    "5 | 1 | 1 | 1 | 2 | 3 | 245 | 132 | 157 | 44 | 96.765434 | Nguyễn",
    "5 | 1 | 1 | 1 | 2 | 4 | 415 | 138 | 65 | 38 | 96.861328 | Thị",
    "5 | 1 | 1 | 1 | 2 | 5 | 493 | 134 | 102 | 42 | 96.355049 | Thuỷ",
    "2 | 1 | 2 | 0 | 0 | 0 | 83 | 334 | 337 | 40 | -1 | ",
    "3 | 1 | 2 | 1 | 0 | 0 | 83 | 334 | 337 | 40 | -1 | ",
    "4 | 1 | 2 | 1 | 1 | 0 | 83 | 334 | 337 | 40 | -1 | ",
    "5 | 1 | 2 | 1 | 1 | 1 | 83 | 334 | 58 | 34 | 93.301926 | Số:",
    "5 | 1 | 2 | 1 | 1 | 2 | 161 | 338 | 259 | 36 | 78.862778 | 215/QĐ-SNV",
    "5 | 1 | 2 | 1 | 1 | 3 | 900 | 350 | 8 | 8 | -1 | ",
    "5 | 1 | 2 | 1 | 1 | 4 | 430 | 334 | 90 | 40 | 88.5 | " + unicodedata.normalize("NFD", "Hà"),
)

OSD_REPORT = """Page number: 0
Orientation in degrees: 270
Rotate: 90
Orientation confidence: 16.66
Script: Latin
Script confidence: 12.22
"""

PAGE_LINES = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "GIẤY KHAI SINH",
    "Họ, chữ đệm, tên: Nguyễn Thị Thuỷ Hoà",
    "Ngày, tháng, năm sinh: 15/03/2018",
    "Giới tính: Nữ. Dân tộc: Kinh. Quốc tịch: Việt Nam",
    "Nơi sinh: Trạm y tế xã Minh Khai, huyện Hoàng Su Phì",
    "Quê quán: xã Thanh Thủy, huyện Vị Xuyên, tỉnh Hà Giang",
    "Số định danh cá nhân: 002318001234",
    "Họ, chữ đệm, tên người mẹ: Lê Thị Hương",
    "Nơi đăng ký: Ủy ban nhân dân xã Minh Khai",
    "Ngày đăng ký: ngày 20 tháng 3 năm 2018",
]


@pytest.fixture(autouse=True)
def _fresh_probe():
    probe.cache_clear()
    yield
    probe.cache_clear()


def render_page(path: Path, lines: list[str]) -> Path:
    """Upright page of black DejaVu Serif text (12 pt at 300 dpi) on white."""
    font = ImageFont.truetype(str(FONT), 50)
    img = Image.new("L", (2480, 200 + 95 * len(lines) + 200), 255)
    draw = ImageDraw.Draw(img)
    for i, line in enumerate(lines):
        draw.text((200, 200 + 95 * i), line, font=font, fill=0)
    img.save(path, dpi=(300, 300))
    return path


@pytest.fixture(scope="module")
def page_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render_page(tmp_path_factory.mktemp("page") / "000001_page.png", PAGE_LINES)


# --------------------------------------------------------------------------- pure parsing


def test_parse_tsv_groups_words_into_lines_in_reading_order():
    lines = parse_tsv(RECORDED_TSV)
    assert [ln.text for ln in lines] == [
        "CỘNG HÒA XÃ HỘI",
        "Họ tên: Nguyễn Thị Thuỷ",
        "Số: 215/QĐ-SNV Hà",
    ]
    assert [(w.block, w.par, w.line) for w in lines[2].words] == [(2, 1, 1)] * 3


def test_parse_tsv_scales_confidence_and_skips_non_words():
    words = [w for ln in parse_tsv(RECORDED_TSV) for w in ln.words]
    assert len(words) == 12
    assert all(0.0 <= w.conf <= 1.0 for w in words)
    assert words[0].conf == pytest.approx(0.96030655)
    assert words[0].bbox == (82, 61, 125, 45)


def test_parse_tsv_line_box_is_union_of_word_boxes():
    first, second, _ = parse_tsv(RECORDED_TSV)
    assert first.bbox == (82, 61, 403 + 80 - 82, 45)
    assert second.bbox == (82, 132, 493 + 102 - 82, 139 + 37 - 132)


def test_parse_tsv_text_is_nfc():
    last = parse_tsv(RECORDED_TSV)[2].words[-1]
    assert last.text == "Hà"
    assert unicodedata.is_normalized("NFC", last.text)


def test_parse_tsv_clamps_confidence():
    text = _tsv(
        " | ".join(tess._TSV_HEADER),
        "1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 10 | 10 | -1 | ",
        "5 | 1 | 1 | 1 | 1 | 1 | 1 | 1 | 3 | 3 | 100.4 | a",
    )
    assert parse_tsv(text)[0].words[0].conf == 1.0


def test_parse_tsv_empty_page_and_garbage():
    header_only = _tsv(
        " | ".join(tess._TSV_HEADER), "1 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1000 | 800 | -1 | "
    )
    assert parse_tsv(header_only) == []
    assert tsv_page_size(header_only) == (1000, 800)
    assert parse_tsv("") == []
    with pytest.raises(ValueError):
        parse_tsv("<html>not tsv</html>\n")


def test_tsv_page_size():
    assert tsv_page_size(RECORDED_TSV) == (1400, 520)


def test_parse_osd_reports_counter_clockwise_turn():
    assert parse_osd(OSD_REPORT) == (90, pytest.approx(16.66))
    assert parse_osd("Too few characters. Skipping this page\n") is None


def test_build_args_is_pure_and_ordered():
    args = build_args(
        image=Path("/in/p 1.png"), out_base=Path("/w/p_ocr"), lang="vie", psm=6, configs=["tsv"]
    )
    assert args == ["tesseract", "/in/p 1.png", "/w/p_ocr", "-l", "vie", "--psm", "6", "tsv"]


# --------------------------------------------------------------------------- run_tool


def _py(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def test_run_tool_pins_omp_thread_limit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("OMP_THREAD_LIMIT", "8")
    proc = run_tool(_py("import os; print(os.environ['OMP_THREAD_LIMIT'])"), timeout=30)
    assert proc.stdout.strip() == "1"


def test_run_tool_routes_stderr_to_tesseract_logger(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.DEBUG):
        run_tool(_py("import sys; sys.stderr.write('Detected 3 diacritics\\n')"), timeout=30)
    assert any(r.name == "tesseract" and "Detected 3" in r.getMessage() for r in caplog.records)
    argv_logged = [r for r in caplog.records if r.name == "ocr.tesseract"]
    assert any(sys.executable in r.getMessage() for r in argv_logged)


def test_run_tool_unknown_exit_raises():
    with pytest.raises(ToolError) as err:
        run_tool(_py("import sys; sys.stderr.write('boom\\n'); sys.exit(3)"), timeout=30)
    assert "boom" in err.value.detail


def test_run_tool_soft_failure_is_returned():
    proc = run_tool(
        _py("import sys; sys.stderr.write('Too few characters\\n'); sys.exit(1)"),
        timeout=30,
        soft_stderr=("Too few characters",),
    )
    assert proc.returncode == 1


def test_run_tool_timeout_is_soft():
    proc = run_tool(_py("import time; time.sleep(30)"), timeout=0.5)
    assert timed_out(proc)


def test_run_tool_missing_program():
    with pytest.raises(MissingToolError):
        run_tool(["/nonexistent/tesseract", "--version"], timeout=5)


# --------------------------------------------------------------------------- probe


def test_probe_without_binary_names_the_packages(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(MissingToolError) as err:
        probe("vie")
    assert "apt-get install tesseract-ocr tesseract-ocr-vie" in err.value.message_vi
    assert err.value.reason == "tesseract_missing"


def test_probe_when_which_finds_nothing(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *_a, **_k: None)
    with pytest.raises(MissingToolError, match="tesseract-ocr-vie"):
        probe()


# --------------------------------------------------------------------------- fake tesseract

FAKE_TESSERACT = """#!{python}
import os, sys, time
args = sys.argv[1:]
if args == ["--version"]:
    print("tesseract 5.3.0\\n leptonica-1.82.0")
    sys.exit(0)
if args == ["--list-langs"]:
    print('List of available languages in "/fake/" (2):\\nosd\\nvie')
    sys.exit(0)
mode, out_base = os.environ["FAKE_TESSERACT_MODE"], args[1]
if mode == "sleep":
    time.sleep(30)
elif mode == "crash":
    sys.stderr.write("Segmentation fault\\n")
    sys.exit(139)
elif mode == "unreadable":
    sys.stderr.write("Image file x cannot be read!\\nError during processing.\\n")
    sys.exit(1)
elif mode == "diacritics":
    with open(os.environ["FAKE_TSV"], encoding="utf-8") as src:
        tsv = src.read()
    with open(out_base + ".tsv", "w", encoding="utf-8") as out:
        out.write(tsv)
    with open(out_base + ".hocr", "w", encoding="utf-8") as out:
        out.write("<html><body class='ocr_page'></body></html>")
    sys.stderr.write("Detected 12 diacritics\\n")
"""


@pytest.fixture
def fake_tesseract(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "tesseract"
    script.write_text(FAKE_TESSERACT.format(python=sys.executable), encoding="utf-8")
    script.chmod(0o755)
    tsv = tmp_path / "recorded.tsv"
    tsv.write_text(RECORDED_TSV, encoding="utf-8")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("FAKE_TSV", str(tsv))
    image = render_page(tmp_path / "p.png", ["x"])

    def run(mode: str, **kwargs) -> OcrResult:
        monkeypatch.setenv("FAKE_TESSERACT_MODE", mode)
        return ocr_image(image, workdir=tmp_path / "work", **kwargs)

    return run


def test_ocr_image_parses_outputs_and_keeps_diacritics_signal(fake_tesseract):
    result = fake_tesseract("diacritics")
    assert result.page.warnings == ["Detected 12 diacritics"] == result.warnings
    assert not result.needs_review
    assert result.page.engine_version == "5.3.0"
    assert (result.page.width, result.page.height) == (1400, 520)
    assert len(result.page.lines) == 3
    assert result.tsv_path is not None and result.tsv_path.name == "p_ocr.tsv"
    assert result.hocr_path is not None and result.hocr_path.name == "p_ocr.hocr"
    assert "ocr_page" in result.hocr


def test_ocr_image_timeout_gives_empty_page_for_review(fake_tesseract):
    result = fake_tesseract("sleep", timeout=0.5)
    assert result.page.lines == []
    assert tess.WARN_TIMEOUT in result.page.warnings
    assert result.needs_review
    assert result.tsv_path is None
    assert result.page.width > 0


def test_ocr_image_exit_zero_without_output_is_an_error(fake_tesseract):
    with pytest.raises(ToolError) as err:
        fake_tesseract("nooutput")
    assert err.value.reason == "tesseract_no_output"


def test_ocr_image_crash_raises(fake_tesseract):
    with pytest.raises(ToolError, match="Segmentation"):
        fake_tesseract("crash")


def test_ocr_image_unreadable_image_is_bad_input(fake_tesseract):
    with pytest.raises(BadInputError):
        fake_tesseract("unreadable")


def test_ocr_image_missing_file_is_bad_input(fake_tesseract, tmp_path):
    with pytest.raises(BadInputError):
        ocr_image(tmp_path / "nope.png", workdir=tmp_path)


def test_probe_missing_language_with_fake(fake_tesseract):
    assert probe("vie") == "5.3.0"
    with pytest.raises(MissingToolError, match="tesseract-ocr-xyz"):
        probe("vie+xyz")


# --------------------------------------------------------------------------- real tesseract


@pytest.mark.tesseract
@real
def test_probe_real():
    assert probe("vie")[0].isdigit()
    with pytest.raises(MissingToolError) as err:
        probe("xyz")
    assert "apt-get install tesseract-ocr-xyz" in err.value.message_vi


@pytest.mark.tesseract
@real
def test_ocr_image_real_page(page_png: Path, tmp_path: Path):
    result = ocr_image(page_png, workdir=tmp_path)
    page = result.page
    with Image.open(page_png) as im:
        assert (page.width, page.height) == im.size
    assert page.words
    for w in page.words:
        left, top, width, height = w.bbox
        assert 0 <= left and 0 <= top and width > 0 and height > 0
        assert left + width <= page.width and top + height <= page.height
        assert 0.0 <= w.conf <= 1.0
    assert unicodedata.is_normalized("NFC", page.text)
    expected = " ".join(" ".join(PAGE_LINES).split())
    got = " ".join(page.text.split())
    cer = Levenshtein.distance(expected, got) / len(expected)
    assert cer < 0.05, (cer, got)
    assert "ocrx_word" in result.hocr
    assert result.tsv_path is not None and result.tsv_path.is_file()


@pytest.mark.tesseract
@real
def test_ocr_image_real_blank_page_is_empty_not_error(tmp_path: Path):
    blank = tmp_path / "blank.png"
    Image.new("L", (1200, 1600), 255).save(blank, dpi=(300, 300))
    result = ocr_image(blank, workdir=tmp_path)
    assert result.page.lines == []
    assert result.needs_review and tess.WARN_EMPTY in result.warnings


@pytest.mark.tesseract
@real
@pytest.mark.parametrize("turned", [0, 90, 180, 270])
def test_detect_orientation_real(page_png: Path, tmp_path: Path, turned: int):
    image = tmp_path / f"turned_{turned}.png"
    with Image.open(page_png) as im:
        # Image.rotate turns counter-clockwise: the page ends up `turned` degrees CCW.
        im.rotate(turned, expand=True, fillcolor=255).save(image, dpi=(300, 300))
    result = detect_orientation(image)
    assert result is not None
    assert result[0] == turned
    assert result[1] > 0


@pytest.mark.tesseract
@real
def test_detect_orientation_too_few_characters(tmp_path: Path):
    blank = tmp_path / "blank.png"
    Image.new("L", (1000, 1000), 255).save(blank, dpi=(300, 300))
    assert detect_orientation(blank) is None
