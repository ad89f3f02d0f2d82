"""Text written "by hand" onto a page: a ballpoint face, coloured ink, jittered glyphs.

Test material for the bench corpus (the product never imports it). The faces are the six OFL
handwriting fonts vendored in ``fonts/`` (see its README), each with every Vietnamese letter.
Drawing works on an RGB uint8 array and multiplies the ink in (ink over typed text or a seal
darkens both, as on paper). Every function is pure apart from the array it draws on; randomness
comes from the ``random.Random`` it is given.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT_DIR = Path(__file__).resolve().parent / "fonts"
HAND_FACES = ("charm", "dancing-script", "itim", "mali", "pacifico", "patrick-hand")
"""The vendored handwriting faces, by file stem."""

RGB = tuple[int, int, int]
BLUE_INKS: tuple[tuple[RGB, RGB], ...] = (((20, 40, 150), (40, 70, 190)),)
"""Range of blue ballpoint inks (each channel drawn between the two)."""
BLACK_INK: tuple[RGB, RGB] = ((15, 15, 25), (45, 45, 60))
VIOLET_INK: tuple[RGB, RGB] = ((70, 30, 120), (100, 50, 150))


@cache
def _face_path(face: str) -> Path:
    if face not in HAND_FACES:
        raise ValueError(f"unknown handwriting face: {face!r}")
    return FONT_DIR / f"{face}.ttf"


@lru_cache(maxsize=64)
def hand_font(face: str, size_px: int) -> ImageFont.FreeTypeFont:
    """The handwriting face at a size in pixels."""
    return ImageFont.truetype(str(_face_path(face)), max(4, size_px))


@cache
def x_height_ratio(face: str) -> float:
    """The face's x-height as a fraction of its size (measured on "x" at 100 px)."""
    box = hand_font(face, 100).getbbox("x", anchor="ls")
    return max(0.2, (box[3] - box[1]) / 100)


def pick_ink(rng: random.Random) -> RGB:
    """A pen's ink: blue ballpoint most often, then black, sometimes violet."""
    r = rng.random()
    lo, hi = BLUE_INKS[0] if r < 0.7 else BLACK_INK if r < 0.9 else VIOLET_INK
    return (rng.randint(lo[0], hi[0]), rng.randint(lo[1], hi[1]), rng.randint(lo[2], hi[2]))


@dataclass(frozen=True)
class Hand:
    """One writer's pen on one page.

    Attributes:
        face: the handwriting face (one of :data:`HAND_FACES`).
        size_px: font size in pixels.
        ink: RGB of the ink.
        pen: extra stroke width in pixels (0 = the face's own strokes).
        seed: seed of the glyph jitter.
    """

    face: str
    size_px: int
    ink: RGB
    pen: int
    seed: int

    @classmethod
    def pick(cls, rng: random.Random, *, x_height_px: float, face: str | None = None) -> Hand:
        """A random writer whose x-height is 1.0–1.4 × the typed ``x_height_px``."""
        face = face or rng.choice(HAND_FACES)
        size = round(x_height_px * rng.uniform(1.0, 1.4) / x_height_ratio(face))
        pen = 1 if size >= 40 and rng.random() < 0.6 else 0
        return cls(face, size, pick_ink(rng), pen, rng.randrange(2**31))

    @property
    def font(self) -> ImageFont.FreeTypeFont:
        """The face at this pen's size."""
        return hand_font(self.face, self.size_px)

    def width(self, text: str) -> float:
        """Advance width of ``text`` in pixels (the jitter keeps to it on average)."""
        return float(self.font.getlength(text))

    def sized(self, factor: float) -> Hand:
        """The same pen writing ``factor`` times larger."""
        return Hand(self.face, max(6, round(self.size_px * factor)), self.ink, self.pen, self.seed)


