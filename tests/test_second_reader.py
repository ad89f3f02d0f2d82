"""Tests for ocr/second_reader.py (the asterocr line reader).

Pure parts (CTC decoding, confidence, input preparation) run on made-up arrays; the rest runs
the real ONNX model that ships inside the installed ``asterocr`` (a core dependency, so these
tests do not skip: a missing model is a broken install).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr.second_reader import (
    MODEL_HEIGHT,
    AsterLineReader,
    decode_ctc,
    line_confidence,
    parse_vocab,
    prepare_line,
    probe,
    split_wide,
)
from pipeline.errors import BadInputError, MissingToolError
from pipeline.ports import LineReader

ROOT = Path(__file__).resolve().parents[1]
SERIF = Path("/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf")


def _typed_line(text: str, size: int = 40) -> np.ndarray:
    font = ImageFont.truetype(str(SERIF), size)
    left, top, right, bottom = font.getbbox(text)
    pad = size // 3
    im = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 250)
    ImageDraw.Draw(im).text((pad - left, pad - top), text, font=font, fill=15)
    return np.asarray(im)


@pytest.fixture(scope="module")
def reader() -> AsterLineReader:
    r = AsterLineReader()
    r.load()
    return r


# --------------------------------------------------------------------------- pure parts


def test_decode_ctc_collapses_repeats_and_blanks_and_keeps_best_frame() -> None:
    chars = ["<blank>", "1", "5"]
    p = np.full((6, 3), 1e-6)
    for t, (k, prob) in enumerate([(1, 0.6), (1, 0.9), (0, 0.99), (1, 0.7), (2, 0.8), (0, 1.0)]):
        p[t, k] = prob
    text, probs = decode_ctc(np.log(p)[:, None, :], chars)
    assert text == "115"
    assert probs == pytest.approx([0.9, 0.7, 0.8])


def test_line_confidence_is_the_least_sure_character() -> None:
    assert line_confidence([0.99, 0.42, 0.97]) == pytest.approx(0.42)
    assert line_confidence([]) == 0.0


def test_prepare_line_shape_and_range() -> None:
    x = prepare_line(np.tile(np.array([0, 255], np.uint8), (64, 301)))
    assert x.shape == (1, 3, 32, 304)
    assert x.dtype == np.float32
    assert x.min() >= -1.0 and x.max() <= 1.0


@pytest.mark.parametrize("shape", [(0, 10), (1, 50), (5,)])
def test_prepare_line_refuses_empty_crops(shape: tuple[int, ...]) -> None:
    with pytest.raises(BadInputError):
        prepare_line(np.zeros(shape, np.uint8))


def test_parse_vocab_needs_the_blank_first() -> None:
    assert parse_vocab(json.dumps({"chars": ["<blank>", "a"]})) == ["<blank>", "a"]
    with pytest.raises(ValueError):
        parse_vocab(json.dumps({"chars": ["a", "<blank>"]}))


def test_probe_names_the_package_when_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    probe.cache_clear()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    try:
        with pytest.raises(MissingToolError, match="pip install 'asterocr"):
            probe()
    finally:
        monkeypatch.undo()
        probe.cache_clear()


def test_constructor_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom() -> None:
        raise AssertionError("probe called in the constructor")

    monkeypatch.setattr("ocr.second_reader.probe", boom)
    AsterLineReader()


# --------------------------------------------------------------------------- the real model


def test_is_a_line_reader(reader: AsterLineReader) -> None:
    assert isinstance(reader, LineReader)
    assert reader.name.startswith("asterocr ")


def test_reads_a_typed_number_line(reader: AsterLineReader) -> None:
    got = reader.read_line(_typed_line("Số: 215/QĐ-SNV"))
    assert "215/QĐ-SNV" in got.text.replace(" ", "")
    assert got.text.startswith("Số")
    assert got.engine == reader.name


def test_output_is_nfc(reader: AsterLineReader) -> None:
    got = reader.read_line(_typed_line("Đà Nẵng, ngày 31 tháng 5 năm 2019"))
    assert got.text == unicodedata.normalize("NFC", got.text)
    assert "Nẵng" in got.text


def test_confidence_lower_on_noise_and_blank_than_on_clean_text(reader: AsterLineReader) -> None:
    clean = reader.read_line(_typed_line("Nguyễn Văn An"))
    noise = np.random.default_rng(0).integers(0, 256, (48, 400)).astype(np.uint8)
    blank = np.full((48, 400), 250, np.uint8)
    assert 0.0 <= clean.confidence <= 1.0
    assert clean.confidence > 0.8
    for other in (reader.read_line(noise), reader.read_line(blank)):
        assert 0.0 <= other.confidence < 0.5 < clean.confidence
    assert reader.read_line(np.full((48, 400), 255, np.uint8)).confidence == 0.0


def test_degenerate_crop_is_an_empty_reading_not_an_error(reader: AsterLineReader) -> None:
    got = reader.read_line(np.zeros((0, 30), np.uint8))
    assert (got.text, got.confidence) == ("", 0.0)
    with pytest.raises(BadInputError):
        reader.read_line(np.zeros((2, 3, 4, 5), np.uint8))


def test_a_line_wider_than_the_network_takes_is_read_in_pieces(reader: AsterLineReader) -> None:
    text = (
        "Số 12 đường Nguyễn Văn Linh, phường Nam Dương, quận Hải Châu, thành phố Đà Nẵng, "
        "tổ dân phố số 7, khu dân cư Hòa Cường Bắc, năm 2019"
    )
    line = _typed_line(text)
    assert line.shape[1] * MODEL_HEIGHT / line.shape[0] > 1100  # one run would fail
    assert len(split_wide(line)) >= 2
    got = reader.read_line(line)
    assert got.text.startswith("Số 12") and got.text.endswith("2019")
    assert "Hải Châu" in got.text


_QUIET = r"""
import numpy as np
from ocr.second_reader import AsterLineReader
print(AsterLineReader().read_line(np.full((40, 200), 250, np.uint8)).confidence)
"""


def test_onnxruntime_telemetry_stays_off(tmp_path: Path) -> None:
    """onnxruntime >= 1.29 writes a device id + event queue under ~/.cache before uploading."""
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("ORT_DISABLE_TELEMETRY", None)
    subprocess.run([sys.executable, "-c", _QUIET], cwd=ROOT, env=env, check=True, timeout=60)
    written = [p.relative_to(tmp_path) for p in tmp_path.rglob("*")]
    assert not any("Microsoft" in str(p) or "onnxruntime" in str(p) for p in written), written
