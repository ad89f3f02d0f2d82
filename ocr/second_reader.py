"""A second, independent reader of cut text lines: AsterOCR's Vietnamese line recogniser.

Implements the :class:`pipeline.ports.LineReader` port. The model is the ONNX file that the
``asterocr`` wheel ships in ``asterocr/assets`` (a CNN + BiLSTM + attention CTC recogniser,
227 symbols, trained apart from Tesseract; MIT). It is run here with ``onnxruntime``
directly: the ``asterocr.AsterOCR`` class is *not* used, because when its bundled file is
missing it looks in the working directory and then downloads from the Hugging Face hub. This
module never touches the network: it only opens the two files inside the installed package.

Confidence: the network gives per-frame log-probabilities; greedy CTC decoding keeps, for each
emitted character, the highest probability of its frames; the line's confidence is the
*lowest* of those (one doubtful digit makes the whole value doubtful). An empty reading has
confidence 0. The numbers are the model's own, not calibrated.

The session is single-threaded by default (pages are parallelised by the caller) and created
on the first :meth:`AsterLineReader.read_line`, not in the constructor. Measurements and the
reasons for the choice: ``docs/second-reader.md``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from pipeline.errors import BadInputError, MissingToolError
from pipeline.ports import LineReading
from schemas.models import nfc

log = logging.getLogger(__name__)

PACKAGE = "asterocr"
#: the input height the network was trained on
MODEL_HEIGHT = 32
#: sha256 of ``asternet.onnx`` in asterocr 1.0.2, the file measured in docs/second-reader.md
MEASURED_MODEL_SHA256 = "10c96b533e1f64031d73edfddafd7d4b13595544f11891f0531bcd72cb29be80"
_INSTALL_HINT = "Chưa cài bộ đọc thứ hai: chạy `pip install 'asterocr>=1.0.2,<1.1'`"
_BLANK = "<blank>"
_ORT_TELEMETRY_ENV = "ORT_DISABLE_TELEMETRY"


@dataclass(frozen=True)
class ModelFiles:
    """Where the installed ``asterocr`` package keeps its model and vocabulary."""

    model: Path
    vocab: Path
    version: str


def _missing(detail: str = "") -> MissingToolError:
    return MissingToolError(_INSTALL_HINT, reason="second_reader_missing", detail=detail)


@cache
def probe() -> ModelFiles:
    """Find the model files of the installed ``asterocr`` and check ``onnxruntime`` is there.

    Neither package is imported (``asterocr/__init__`` would pull in its downloader); the
    answer is cached for the process (``probe.cache_clear()`` forgets it).

    Raises:
        MissingToolError: a package or a model file is missing, with the pip line to run.
    """
    if importlib.util.find_spec("onnxruntime") is None:
        raise _missing("onnxruntime")
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise _missing(PACKAGE)
    assets = Path(next(iter(spec.submodule_search_locations))) / "assets"
    files = ModelFiles(
        model=assets / "asternet.onnx",
        vocab=assets / "vocab.json",
        version=importlib.metadata.version(PACKAGE),
    )
    for path in (files.model, files.vocab):
        if not path.is_file():
            raise _missing(str(path))
    return files


# --------------------------------------------------------------------------- pure parts


def parse_vocab(text: str) -> list[str]:
    """The symbol list from ``vocab.json`` (index 0 is the CTC blank).

    Raises:
        ValueError: the text is not asterocr's vocabulary file.
    """
    chars = json.loads(text).get("chars")
    if not isinstance(chars, list) or not chars or chars[0] != _BLANK:
        raise ValueError("not an asterocr vocab.json: no 'chars' list starting with the blank")
    return [str(c) for c in chars]


def prepare_line(image: np.ndarray) -> np.ndarray:
    """Turn a grayscale line crop into the network's input, as asterocr prepares it.

    The crop is scaled (bilinear) to :data:`MODEL_HEIGHT` keeping its aspect, the width
    rounded up to a multiple of 4 (at least 32), the gray copied into three channels and
    scaled to [-1, 1].

    Args:
        image: 2-D uint8 array, dark ink on light paper (a 3-D array is averaged to gray).

    Returns:
        float32 array of shape (1, 3, 32, W).

    Raises:
        BadInputError: the array is empty or not an image.
    """
    if image.ndim == 3:
        image = image.mean(axis=2)
    if image.ndim != 2 or min(image.shape) < 2:
        raise BadInputError(
            "Ảnh dòng chữ rỗng hoặc sai dạng", reason="bad_line_crop", detail=str(image.shape)
        )
    height, width = image.shape
    target_w = max(32, int(width * MODEL_HEIGHT / height))
    target_w = (target_w + 3) // 4 * 4
    pil = Image.fromarray(np.asarray(image, dtype=np.uint8))
    resized = pil.resize((target_w, MODEL_HEIGHT), Image.Resampling.BILINEAR)
    arr = np.asarray(resized, dtype=np.float32) / 255.0
    arr = (arr - 0.5) / 0.5
    return np.repeat(arr[np.newaxis, np.newaxis, :, :], 3, axis=1)


def decode_ctc(log_probs: np.ndarray, chars: Sequence[str]) -> tuple[str, list[float]]:
    """Greedy CTC decoding with a probability per emitted character.

    Args:
        log_probs: per-frame log-probabilities of one line, shape (T, C), (T, 1, C) or
            (1, T, C).
        chars: the symbols; index 0 is the blank.

    Returns:
        (text, probabilities): each character's probability is the highest of the frames it
        was read from.
    """
    frames = log_probs.reshape(-1, log_probs.shape[-1])  # one line: the batch axis is 1
    best = frames.argmax(axis=-1)
    probs = np.exp(frames[np.arange(len(best)), best])
    text: list[str] = []
    char_probs: list[float] = []
    prev = -1
    for idx, prob in zip(best.tolist(), probs.tolist(), strict=True):
        if idx != prev and idx != 0:
            text.append(chars[idx] if idx < len(chars) else "")
            char_probs.append(prob)
        elif idx == prev and idx != 0:
            char_probs[-1] = max(char_probs[-1], prob)
        prev = idx
    return "".join(text), char_probs


def line_confidence(char_probs: Sequence[float]) -> float:
    """The line's confidence: its least sure character (0 when nothing was read)."""
    if not char_probs:
        return 0.0
    return float(min(max(min(char_probs), 0.0), 1.0))


