"""How an office captures a page: bilevel and colour scans at low dpi, phone photos.

Degradation ops of :mod:`bench.corpus.degrade` (registered there, same contract: a pure
``op(img, rng, **params) -> img`` on a uint8 array, a sampler, and a point map so the truth's
boxes follow). Each resamples the page from ``from_dpi`` (filled in from the truth) to ``dpi``:

- ``scan_bilevel_150`` / ``scan_bilevel_200``: a black-and-white office scan, thresholded at
  ``threshold`` — the result holds only 0 and 255 and is saved as a 1-bit PNG;
- ``scan_colour_150``: a colour scan at 150 dpi stored as JPEG (``quality``);
- ``photo_lowres``: a phone photo — the page at about 70 dpi (body text lines 11–14 px high),
  seen a little obliquely (``corners``: how far each corner moves inwards, as fractions of the
  width and height), on a desk of grey level ``desk``, lit unevenly, slightly blurred, JPEG.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from PIL import Image

Params = dict[str, Any]
PointMap = Callable[[np.ndarray], np.ndarray]

BILEVEL = ("scan_bilevel_150", "scan_bilevel_200")
CAPTURE = ("rescale", *BILEVEL, "scan_colour_150", "photo_lowres")
"""Ops that stand for the capture of the page: a page has at most one of them."""


def _resample(img: np.ndarray, dpi: float, from_dpi: float) -> np.ndarray:
    f = dpi / from_dpi
    h, w = img.shape[:2]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def _gray(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def _rgb(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as decoded:
        return np.asarray(decoded.convert("RGB" if img.ndim == 3 else "L")).copy()


def _bilevel(img: np.ndarray, dpi: int, from_dpi: int, threshold: int) -> np.ndarray:
    small = _resample(_gray(img), dpi, from_dpi)
    return np.where(small >= threshold, 255, 0).astype(np.uint8)


def scan_bilevel_150(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    dpi: int = 150,
    from_dpi: int = 300,
    threshold: int = 160,
) -> np.ndarray:
    """A black-and-white office scan at 150 dpi: resampled, thresholded (only 0 and 255)."""
    return _bilevel(img, dpi, from_dpi, threshold)


def scan_bilevel_200(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    dpi: int = 200,
    from_dpi: int = 300,
    threshold: int = 160,
) -> np.ndarray:
    """A black-and-white office scan at 200 dpi: resampled, thresholded (only 0 and 255)."""
    return _bilevel(img, dpi, from_dpi, threshold)


def scan_colour_150(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    dpi: int = 150,
    from_dpi: int = 300,
    quality: int = 75,
) -> np.ndarray:
    """A colour scan at 150 dpi stored as JPEG at ``quality`` (always RGB)."""
    return _jpeg(_rgb(_resample(img, dpi, from_dpi)), quality)


def _photo_matrix(params: Params, size: tuple[int, int]) -> np.ndarray:
    """The perspective of a photo: the resampled page's rectangle to the seen quadrilateral."""
    w, h = size
    c = params["corners"]  # inward moves: tl x, tl y, tr x, tr y, br x, br y, bl x, bl y
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32(
        [
            [c[0] * w, c[1] * h],
            [w - c[2] * w, c[3] * h],
            [w - c[4] * w, h - c[5] * h],
            [c[6] * w, h - c[7] * h],
        ]
    )
    return cv2.getPerspectiveTransform(src, dst)


def photo_lowres(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    dpi: int = 70,
    from_dpi: int = 300,
    corners: tuple[float, ...] = (0.03, 0.02, 0.02, 0.03, 0.04, 0.02, 0.02, 0.04),
    desk: int = 90,
    light: float = 0.3,
    angle: float = 30.0,
    sigma: float = 0.5,
    quality: int = 70,
) -> np.ndarray:
    """A phone photo of the page: ~70 dpi, oblique, on a desk, lit unevenly, blurred, JPEG."""
    small = _rgb(_resample(img, dpi, from_dpi))
    h, w = small.shape[:2]
    m = _photo_matrix({"corners": corners}, (w, h))
    desk_rgb = (float(desk), float(desk) * 0.92, float(desk) * 0.8)
    out = cv2.warpPerspective(
        small,
        m,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=desk_rgb,
    )
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    a = math.radians(angle)
    ramp = ((xx / w - 0.5) * math.cos(a) + (yy / h - 0.5) * math.sin(a)) / 1.42 + 0.5
    shade = (1.0 - light * ramp)[..., None] * np.float32([1.0, 0.98, 0.93])
    out = np.clip(out.astype(np.float32) * shade + 0.5, 0, 255).astype(np.uint8)
    if sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), sigma)
    grain = rng.normal(0, 2.5, out.shape).astype(np.float32)
    out = np.clip(out.astype(np.float32) + grain + 0.5, 0, 255).astype(np.uint8)
    return _jpeg(out, quality)


def _scale(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> np.ndarray:
    return np.array([new_size[0] / size[0], new_size[1] / size[1]], np.float64)


def resample_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    """Point map of the scans: a change of scale."""
    s = _scale(params, size, new_size)
    return lambda pts: pts * s


def photo_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    """Point map of a photo: the change of scale, then the perspective."""
    s = _scale(params, size, new_size)
    m = _photo_matrix(params, new_size)

    def move(pts: np.ndarray) -> np.ndarray:
        scaled = (pts * s).reshape(-1, 1, 2).astype(np.float64)
        return cv2.perspectiveTransform(scaled, m).reshape(-1, 2)

    return move


def _sample_photo(rng: np.random.Generator, s: float) -> Params:
    return {
        "dpi": int(rng.integers(62, 79)),
        "corners": [round(float(rng.uniform(0.0, 0.02 + 0.05 * s)), 4) for _ in range(8)],
        "desk": int(rng.integers(40, 150)),
        "light": round(float(rng.uniform(0.1, 0.25 + 0.25 * s)), 3),
        "angle": round(float(rng.uniform(0, 360)), 1),
        "sigma": round(float(rng.uniform(0.3, 0.5 + 0.4 * s)), 2),
        "quality": int(rng.integers(60, 81)),
    }


SAMPLERS: dict[str, Callable[[np.random.Generator, float], Params]] = {
    "scan_bilevel_150": lambda rng, s: {"dpi": 150, "threshold": int(rng.integers(140, 186))},
    "scan_bilevel_200": lambda rng, s: {"dpi": 200, "threshold": int(rng.integers(140, 186))},
    "scan_colour_150": lambda rng, s: {"dpi": 150, "quality": int(rng.integers(65, 91))},
    "photo_lowres": _sample_photo,
}
"""Parameter samplers of the capture ops (the dpi of a scan is in its name)."""
