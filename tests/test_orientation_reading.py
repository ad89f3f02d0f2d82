"""Unsure orientations are settled by how the page reads (lexicon fit, word shapes)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import pytest
from PIL import Image

from ocr.postprocess import annotate_page
from ocr.tesseract import TesseractEngine
from pipeline import process
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import packaged
from pipeline.imaging import clean, orientation
from schemas.models import OcrLine, OcrPage
from tests.fakes import page_from_lines

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"

UPRIGHT = [
    "Họ, chữ đệm, tên: Nguyễn Văn Bình",
    "Ngày, tháng, năm sinh: mười lăm tháng ba năm một nghìn chín trăm",
    "Nơi sinh: Trạm y tế xã Quỳnh Lâm, huyện Quỳnh Lưu, tỉnh Nghệ An",
    "Dân tộc: Kinh Quốc tịch: Việt Nam",
]
#: what Tesseract makes of the same lines upside down (letters exist, syllables do not)
GARBLED = [
    "uıq uǝʌ ɔɐɥ ʇǝıʌ :ɯǝp ɹnɥɔ 'oH",
    "ɯɐu ɥuıs ɐq ƃuɐɥʇ ɯɐl ıonɯ ɯɐu ƃuɐɥʇ 'ʎɐƃN",
    "rnl qnỳnQ nêyuh ,mâL hnỳuQ ãx ết mạrT :hnis iơN",
    "maN têiV :hcịt cốuQ hniK :cột nâD",
]


def _annotated(lines: list[str]) -> OcrPage:
    return annotate_page(page_from_lines(lines))


def test_upright_vietnamese_reads_well():
    check = orientation.reading_check(_annotated(UPRIGHT))
    assert check["ok"] and check["lexicon_share"] > 0.9 and check["upright_share"] == 1.0


def test_upside_down_reading_is_rejected():
    check = orientation.reading_check(_annotated(GARBLED))
    assert not check["ok"] and check["lexicon_share"] < orientation.MIN_READ_LEXICON


def test_sideways_words_are_rejected_even_when_the_syllables_are_valid():
    page = _annotated(UPRIGHT)
    tall = [
        OcrLine(
            words=[
                w.model_copy(update={"bbox": (w.bbox[0], w.bbox[1], 30, 120)}) for w in ln.words
            ],
            bbox=ln.bbox,
        )
        for ln in page.lines
    ]
    check = orientation.reading_check(page.model_copy(update={"lines": tall}))
    assert not check["ok"] and check["upright_share"] < orientation.MIN_READ_UPRIGHT


def test_too_few_words_cannot_vouch():
    check = orientation.reading_check(_annotated(["Nguyễn Văn Bình"]))
    assert not check["ok"] and check["words"] == 3


def test_candidates_follow_the_shape_of_the_words():
    assert orientation.candidates(90, {"upright_share": 0.0}, None) == [180, 0]
    assert orientation.candidates(90, {"upright_share": 0.9}, None) == [270]
    assert orientation.candidates(90, {"upright_share": 0.9}, 180) == [180, 270]


@pytest.mark.tesseract
@pytest.mark.parametrize("turn", [180, 90])
def test_a_turned_page_with_an_unsure_vote_ends_upright(tmp_path, monkeypatch, turn):
    """Force every own vote to count as unsure: the reading (and OSD) must settle the turn."""
    monkeypatch.setattr(orientation, "MIN_OWN_CONFIDENCE", 1.01)
    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        turned = im.rotate(turn, expand=True)
    out = process.process_image(
        turned,
        stem="p",
        workdir=tmp_path,
        options=ProcessOptions(),
        engine=TesseractEngine(),
        calibration=packaged(),
    )
    assert out.result.orientation_deg == turn
    check = [s for s in out.result.provenance if s["step"] == "orientation_reading_check"]
    assert check and check[-1]["ok"]
    assert "orientation_unsure" not in out.result.quality.flags
    assert out.timings["ocr"] > 0 and out.timings["cleanup"] > 0


def _mislead(monkeypatch, wrong_by: int, confidence: float) -> None:
    """Make our own vote say the page is turned ``wrong_by`` more than it is, that sure."""
    real = orientation.analyse

    def misled(gray, **kw):
        a = real(gray, **kw)
        return replace(
            a, orientation=(a.orientation + wrong_by) % 360, orientation_confidence=confidence
        )

    monkeypatch.setattr(orientation, "analyse", misled)


def _read_sample(tmp_path, engine=None):
    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        im.load()
        return process.process_image(
            im,
            stem="p",
            workdir=tmp_path,
            options=ProcessOptions(),
            engine=engine or TesseractEngine(),
            calibration=packaged(),
        )


@pytest.mark.tesseract
@pytest.mark.parametrize("wrong_by", [180, 90, 270])
def test_a_wrong_unsure_vote_is_corrected_by_reading(tmp_path, monkeypatch, wrong_by):
    """Our vote says the wrong way, unsure: the bad reading sends the page to OSD and retries."""
    _mislead(monkeypatch, wrong_by, 0.0)
    out = _read_sample(tmp_path)
    assert out.result.orientation_deg == 0
    checks = [s for s in out.result.provenance if s["step"] == "orientation_reading_check"]
    assert checks[-1]["ok"]
    assert out.result.records and out.result.kind == "khai_sinh"


class _CountingEngine(TesseractEngine):
    """The real engine, counting how often its orientation detector (OSD) is asked."""

    def __init__(self) -> None:
        super().__init__()
        self.osd_calls = 0

    def orientation(self, image):  # type: ignore[no-untyped-def]
        self.osd_calls += 1
        return super().orientation(image)


def test_half_turn_equals_cleaning_the_page_the_other_way_up(tmp_path):
    """Turning the cleaned copy by 180° gives the copy a fresh cleanup would make."""
    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        im.load()
        skewed = im.rotate(2.5, expand=True, fillcolor="white")
    prep = orientation.prepare(skewed)
    kw = {"stem": "p", "engine": TesseractEngine(), "prepared": prep}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = clean.clean_page(skewed, workdir=tmp_path / "a", orientation=0, **kw)
    fresh = clean.clean_page(skewed, workdir=tmp_path / "b", orientation=180, **kw)
    turned = clean.half_turn(first)
    assert turned.orientation == 180 and turned.skew == fresh.skew
    a = cv2.imread(str(turned.path), cv2.IMREAD_GRAYSCALE)
    b = cv2.imread(str(fresh.path), cv2.IMREAD_GRAYSCALE)
    assert a.shape == b.shape
    ink = (a == 0) | (b == 0)
    assert ink.sum() > 10_000
    # the same ink up to interpolation at stroke edges
    assert ((a == b) | ~ink).mean() > 0.99 and (a[ink] == b[ink]).mean() > 0.9
    steps = {s["step"]: s for s in turned.steps}
    assert steps["orientation"]["result"] == 180
    assert steps["orientation"]["turned_half_by"] == "reading"


@pytest.mark.tesseract
def test_an_upside_down_reading_is_turned_without_osd(tmp_path, monkeypatch):
    """Words lie flat but do not read: the copy is turned by 180° and read, OSD not asked."""
    _mislead(monkeypatch, 180, 0.0)
    engine = _CountingEngine()
    out = _read_sample(tmp_path, engine)
    assert out.result.orientation_deg == 0 and engine.osd_calls == 0
    orient = next(s for s in out.result.provenance if s["step"] == "orientation")
    assert orient["turned_half_by"] == "reading" and orient["verified_by"] == "reading"
    assert out.result.records and out.result.kind == "khai_sinh"


@pytest.mark.tesseract
def test_a_sideways_reading_is_settled_by_our_vote_across(tmp_path, monkeypatch):
    """Words read as tall boxes: our own vote with the lines the other way picks the turn."""
    real = orientation.analyse

    def misled(gray, **kw):
        a = real(gray, **kw)
        if kw.get("lines_horizontal") is None:  # the first vote: lines the wrong way, unsure
            return replace(a, orientation=(a.orientation + 90) % 360, orientation_confidence=0.0)
        return a

    monkeypatch.setattr(orientation, "analyse", misled)
    engine = _CountingEngine()
    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        turned = im.rotate(90, expand=True)
    out = process.process_image(
        turned,
        stem="p",
        workdir=tmp_path,
        options=ProcessOptions(),
        engine=engine,
        calibration=packaged(),
    )
    assert out.result.orientation_deg == 90 and engine.osd_calls == 0
    checks = [s for s in out.result.provenance if s["step"] == "orientation_reading_check"]
    assert checks[-1]["ok"] and "orientation_unsure" not in out.result.quality.flags


def test_reads_turned_needs_a_clearly_bad_reading():
    assert orientation.reads_turned(orientation.reading_check(_annotated(GARBLED * 4)))
    assert not orientation.reads_turned(orientation.reading_check(_annotated(UPRIGHT * 4)))
    assert not orientation.reads_turned(
        orientation.reading_check(_annotated(GARBLED[:1]))
    )  # too few


@pytest.mark.tesseract
def test_a_wrong_sure_vote_is_caught_by_the_reading(tmp_path, monkeypatch):
    """Our vote is sure and wrong (upside down): the page reads turned and is put right."""
    _mislead(monkeypatch, 180, 1.0)
    out = _read_sample(tmp_path)
    assert out.result.orientation_deg == 0
    assert out.result.records and out.result.kind == "khai_sinh"


class _ReadCountingEngine(TesseractEngine):
    """The real engine, counting the page readings (not OSD)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read(self, *args, **kw):  # type: ignore[no-untyped-def]
        self.reads += 1
        return super().read(*args, **kw)