# --------------------------------------------------------------------------- the adapter


def import_onnxruntime_quietly() -> Any:
    """Import ``onnxruntime`` with its usage telemetry off.

    onnxruntime 1.29+ for Linux carries Microsoft's 1DS telemetry: at import it writes a
    device id and an event queue under ``~/.cache/Microsoft/DeveloperTools/.onnxruntime`` and
    a few seconds later looks up ``mobile.events.data.microsoft.com`` to upload it.
    ``ORT_DISABLE_TELEMETRY=1`` stops both, but only when set *before* the first import;
    ``onnxruntime.disable_telemetry_events()`` afterwards does not (measured with strace,
    docs/second-reader.md). So this sets the variable, imports, and warns when someone else
    imported onnxruntime first without it.
    """
    if "onnxruntime" in sys.modules and os.environ.get(_ORT_TELEMETRY_ENV) != "1":
        log.warning(
            "onnxruntime was imported before %s=1 was set: its telemetry may be on; "
            "set the variable at process start",
            _ORT_TELEMETRY_ENV,
        )
    os.environ[_ORT_TELEMETRY_ENV] = "1"
    import onnxruntime as ort

    ort.disable_telemetry_events()
    return ort


class AsterLineReader:
    """:class:`pipeline.ports.LineReader` backed by asterocr's ONNX line model.

    Construct it freely: nothing is read until the first :meth:`read_line`. One instance
    may be shared by threads (the session is created once under a lock; ONNX Runtime's
    ``run`` is thread-safe).

    Args:
        threads: ONNX Runtime intra-op threads (1: the caller parallelises).
        model_path: another ONNX file with the same input and output (tests, a newer model);
            by default the one inside the installed ``asterocr``.
    """

    def __init__(self, *, threads: int = 1, model_path: Path | None = None) -> None:
        self._threads = threads
        self._model_path = model_path
        self._lock = threading.Lock()
        self._session: Any = None
        self._input = ""
        self._chars: list[str] = []

    @property
    def name(self) -> str:
        """``"asterocr <version>"`` of the installed package."""
        return f"{PACKAGE} {probe().version}"

    def load(self) -> None:
        """Open the model now (otherwise the first :meth:`read_line` does).

        Raises:
            MissingToolError: asterocr or onnxruntime is not installed.
        """
        with self._lock:
            if self._session is None:
                self._open()

    def _open(self) -> None:
        ort = import_onnxruntime_quietly()
        files = probe()
        model = self._model_path or files.model
        chars = parse_vocab(files.vocab.read_text(encoding="utf-8"))
        if self._model_path is None:
            _check_model_hash(model)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        session = ort.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = session.get_inputs()[0].name
        self._chars = chars
        self._session = session
        log.debug("loaded %s (%d symbols, %d thread(s))", model, len(chars), self._threads)

    def read_line(self, image: np.ndarray) -> LineReading:
        """Read one cut line.

        Args:
            image: grayscale uint8 crop holding one line, dark ink on light paper.

        Returns:
            The text (NFC; "" when nothing was read, or the crop is less than 2 px high or
            wide) and the confidence described in the module docstring.

        Raises:
            BadInputError: the array is not an image (not 2-D or 3-D).
            MissingToolError: asterocr or onnxruntime is not installed.
        """
        if image.ndim in (2, 3) and min(image.shape[:2]) < 2:
            return LineReading(text="", confidence=0.0, engine=self.name)
        self.load()
        texts, probs = [], []
        for piece in split_wide(image):  # the network takes lines up to ~1024 px at 32 px
            log_probs = self._session.run(None, {self._input: prepare_line(piece)})[0]
            text, char_probs = decode_ctc(log_probs, self._chars)
            texts.append(text)
            probs.extend(char_probs)
        text = nfc(" ".join(" ".join(texts).split()))
        return LineReading(
            text=text,
            confidence=line_confidence(probs) if text else 0.0,
            engine=self.name,
        )


