# Over 500 lines: test material, one table of degradation operations with their samplers.
"""Deterministic degradations that make a clean synthetic page look like an old scanned book.

Each operation is a small pure function ``op(img, rng, **params) -> img`` on a uint8 array
(gray ``H×W`` or RGB ``H×W×3``) with a ``numpy.random.Generator`` for its own randomness
(stain shapes, noise). :data:`OPS` registers them with a sampler of realistic parameters, a
canonical stage (paper ageing → damage → scanning → sensor → file) and, for the geometric ones,
how they move points, so :func:`degrade` can keep the ground truth in step:

- ``skew_deg`` (counter-clockwise, Pillow's sign) grows by a ``skew``;
- ``orientation_deg`` (how far the page is turned counter-clockwise from upright) by a ``turn``;
- ``dpi`` follows a ``rescale`` or a capture op (the scans and the phone photo of
  :mod:`bench.corpus.capture`); ``mode`` becomes "RGB" once colour is added, "1" after a
  bilevel scan (the array then holds only 0 and 255);
- ``cell_boxes`` (register pages), ``hand_boxes`` and ``mark_boxes`` (handwriting and marks,
  kept inside the image) and ``page_corners`` (the paper's corners, top-left first,
  clockwise, kept inside the image) follow every geometric op (skew, borders, turn, rescale,
  the capture ops and the curl of gutter); ``size`` is ``[width, height]``; ``lines`` and
  ``fields`` never change (text a tear or a corner cuts off is still in the truth);
- ``degradations`` lists every step applied with its full parameters, e.g.
  ``{"op": "skew", "deg": 3.2, "fill": null}``.

The strengths are bounded so the text stays legible: this is a benchmark of realistic old
scans, not of destroyed pages. ``random_recipe(rng, severity)`` picks a plausible combination.
"""

from __future__ import annotations

import copy
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from bench.corpus import capture
from bench.corpus.capture import (
    photo_lowres,
    scan_bilevel_150,
    scan_bilevel_200,
    scan_colour_150,
)

Params = dict[str, Any]
Recipe = list[Params]
PointMap = Callable[[np.ndarray], np.ndarray]  # (N, 2) x, y → (N, 2) x, y

_INK_COLOURS = {  # RGB of old inks: ballpoint blue, the purple of school ink, iron-gall brown
    "blue": (28, 42, 118),
    "purple": (72, 34, 104),
    "brown": (72, 48, 30),
}
_STAIN_RGB = np.array([0.22, 0.42, 0.72], np.float32)  # how much R, G, B a tea/coffee stain eats
_FOX_RGB = np.array([0.18, 0.45, 0.66], np.float32)  # foxing: rusty brown


# ---------------------------------------------------------------- helpers


def _float(img: np.ndarray) -> np.ndarray:
    return img.astype(np.float32)


def _u8(img: np.ndarray) -> np.ndarray:
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def _rgb(img: np.ndarray) -> np.ndarray:
    return img if img.ndim == 3 else cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)


def _channels(img: np.ndarray) -> list[np.ndarray]:
    return [img] if img.ndim == 2 else list(cv2.split(img))


def _merge(channels: Sequence[np.ndarray]) -> np.ndarray:
    return channels[0] if len(channels) == 1 else cv2.merge(list(channels))


