"""A register spread scanned one page at a time: the left and the right page of a bound book.

A civil-status register runs its columns over two facing pages. Scanned on a flatbed or an
overhead scanner one page at a time, each image holds half the columns; the ruling runs into
the gutter, so the table touches the image's edge. :func:`register_halves` renders a spread
(:func:`bench.corpus.synth.render_register_page` with ``halves=True``) and cuts it at the
column where the right page starts, a few millimetres past the rule on each side.
"""

from __future__ import annotations

from typing import Any

from PIL import Image

from bench.corpus import synth


def cut_spread(
    img: Image.Image, truth: dict[str, Any], *, margin_mm: float = 1.0
) -> tuple[Image.Image, Image.Image]:
    """The left and right pages of a spread rendered with ``halves=True``.

    Args:
        img: the spread.
        truth: its truth (``cell_boxes`` give the column edges; ``dpi`` the scale).
        margin_mm: how far past the dividing rule each page reaches (the gutter).
    """
    x = truth["cell_boxes"][0][synth.HALF_SPLIT][0]
    pad = round(margin_mm * truth["dpi"] / 25.4)
    w, h = img.size
    return img.crop((0, 0, min(w, x + pad), h)), img.crop((max(0, x - pad), 0, w, h))


def register_halves(
    seed: int, *, margin_mm: float = 1.0, **kw: Any
) -> tuple[Image.Image, tuple[Image.Image, Image.Image], dict[str, Any]]:
    """A register spread, its two pages and the spread's truth (entries hold every column)."""
    img, truth = synth.render_register_page(seed, halves=True, **kw)
    return img, cut_spread(img, truth, margin_mm=margin_mm), truth