#: The widest input the network's positional encoding takes (at :data:`MODEL_HEIGHT` px),
#: with a margin: 1021 px worked, 1025 failed.
MAX_MODEL_WIDTH = 960


def split_wide(image: np.ndarray) -> list[np.ndarray]:
    """A crop too wide for the network, cut into pieces at gaps between words.

    Each piece is at most :data:`MAX_MODEL_WIDTH` once scaled to the model's height; a cut
    falls in the middle of the widest run of blank columns in the last half of the window
    (the palest column when there is none).
    """
    if image.ndim not in (2, 3):
        return [image]  # not an image: prepare_line says so
    gray = image.mean(axis=2) if image.ndim == 3 else image
    height, width = gray.shape
    limit = max(8, int(MAX_MODEL_WIDTH * height / MODEL_HEIGHT))
    if width <= limit:
        return [image]
    ink = (255.0 - gray.astype(np.float32)).sum(axis=0)
    blank = ink <= max(1.0, 0.02 * float(ink.max()))
    pieces, start = [], 0
    while width - start > limit:
        lo = start + limit // 2
        cut = _widest_gap(blank[lo : start + limit])
        cut = lo + (cut if cut is not None else int(np.argmin(ink[lo : start + limit])))
        pieces.append(image[:, start:cut])
        start = cut
    pieces.append(image[:, start:])
    return pieces


def _widest_gap(blank: np.ndarray) -> int | None:
    """The middle of the longest run of True in ``blank`` (None when there is none)."""
    best, best_len, run_start = None, 0, None
    for i, b in enumerate([*blank.tolist(), False]):
        if b and run_start is None:
            run_start = i
        elif not b and run_start is not None:
            if i - run_start > best_len:
                best, best_len = (run_start + i) // 2, i - run_start
            run_start = None
    return best


def _check_model_hash(path: Path) -> None:
    """Warn when the installed model is not the one the figures were measured on."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MEASURED_MODEL_SHA256:
        log.warning(
            "asterocr model %s differs from the measured one (sha256 %s…): "
            "re-run `python -m bench.second_reader` before trusting agreement",
            path,
            digest[:12],
        )