def _small_sample(turn: int = 0) -> Image.Image:
    """The sample shrunk to a phone photo's resolution (~12-px text lines)."""
    with Image.open(SAMPLES / "ks_2018_01.png") as im:
        small = im.convert("L").resize((im.width * 2 // 7, im.height * 2 // 7), Image.LANCZOS)
    return small.rotate(turn, expand=True) if turn else small


@pytest.mark.tesseract
@pytest.mark.parametrize("wrong_by", [0, 180])
def test_enlarged_small_text_is_read_once_from_its_gray_copy(tmp_path, monkeypatch, wrong_by):
    """Small text is enlarged and read from the gray copy, not binarised; turning keeps gray."""
    if wrong_by:
        _mislead(monkeypatch, wrong_by, 0.0)
    engine = _ReadCountingEngine()
    out = process.process_image(
        _small_sample(),
        stem="p",
        workdir=tmp_path,
        options=ProcessOptions(),
        engine=engine,
        calibration=packaged(),
    )
    copy = next(s for s in out.result.provenance if s["step"] == "ocr_copy")
    assert copy["upscale"] >= 1.5 and copy["copy"] == "gray"
    assert engine.reads == (1 if not wrong_by else 2)  # no second, binarised or plain, reading
    assert not [s for s in out.result.provenance if s["step"] == "reading_choice"]
    assert out.result.orientation_deg == 0 and out.result.kind == "khai_sinh"
    written = cv2.imread(str(tmp_path / "p_3_clean.png"), cv2.IMREAD_GRAYSCALE)
    assert len(set(written[::7, ::7].ravel().tolist())) > 2  # gray, not bilevel