def paper_level(img: np.ndarray) -> np.ndarray:
    """Estimate the paper's colour: a high percentile per channel of a sparse sample."""
    sample = img[:: max(1, img.shape[0] // 300), :: max(1, img.shape[1] // 300)]
    flat = sample.reshape(-1, img.shape[2]) if img.ndim == 3 else sample.reshape(-1, 1)
    return np.percentile(flat, 90, axis=0).astype(np.float32)


def _fill_value(img: np.ndarray, level: int | None) -> tuple[float, ...]:
    """A border colour: a grey level, or the paper's colour when None."""
    colour = paper_level(img) if level is None else np.full(3, float(level), np.float32)
    channels = 3 if img.ndim == 3 else 1
    return tuple(float(c) for c in colour[:channels])


def _upsample(small: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """A smooth map computed on a coarse grid, brought to full size."""
    return cv2.resize(
        small.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR
    )


def _coarse_grid(shape: tuple[int, int], step: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Normalised coordinates (u across, v down, both in [0, 1]) of a coarse grid over shape."""
    h, w = shape
    v = np.linspace(0, 1, max(2, h // step), dtype=np.float32)[:, None]
    u = np.linspace(0, 1, max(2, w // step), dtype=np.float32)[None, :]
    return u, v


def _smooth_field(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """A smooth random field in [0, 1] over ``shape`` with about ``cells`` bumps per side."""
    h, w = shape
    gh, gw = max(2, round(cells * h / max(h, w))) + 1, max(2, round(cells * w / max(h, w))) + 1
    coarse = rng.random((gh, gw), dtype=np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    return np.clip(field, 0.0, 1.0)


def _absorb(img: np.ndarray, density: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Darken by a density map (0 = none, 1 = full) that absorbs R, G, B in proportion ``rgb``."""
    weights = [float(rgb.mean())] if img.ndim == 2 else [float(k) for k in rgb]
    return _merge(
        [
            cv2.multiply(ch, 1.0 - density * k, dtype=cv2.CV_8U)
            for ch, k in zip(_channels(img), weights, strict=True)
        ]
    )


def _multiply(img: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Multiply every channel by a float32 map."""
    return _merge([cv2.multiply(ch, factor, dtype=cv2.CV_8U) for ch in _channels(img)])


def _cut(
    img: np.ndarray, keep: np.ndarray, level: int | None, rng: np.random.Generator
) -> np.ndarray:
    """Replace what lies outside ``keep`` (uint8 mask, 255 = paper) by what is behind the page.

    ``level`` None means the next page of the book (paper, a shade darker); otherwise a grey
    level (a dark scanner lid is about 20–40). A thin line of lighter paper fibres edges the tear.
    """
    gone = keep == 0
    colour = (
        np.array(_fill_value(img, None), np.float32) * 0.93
        if level is None
        else np.full(img.shape[2:] or (1,), float(level), np.float32)
    )
    grain = rng.normal(0, 3, (int(gone.sum()), 1)).astype(np.float32)
    out = img.copy()
    values = _u8(colour[None, :] + grain)
    out[gone] = values if img.ndim == 3 else values[:, 0]
    edge = cv2.morphologyEx(keep, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
    edge &= keep > 0
    out[edge] = np.maximum(out[edge], np.uint8(235))
    return out


# ---------------------------------------------------------------- paper and ink ageing


def ink_colour(img: np.ndarray, rng: np.random.Generator, *, colour: str = "blue") -> np.ndarray:
    """Draw the ink in a colour (blue ballpoint, purple ink, brown iron-gall ink); gives RGB."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    paper = float(paper_level(gray)[0])
    darkest = float(np.percentile(gray[::4, ::4], 0.5))
    t = np.clip((paper - _float(gray)) / max(1.0, paper - darkest), 0.0, 1.0)
    out = []
    for ch, ink in zip(_channels(_rgb(img)), _INK_COLOURS[colour], strict=True):
        base = _float(ch)
        out.append(_u8(base - t * (base - ink)))
    return _merge(out)


def yellow(img: np.ndarray, rng: np.random.Generator, *, strength: float = 0.5) -> np.ndarray:
    """Yellow the paper unevenly, more towards the edges; gives RGB.

    ``strength`` 1 turns white paper to about (236, 214, 160).
    """
    h, w = img.shape[:2]
    u, v = _coarse_grid((h, w))
    edge = np.minimum(np.minimum(u, 1 - u), np.minimum(v, 1 - v))
    edge_boost = 1.0 + 0.6 * np.clip(1.0 - edge / 0.08, 0.0, 1.0)
    s = strength * (0.7 + 0.6 * _smooth_field(rng, (h, w), 6)) * _upsample(edge_boost, (h, w))
    loss = np.array([0.075, 0.16, 0.38], np.float32)  # how much R, G, B fall at strength 1
    return _absorb(_rgb(img), s, loss)


def fade(img: np.ndarray, rng: np.random.Generator, *, amount: float = 0.4) -> np.ndarray:
    """Fade the ink towards the paper, more in some places than others (``amount`` ≤ 0.7)."""
    h, w = img.shape[:2]
    patchy = 0.35 + 0.65 * _smooth_field(rng, (h, w), 5)
    grain = 0.85 + 0.3 * _smooth_field(rng, (h, w), 120)
    keep = (1.0 - amount * patchy * grain).astype(np.float32)
    out = []
    for ch, paper in zip(_channels(img), paper_level(img), strict=True):
        base = _float(ch)
        out.append(_u8(paper - (paper - base) * keep))
    return _merge(out)


def bleed_through(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    back_kind: str = "khai_sinh",
    back_seed: int = 1,
    back_font: str = "serif",
    strength: float = 0.15,
) -> np.ndarray:
    """Show the text of the back of the leaf through the paper: mirrored, blurred, faint.

    The back page is a real render (``back_kind`` with ``back_seed``), shifted a few
    millimetres as a leaf's two sides never line up.
    """
    h, w = img.shape[:2]
    back = np.asarray(_render_back(back_kind, back_seed, back_font).convert("L"))
    back = cv2.resize(np.fliplr(back), (w, h), interpolation=cv2.INTER_LINEAR)
    shift = np.array(
        [[1, 0, rng.uniform(-0.02, 0.02) * w], [0, 1, rng.uniform(-0.01, 0.01) * h]], np.float32
    )
    back = cv2.warpAffine(back, shift, (w, h), borderMode=cv2.BORDER_REPLICATE)
    sigma = max(1.0, w / 800)
    ink = 1.0 - _float(cv2.GaussianBlur(back, (0, 0), sigma)) / max(1.0, float(back.max()))
    density = np.clip(ink, 0, 1) * strength * (0.6 + 0.8 * _smooth_field(rng, (h, w), 4))
    return _absorb(img, density, np.array([0.8, 0.9, 1.0], np.float32))


def _render_back(kind: str, seed: int, font: str) -> Image.Image:
    from bench.corpus import (
        synth,  # local: synth is only needed for this op
        synth_extracts,
    )

    renderers: dict[str, Callable[..., tuple[Image.Image, dict[str, Any]]]] = {
        "khai_sinh": synth.render_birth_extract,
        "ket_hon": synth_extracts.render_marriage_extract,
        "khai_tu": synth_extracts.render_death_extract,
        "tthc": synth.render_tthc_decision,
        "so_khai_sinh": synth.render_register_page,
    }
    face = font if synth.face_available(font) else "serif"
    return renderers.get(kind, synth.render_birth_extract)(seed, dpi=100, font=face)[0]


def stains(
    img: np.ndarray, rng: np.random.Generator, *, n: int = 2, strength: float = 0.25
) -> np.ndarray:
    """Coffee rings (small, dark tide line) and water stains (large, faint) with ragged rims."""
    h, w = img.shape[:2]
    density = np.zeros((h, w), np.float32)
    for _ in range(n):
        water = rng.random() < 0.4
        radius = w * (rng.uniform(0.12, 0.25) if water else rng.uniform(0.05, 0.11))
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        _add_ring(
            density,
            rng,
            (cx, cy),
            radius,
            strength * (0.6 if water else 1.0),
            fill=rng.uniform(0.15, 0.4) if water else rng.uniform(0.05, 0.35),
        )
    return _absorb(img, np.clip(density, 0, 0.6), _STAIN_RGB)


def _add_ring(
    density: np.ndarray,
    rng: np.random.Generator,
    centre: tuple[float, float],
    radius: float,
    peak: float,
    *,
    fill: float,
) -> None:
    """Add one stain: a ragged tide line of height ``peak`` around a paler inside."""
    h, w = density.shape
    cx, cy = centre
    x0, x1 = max(0, int(cx - 1.4 * radius)), min(w, int(cx + 1.4 * radius) + 1)
    y0, y1 = max(0, int(cy - 1.4 * radius)), min(h, int(cy + 1.4 * radius) + 1)
    if x0 >= x1 or y0 >= y1:
        return
    yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    theta, rho = np.arctan2(yy - cy, xx - cx), np.hypot(xx - cx, yy - cy)
    wobble = np.ones_like(theta)
    for k in range(2, 7):
        wobble += rng.uniform(0.01, 0.06) / k * 2 * np.sin(k * theta + rng.uniform(0, 2 * np.pi))
    rel = rho / (radius * wobble)
    width = rng.uniform(0.02, 0.05)
    rim = np.exp(-(((rel - 1.0) / width) ** 2)) * (rel < 1.0 + 3 * width)
    inside = fill * np.clip((1.0 - rel) * 6, 0, 1) * (0.7 + 0.3 * rel)
    patch = (rim + inside * (rel < 1)).astype(np.float32) * peak
    texture = 0.75 + 0.5 * _smooth_field(rng, patch.shape, 8)
    density[y0:y1, x0:x1] += patch * texture


def foxing(
    img: np.ndarray, rng: np.random.Generator, *, n: int = 30, strength: float = 0.35
) -> np.ndarray:
    """Foxing: clusters of small rust-brown spots."""
    h, w = img.shape[:2]
    density = np.zeros((h, w), np.float32)
    centres = rng.uniform((0, 0), (w, h), size=(max(1, n // 8), 2))
    for _ in range(n):
        cx, cy = centres[rng.integers(len(centres))] + rng.normal(0, w * 0.04, 2)
        r = w * rng.uniform(0.0008, 0.004)
        x0, x1 = max(0, int(cx - 3 * r)), min(w, int(cx + 3 * r) + 2)
        y0, y1 = max(0, int(cy - 3 * r)), min(h, int(cy + 3 * r) + 2)
        if x0 >= x1 or y0 >= y1:
            continue
        yy, xx = np.mgrid[y0:y1, x0:x1].astype(np.float32)
        spot = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        density[y0:y1, x0:x1] += spot * strength * rng.uniform(0.4, 1.0)
    return _absorb(img, np.clip(density, 0, 0.7), _FOX_RGB)


# ---------------------------------------------------------------- damage


def torn_edge(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    side: str = "right",
    depth: float = 0.02,
    fill: int | None = None,
) -> np.ndarray:
    """Tear one side raggedly, ``depth`` (fraction of that dimension) deep on average."""
    h, w = img.shape[:2]
    along, across = (h, w) if side in ("left", "right") else (w, h)
    steps = np.cumsum(rng.normal(0, 1, along)).astype(np.float32)
    walk = cv2.GaussianBlur(steps.reshape(-1, 1), (0, 0), 6).ravel()
    walk = (walk - walk.min()) / max(1e-6, float(np.ptp(walk)))
    profile = depth * across * (0.6 + 0.8 * walk)
    for _ in range(int(rng.integers(1, 4))):  # a few deeper bites
        at, size = rng.uniform(0, along), along * rng.uniform(0.01, 0.05)
        bite = depth * across * rng.uniform(0.5, 1.2)
        profile += bite * np.exp(-(((np.arange(along) - at) / size) ** 2))
    profile += rng.normal(0, 0.6, along)  # fibres
    idx = np.arange(across)[None, :]
    keep = idx >= profile[:, None]  # distance from the torn side ≥ the tear's depth
    if side in ("right", "bottom"):
        keep = keep[:, ::-1]
    if side in ("top", "bottom"):
        keep = keep.T
    return _cut(img, keep.astype(np.uint8) * 255, fill, rng)


def missing_corner(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    corner: str = "top-right",
    size: float = 0.08,
    fill: int | None = None,
) -> np.ndarray:
    """Cut a corner off along a jagged line; ``size`` is the cut's leg along the width."""
    h, w = img.shape[:2]
    a, b = size * w * rng.uniform(0.8, 1.2), size * w * rng.uniform(0.5, 0.9)  # legs in x, y
    t = np.linspace(0, 1, 24)
    bulge = rng.uniform(-0.15, 0.25)
    xs = a * (1 - t) + rng.normal(0, a * 0.025, t.size) + bulge * a * np.sin(np.pi * t)
    ys = b * t + rng.normal(0, b * 0.025, t.size) + bulge * b * np.sin(np.pi * t)
    poly = np.stack([np.r_[-2.0, xs, -2.0], np.r_[-2.0, ys, -2.0]], axis=1)  # top-left corner
    if "right" in corner:
        poly[:, 0] = w - 1 - poly[:, 0]
    if "bottom" in corner:
        poly[:, 1] = h - 1 - poly[:, 1]
    keep = np.full((h, w), 255, np.uint8)
    cv2.fillPoly(keep, [np.round(poly).astype(np.int32)], 0)
    return _cut(img, keep, fill, rng)


# ---------------------------------------------------------------- scanning


def gutter(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    side: str = "left",
    width: float = 0.08,
    darkness: float = 0.5,
    curl: float = 0.006,
) -> np.ndarray:
    """Shadow and curl of the binding on one side of a bound book.

    A dark band ``width`` (fraction of the page width) wide darkens the paper down to
    ``1 - darkness`` at the edge; over twice that width the lines bend (by up to
    ``curl`` × page height at the edge) and squeeze towards the binding.
    """
    h, w = img.shape[:2]
    band = max(2, int(width * w))
    d = np.arange(w, dtype=np.float32) if side == "left" else np.arange(w)[::-1].astype(np.float32)
    shade = 1.0 - darkness * np.clip(1.0 - d / band, 0, 1) ** 1.6
    shade_map = shade[None, :].astype(np.float32) * (0.93 + 0.07 * _smooth_field(rng, (h, w), 3))
    out = _multiply(img, shade_map)
    warp_band = min(w, 2 * band)
    x0 = 0 if side == "left" else w - warp_band
    yy, xx = np.mgrid[0:h, x0 : x0 + warp_band].astype(np.float32)
    dx, dy = _curl_shift(xx, yy, side=side, width=width, curl=curl, size=(w, h))
    part = np.ascontiguousarray(out[:, x0 : x0 + warp_band])
    out[:, x0 : x0 + warp_band] = cv2.remap(
        part, xx + dx - x0, yy + dy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return out


def _curl_shift(
    xs: np.ndarray, ys: np.ndarray, *, side: str, width: float, curl: float, size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Where the curl takes each output pixel from: ``source = (x + dx, y + dy)``."""
    w, h = size
    band = max(2, int(width * w))
    d = xs if side == "left" else w - 1 - xs
    g = np.clip(1.0 - d / min(w, 2 * band), 0, 1) ** 2
    dx = (0.25 * band) * g * (1 if side == "left" else -1)  # squeezed towards the binding
    dy = -(curl * h) * g * ((ys - h / 2) / (h / 2)) ** 2  # lines bend away from the middle
    return dx, dy


def _gutter_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    def move(pts: np.ndarray) -> np.ndarray:
        dst = pts.copy()
        for _ in range(8):  # solve dst + shift(dst) = src
            dx, dy = _curl_shift(
                dst[:, 0],
                dst[:, 1],
                side=params["side"],
                width=params["width"],
                curl=params["curl"],
                size=size,
            )
            dst = pts - np.stack([dx, dy], axis=1)
        return dst

    return move


def uneven_light(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    strength: float = 0.25,
    angle: float = 0.0,
    vignette: float = 0.5,
) -> np.ndarray:
    """Uneven lighting: a linear fall-off at ``angle`` degrees plus a vignette."""
    h, w = img.shape[:2]
    u, v = _coarse_grid((h, w))
    u, v = u - 0.5, v - 0.5
    a = math.radians(angle)
    ramp = (u * math.cos(a) + v * math.sin(a)) / 1.42 + 0.5
    radial = np.clip((u * u + v * v) * 2, 0, 1)
    dark = (1 - vignette) * ramp + vignette * radial
    return _multiply(img, _upsample(1.0 - strength * dark, (h, w)))


def _skew_matrix(deg: float, size: tuple[int, int]) -> tuple[np.ndarray, tuple[int, int]]:
    w, h = size
    m = cv2.getRotationMatrix2D((w / 2, h / 2), deg, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    return m, (nw, nh)


def skew(
    img: np.ndarray, rng: np.random.Generator, *, deg: float = 2.0, fill: int | None = None
) -> np.ndarray:
    """Rotate ``deg`` counter-clockwise (Pillow's sign), growing the canvas.

    The uncovered corners take the paper's colour, or grey level ``fill`` (a scanner's
    background) when given.
    """
    h, w = img.shape[:2]
    m, (nw, nh) = _skew_matrix(deg, (w, h))
    border = _fill_value(img, fill)
    return cv2.warpAffine(
        img, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def _skew_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    m, _ = _skew_matrix(params["deg"], size)
    return lambda pts: pts @ m[:, :2].T + m[:, 2]


def borders(
    img: np.ndarray,
    rng: np.random.Generator,
    *,
    sides: Sequence[float] = (0.02, 0.02, 0.02, 0.02),
    level: int = 30,
) -> np.ndarray:
    """Dark scanner borders: pad (left, top, right, bottom) fractions of the width.

    The pad is noisy dark grey ``level``; the paper's edge casts a soft shadow inwards.
    """
    h, w = img.shape[:2]
    left, top, right, bottom = (round(f * w) for f in sides)
    reach = max(2.0, w * 0.006)
    xs, ys = np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)
    fx, fy = np.ones(w, np.float32), np.ones(h, np.float32)
    for pad, f, dist in (
        (left, fx, xs),
        (right, fx, w - 1 - xs),
        (top, fy, ys),
        (bottom, fy, h - 1 - ys),
    ):
        if pad:
            f *= 1 - 0.25 * np.exp(-dist / reach)
    page = _multiply(img, np.outer(fy, fx).astype(np.float32))
    shape = (h + top + bottom, w + left + right)
    dark = _u8(level + 6 * rng.standard_normal(shape, dtype=np.float32))
    out = dark if img.ndim == 2 else cv2.cvtColor(dark, cv2.COLOR_GRAY2RGB)
    out[top : top + h, left : left + w] = page
    return out


def _border_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    w = size[0]
    left, top = round(params["sides"][0] * w), round(params["sides"][1] * w)
    return lambda pts: pts + np.array([left, top], np.float64)


def turn(img: np.ndarray, rng: np.random.Generator, *, deg: int = 90) -> np.ndarray:
    """Turn the page ``deg`` (90, 180, 270) counter-clockwise."""
    if deg % 90 or deg % 360 == 0:
        raise ValueError(f"turn must be 90, 180 or 270, not {deg}")
    return np.ascontiguousarray(np.rot90(img, k=(deg // 90) % 4))


def _turn_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    w, h = size
    k = (params["deg"] // 90) % 4

    def move(pts: np.ndarray) -> np.ndarray:
        x, y = pts[:, 0], pts[:, 1]
        new = {1: (y, w - x), 2: (w - x, h - y), 3: (h - y, x)}[k]
        return np.stack(new, axis=1)

    return move


# ---------------------------------------------------------------- optics, sensor, file


def blur(img: np.ndarray, rng: np.random.Generator, *, sigma: float = 1.0) -> np.ndarray:
    """Out-of-focus blur: a Gaussian of ``sigma`` pixels."""
    return cv2.GaussianBlur(img, (0, 0), sigma)


def motion_blur(
    img: np.ndarray, rng: np.random.Generator, *, length: int = 5, angle: float = 0.0
) -> np.ndarray:
    """Blur along a line ``length`` pixels long at ``angle`` degrees (a page moved in the scan)."""
    k = np.zeros((length, length), np.float32)
    c = (length - 1) / 2
    a = math.radians(angle)
    for t in np.linspace(-c, c, 4 * length):
        k[round(c - t * math.sin(a)), round(c + t * math.cos(a))] = 1.0
    return cv2.filter2D(img, -1, k / k.sum(), borderType=cv2.BORDER_REPLICATE)


def rescale(
    img: np.ndarray, rng: np.random.Generator, *, dpi: int = 200, from_dpi: int = 300
) -> np.ndarray:
    """Resample from ``from_dpi`` to ``dpi`` (a scan at another resolution)."""
    f = dpi / from_dpi
    h, w = img.shape[:2]
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def _rescale_points(params: Params, size: tuple[int, int], new_size: tuple[int, int]) -> PointMap:
    sx, sy = new_size[0] / size[0], new_size[1] / size[1]
    return lambda pts: pts * np.array([sx, sy], np.float64)


def noise(img: np.ndarray, rng: np.random.Generator, *, sigma: float = 6.0) -> np.ndarray:
    """Gaussian sensor noise of ``sigma`` grey levels."""
    grain = rng.standard_normal(img.shape[:2], dtype=np.float32) * sigma
    return _merge([cv2.add(ch, grain, dtype=cv2.CV_8U) for ch in _channels(img)])


def salt_pepper(img: np.ndarray, rng: np.random.Generator, *, amount: float = 0.001) -> np.ndarray:
    """Dust and dropouts: ``amount`` of the pixels turned black or white."""
    out = img.copy()
    hit = rng.random(img.shape[:2], dtype=np.float32)
    out[hit < amount / 2] = 0
    out[(hit >= amount / 2) & (hit < amount)] = 255
    return out


def jpeg(img: np.ndarray, rng: np.random.Generator, *, quality: int = 60) -> np.ndarray:
    """Encode as JPEG at ``quality`` and decode again."""
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=quality)
    buf.seek(0)
    with Image.open(buf) as decoded:
        return np.asarray(decoded.convert(Image.fromarray(img).mode)).copy()


# ---------------------------------------------------------------- parameters by severity


def _lerp(lo: float, hi: float, t: float) -> float:
    return lo + (hi - lo) * min(1.0, max(0.0, t))


def _amount(rng: np.random.Generator, severity: float) -> float:
    """A strength in [0, 1]: around the severity, never quite nothing."""
    return float(np.clip(severity * rng.uniform(0.6, 1.25), 0.1, 1.0))


def _r(x: float, nd: int = 4) -> float:
    return round(float(x), nd)


def _fill(rng: np.random.Generator) -> int | None:
    return None if rng.random() < 0.6 else int(rng.integers(15, 45))


def _sample_skew(rng: np.random.Generator, s: float) -> Params:
    big = rng.random() < 0.15 * s  # a page laid badly on the glass
    deg = rng.uniform(4, 15) if big else abs(rng.normal(0, 0.6 + 2.5 * s))
    deg = min(15.0, max(0.2, deg))
    return {"deg": _r(deg * rng.choice((-1, 1)), 2), "fill": None}


def _sample_borders(rng: np.random.Generator, s: float) -> Params:
    sides = [_r(rng.uniform(0.003, 0.04), 4) if rng.random() < 0.8 else 0.0 for _ in range(4)]
    if not any(sides):
        sides[int(rng.integers(4))] = 0.01
    return {"sides": sides, "level": int(rng.integers(10, 70))}


_SAMPLERS: dict[str, Callable[[np.random.Generator, float], Params]] = {
    "ink_colour": lambda rng, s: {"colour": str(rng.choice(sorted(_INK_COLOURS)))},
    "yellow": lambda rng, s: {"strength": _r(_lerp(0.15, 0.9, _amount(rng, s)))},
    "fade": lambda rng, s: {"amount": _r(_lerp(0.15, 0.6, _amount(rng, s)))},
    "bleed_through": lambda rng, s: {
        "back_seed": int(rng.integers(1, 10**6)),
        "strength": _r(_lerp(0.05, 0.2, _amount(rng, s))),
    },
    "stains": lambda rng, s: {
        "n": int(rng.integers(1, 2 + round(2 * s))),
        "strength": _r(_lerp(0.12, 0.4, _amount(rng, s))),
    },
    "foxing": lambda rng, s: {
        "n": int(rng.integers(10, 30 + round(70 * s))),
        "strength": _r(_lerp(0.2, 0.5, _amount(rng, s))),
    },
    "torn_edge": lambda rng, s: {
        "side": str(rng.choice(("left", "right", "top", "bottom"))),
        "depth": _r(_lerp(0.006, 0.025, _amount(rng, s))),
        "fill": _fill(rng),
    },
    "missing_corner": lambda rng, s: {
        "corner": str(rng.choice(("top-left", "top-right", "bottom-left", "bottom-right"))),
        "size": _r(_lerp(0.04, 0.11, _amount(rng, s))),
        "fill": _fill(rng),
    },
    "gutter": lambda rng, s: {
        "side": str(rng.choice(("left", "right"))),
        "width": _r(_lerp(0.04, 0.1, rng.random())),
        "darkness": _r(_lerp(0.25, 0.7, _amount(rng, s))),
        "curl": _r(_lerp(0.002, 0.01, _amount(rng, s))),
    },
    "uneven_light": lambda rng, s: {
        "strength": _r(_lerp(0.1, 0.38, _amount(rng, s))),
        "angle": _r(rng.uniform(0, 360), 1),
        "vignette": _r(rng.uniform(0.2, 0.8), 2),
    },
    "skew": _sample_skew,
    "borders": _sample_borders,
    "turn": lambda rng, s: {"deg": int(rng.choice((90, 180, 270)))},
    "blur": lambda rng, s: {"sigma": _r(_lerp(0.5, 1.6, _amount(rng, s)), 2)},
    "motion_blur": lambda rng, s: {
        "length": int(round(_lerp(3, 8, _amount(rng, s)))),
        "angle": _r(rng.uniform(0, 180), 1),
    },
    "rescale": lambda rng, s: {
        "dpi": int(rng.choice((200, 200, 240, 400) if s > 0.5 else (200, 240, 400, 400)))
    },
    "noise": lambda rng, s: {"sigma": _r(_lerp(2.0, 12.0, _amount(rng, s)), 2)},
    "salt_pepper": lambda rng, s: {"amount": _r(_lerp(0.0002, 0.003, _amount(rng, s)), 5)},
    "jpeg": lambda rng, s: {"quality": int(round(_lerp(80, 30, _amount(rng, s))))},
    **capture.SAMPLERS,
}


# ---------------------------------------------------------------- registry


@dataclass(frozen=True)
class Op:
    """A registered degradation.

    Attributes:
        name: the name used in recipes and in ``truth["degradations"]``.
        apply: ``op(img, rng, **params) -> img``.
        sample: realistic parameters for a severity in [0, 1].
        stage: position in the physical order (ageing, damage, scanning, sensor, file).
        points: for geometric ops, ``points(params, size, new_size)`` maps page points.
        colour: whether the result is RGB.
    """

    name: str
    apply: Callable[..., np.ndarray]
    sample: Callable[[np.random.Generator, float], Params]
    stage: int
    points: Callable[[Params, tuple[int, int], tuple[int, int]], PointMap] | None = None
    colour: bool = False


_ORDER: tuple[tuple[Callable[..., np.ndarray], Any, bool], ...] = (
    (ink_colour, None, True),
    (fade, None, False),
    (bleed_through, None, False),
    (yellow, None, True),
    (stains, None, False),
    (foxing, None, False),
    (torn_edge, None, False),
    (missing_corner, None, False),
    (gutter, _gutter_points, False),
    (skew, _skew_points, False),
    (borders, _border_points, False),
    (uneven_light, None, False),
    (turn, _turn_points, False),
    (blur, None, False),
    (motion_blur, None, False),
    (rescale, _rescale_points, False),
    (noise, None, False),
    (salt_pepper, None, False),
    (scan_bilevel_150, capture.resample_points, False),
    (scan_bilevel_200, capture.resample_points, False),
    (scan_colour_150, capture.resample_points, True),
    (photo_lowres, capture.photo_points, True),
    (jpeg, None, False),
)
OPS: dict[str, Op] = {
    fn.__name__: Op(fn.__name__, fn, _SAMPLERS[fn.__name__], i, pts, colour)
    for i, (fn, pts, colour) in enumerate(_ORDER)
}
"""Every degradation by name, in their physical order."""


def sample_step(name: str, rng: np.random.Generator, severity: float) -> Params:
    """One recipe step ``{"op": name, **params}`` with parameters drawn for a severity."""
    return {"op": name, **OPS[name].sample(rng, severity)}


def with_capture(recipe: Sequence[Params], step: Params | None) -> Recipe:
    """Give a recipe the page's capture (a scan or a photo): at most one capture op per page.

    Args:
        recipe: the steps.
        step: the capture step (an op of :data:`bench.corpus.capture.CAPTURE`, or "jpeg" for
            a plain scan stored as JPEG); None keeps the recipe as it is.

    Returns:
        The steps in physical order with ``step`` replacing any other capture op; a bilevel
        scan also drops JPEG re-encoding (its file is a 1-bit PNG).
    """
    if step is None:
        return sort_recipe(recipe)
    bilevel = step["op"] in capture.BILEVEL
    drop = set(capture.CAPTURE) | ({"jpeg"} if bilevel or step["op"] == "jpeg" else set())
    return sort_recipe([s for s in recipe if s["op"] not in drop] + [dict(step)])


def sort_recipe(recipe: Sequence[Params]) -> Recipe:
    """Steps in physical order (ageing, damage, scanning, sensor, file); one step per op."""
    seen: dict[str, Params] = {}
    for step in recipe:
        seen.setdefault(step["op"], dict(step))
    return sorted(seen.values(), key=lambda s: OPS[s["op"]].stage)


# How often each op shows up on a page of an old book (at severity 0.5; scaled by severity).
_LIKELIHOOD = {
    "ink_colour": 0.12,
    "yellow": 0.7,
    "fade": 0.4,
    "bleed_through": 0.3,
    "stains": 0.3,
    "foxing": 0.25,
    "torn_edge": 0.15,
    "missing_corner": 0.1,
    "gutter": 0.3,
    "uneven_light": 0.4,
    "skew": 0.75,
    "borders": 0.3,
    "turn": 0.1,
    "blur": 0.3,
    "motion_blur": 0.06,
    "rescale": 0.45,
    "noise": 0.4,
    "salt_pepper": 0.15,
    "jpeg": 0.35,
}


def random_recipe(rng: np.random.Generator, severity: float) -> Recipe:
    """A plausible combination of degradations for one page.

    Args:
        rng: the generator to draw from.
        severity: 0 (a fresh page on a good scanner) to 1 (an old, worn book on a poor one);
            even at 1 the text stays legible.

    Returns:
        Steps ``{"op": name, **params}`` in physical order; blur and motion blur, and gaussian
        and salt-and-pepper noise, are not both strong at once.
    """
    s = float(np.clip(severity, 0.0, 1.0))
    steps = [
        sample_step(name, rng, s)
        for name, p in _LIKELIHOOD.items()
        if rng.random() < min(0.95, p * (0.4 + 1.2 * s))
    ]
    names = {st["op"] for st in steps}
    if {"blur", "motion_blur"} <= names:
        steps = [st for st in steps if st["op"] != "motion_blur"]
    if "borders" in names:
        for st in steps:
            if st["op"] == "skew" and rng.random() < 0.5:
                st["fill"] = next(b["level"] for b in steps if b["op"] == "borders")
    return sort_recipe(steps)


# ---------------------------------------------------------------- applying a recipe


def _resolve(name: str, params: Params, truth: dict[str, Any]) -> Params:
    """Fill parameters that come from the page itself (its dpi, its kind and face)."""
    if name in capture.CAPTURE:
        params.setdefault("from_dpi", int(truth.get("dpi", 300)))
    if name == "bleed_through":
        params.setdefault("back_kind", truth.get("kind", "khai_sinh"))
        params.setdefault("back_font", truth.get("font", "serif"))
    return params


def _move_truth(truth: dict[str, Any], move: PointMap, size: tuple[int, int]) -> None:
    """Carry page corners (kept inside the image) and cell boxes through a geometric op."""
    corners = move(np.asarray(truth["page_corners"], np.float64))
    corners = np.clip(corners, 0, np.array(size, np.float64))
    truth["page_corners"] = [[round(float(x), 1), round(float(y), 1)] for x, y in corners]
    if "cell_boxes" in truth:
        truth["cell_boxes"] = [
            {key: _move_box(box, move) for key, box in row.items()} for row in truth["cell_boxes"]
        ]
    for key in ("hand_boxes", "mark_boxes"):  # handwriting and marks (see bench.corpus.inked)
        for item in truth.get(key, []):
            x0, y0, x1, y1 = _move_box(item["box"], move)
            w, h = size
            item["box"] = [max(0, x0), max(0, y0), min(w, x1), min(h, y1)]


def _move_box(box: Sequence[float], move: PointMap) -> list[int]:
    """The axis-aligned box round a box's moved corners."""
    x0, y0, x1, y1 = box
    pts = move(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float64))
    return [
        math.floor(pts[:, 0].min()),
        math.floor(pts[:, 1].min()),
        math.ceil(pts[:, 0].max()),
        math.ceil(pts[:, 1].max()),
    ]


def _update_truth(
    truth: dict[str, Any], op: Op, params: Params, before: np.ndarray, after: np.ndarray
) -> None:
    size, new_size = (before.shape[1], before.shape[0]), (after.shape[1], after.shape[0])
    if op.points is not None:
        _move_truth(truth, op.points(params, size, new_size), new_size)
    if op.name == "skew":
        truth["skew_deg"] = round(float(truth.get("skew_deg", 0.0)) + params["deg"], 6)
    elif op.name == "turn":
        truth["orientation_deg"] = (int(truth.get("orientation_deg", 0)) + params["deg"]) % 360
    elif op.name in capture.CAPTURE:
        truth["dpi"] = params["dpi"]
    truth["mode"] = "RGB" if after.ndim == 3 else "1" if op.name in capture.BILEVEL else "L"
    truth["size"] = [new_size[0], new_size[1]]
    truth["degradations"].append({"op": op.name, **params})


def degrade(
    img: Image.Image | np.ndarray,
    truth: dict[str, Any],
    *,
    seed: int,
    recipe: Sequence[Params | str],
) -> tuple[Any, dict[str, Any]]:
    """Apply a recipe to a page and return the new page and its updated truth.

    Args:
        img: the page (PIL image or uint8 array, gray or RGB).
        truth: its ground truth (left unchanged; a deep copy is returned).
        seed: seed of the randomness; step ``i`` draws from ``default_rng([seed, i])``.
        recipe: steps in the order to apply, each ``{"op": name, **params}`` or a bare name;
            missing parameters are drawn at severity 0.5.

    Returns:
        The degraded page (of the input's type) and the truth with ``degradations``,
        ``skew_deg``, ``orientation_deg``, ``dpi``, ``mode``, ``size``, ``page_corners`` and
        ``cell_boxes`` brought up to date.
    """
    as_pil = isinstance(img, Image.Image)
    arr = np.asarray(
        img.convert("RGB" if img.mode not in ("L", "RGB") else img.mode)
        if isinstance(img, Image.Image)
        else img
    )
    out = copy.deepcopy(truth)
    out.setdefault("degradations", [])
    h, w = arr.shape[:2]
    out.setdefault(
        "page_corners", [[0.0, 0.0], [float(w), 0.0], [float(w), float(h)], [0.0, float(h)]]
    )
    for i, step in enumerate(recipe):
        given = {"op": step} if isinstance(step, str) else dict(step)
        op = OPS[given.pop("op")]
        params = op.sample(np.random.default_rng([seed, i, 1]), 0.5) | given
        params = _resolve(op.name, params, out)
        new = op.apply(arr, np.random.default_rng([seed, i]), **params)
        _update_truth(out, op, params, arr, new)
        arr = new
    return (Image.fromarray(arr) if as_pil else arr), out