def multiply_ink(
    page: np.ndarray, alpha: np.ndarray, at: tuple[int, int], ink: RGB, strength: float = 1.0
) -> None:
    """Multiply an ink of colour ``ink`` into ``page`` (RGB uint8, in place) through ``alpha``.

    Args:
        page: the page, H×W×3 uint8.
        alpha: coverage in [0, 255] (uint8 or float), its top-left at ``at`` = (x, y); the part
            outside the page is dropped.
        at: where alpha's top-left corner goes.
        ink: the ink's colour.
        strength: overall opacity in [0, 1].
    """
    x, y = at
    h, w = alpha.shape
    x0, y0, x1, y1 = max(0, x), max(0, y), min(page.shape[1], x + w), min(page.shape[0], y + h)
    if x0 >= x1 or y0 >= y1:
        return
    a = alpha[y0 - y : y1 - y, x0 - x : x1 - x].astype(np.float32) * (strength / 255.0)
    region = page[y0:y1, x0:x1].astype(np.float32)
    tint = np.asarray(ink, np.float32) / 255.0
    region *= 1.0 - a[..., None] * (1.0 - tint)
    page[y0:y1, x0:x1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)


def _glyph_alpha(
    ch: str, font: ImageFont.FreeTypeFont, *, pen: int, angle: float, scale: float
) -> tuple[np.ndarray, tuple[float, float]]:
    """A glyph's coverage, rotated and scaled; returns it and the baseline origin inside it."""
    size = int(font.size)
    pad = size
    img = Image.new("L", (size * 2 + 2 * pad, size * 2 + pad), 0)
    origin = (pad, size + pad // 2)
    ImageDraw.Draw(img).text(origin, ch, font=font, fill=255, anchor="ls", stroke_width=pen)
    if scale != 1.0:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.BILINEAR)
        origin = (origin[0] * scale, origin[1] * scale)
    if angle:
        img = img.rotate(angle, resample=Image.BICUBIC, center=origin)
    return np.asarray(img), origin


def draw_hand(
    page: np.ndarray,
    xy: tuple[float, float],
    text: str,
    hand: Hand,
    rng: random.Random,
    *,
    slope: float = 0.0,
) -> list[int] | None:
    """Write ``text`` by hand with its baseline starting at ``xy`` (x, baseline y).

    Each glyph wobbles off the baseline (about ±2 px at 300 dpi), turns up to ±4° and changes
    size a little; the pen presses harder on some glyphs; the whole line sits a little off
    the given baseline.

    Args:
        page: RGB uint8 page, drawn on in place.
        xy: start of the baseline.
        text: what to write.
        hand: the writer.
        rng: source of the jitter.
        slope: baseline rise per pixel written (negative goes up to the right).

    Returns:
        The box ``[x0, y0, x1, y1]`` of the ink drawn (clipped to the page), None if nothing
        was drawn.
    """
    font, size = hand.font, hand.size_px
    x = float(xy[0])
    base = float(xy[1]) + rng.uniform(-0.12, 0.06) * size  # the clerk's own baseline
    wobble = max(1.0, size / 25)
    box = [page.shape[1], page.shape[0], 0, 0]
    for ch in text:
        advance = float(font.getlength(ch))
        if not ch.isspace():
            scale = rng.uniform(0.93, 1.07)
            alpha, (ox, oy) = _glyph_alpha(
                ch, font, pen=hand.pen, angle=rng.uniform(-4, 4), scale=scale
            )
            if hand.pen and rng.random() < 0.25:
                alpha = np.asarray(Image.fromarray(alpha).filter(ImageFilter.MaxFilter(3)))
            dy = rng.uniform(-wobble, wobble) + slope * (x - xy[0])
            at = (round(x - ox), round(base + dy - oy))
            multiply_ink(page, alpha, at, hand.ink, rng.uniform(0.85, 1.0))
            _grow(box, alpha, at, page.shape)
        x += advance * rng.uniform(0.97, 1.05)
    return box if box[0] < box[2] else None


def _grow(box: list[int], alpha: np.ndarray, at: tuple[int, int], shape: tuple[int, ...]) -> None:
    ys, xs = np.nonzero(alpha > 0)
    if xs.size == 0:
        return
    h, w = shape[:2]
    box[0] = min(box[0], max(0, at[0] + int(xs.min())))
    box[1] = min(box[1], max(0, at[1] + int(ys.min())))
    box[2] = max(box[2], min(w, at[0] + int(xs.max()) + 1))
    box[3] = max(box[3], min(h, at[1] + int(ys.max()) + 1))
