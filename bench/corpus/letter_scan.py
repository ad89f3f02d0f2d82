"""How an office captures a multi-page document, and the file it keeps (bench only).

:func:`pick_recipe` draws one mild capture for every page of a document (yellowed paper,
sensor noise, JPEG, a 200-dpi bilevel scan), :func:`degrade_pages` applies it with the
operations of :mod:`bench.corpus.degrade` (each page with its own small skew, as fed to a
scanner) and :func:`save_document` writes the pages as one multi-page PDF or TIFF.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PIL import Image

from bench.corpus import degrade as dg

#: The mild captures of a document (one per document, every page alike).
CAPTURES = ("", "", "jpeg", "scan_bilevel_200")


def pick_recipe(rng: random.Random) -> list[dict[str, Any]]:
    """One mild capture for all pages of a document: yellowing, noise, JPEG or bilevel."""
    capture = rng.choice(CAPTURES)
    steps: list[dict[str, Any]] = []
    if capture != "scan_bilevel_200" and rng.random() < 0.3:
        steps.append({"op": "yellow", "strength": round(rng.uniform(0.15, 0.4), 3)})
    if rng.random() < 0.3:
        steps.append({"op": "noise", "sigma": round(rng.uniform(2.0, 5.0), 2)})
    if capture == "jpeg":
        steps.append({"op": "jpeg", "quality": rng.randint(55, 85)})
    elif capture:
        steps.append({"op": capture, "threshold": rng.randint(150, 175)})
    return steps


def degrade_pages(
    images: list[Image.Image], truth: dict[str, Any], seed: int, recipe: list[dict[str, Any]]
) -> tuple[list[Image.Image], dict[str, Any]]:
    """Apply ``recipe`` to every page, each with its own small skew (as fed to a scanner).

    Returns:
        The pages and the truth with ``degradations`` (per page) and ``dpi`` after capture.
    """
    rng = random.Random(f"skew-{seed}")
    out, steps = [], []
    dpi = truth["dpi"]
    for i, img in enumerate(images):
        skew = max(-1.5, min(1.5, rng.gauss(0.0, 0.6)))
        tilt = [{"op": "skew", "deg": round(skew, 2), "fill": None}] if rng.random() < 0.6 else []
        page_recipe = dg.sort_recipe([*recipe, *tilt])
        page_truth = {"dpi": truth["dpi"], "kind": "tthc", "font": truth["font"]}
        new, got = dg.degrade(img, page_truth, seed=seed * 10 + i, recipe=page_recipe)
        if got.get("mode") == "1":
            new = new.convert("1")
        out.append(new)
        steps.append(got["degradations"])
        dpi = got["dpi"]
    return out, truth | {"degradations": steps, "dpi": dpi}


def save_document(images: list[Image.Image], path: Path, dpi: int) -> None:
    """Write the pages as one multi-page PDF, or TIFF (by the path's suffix)."""
    first, rest = images[0], images[1:]
    if str(path).endswith((".tif", ".tiff")):
        bilevel = all(im.mode == "1" for im in images)
        options = {"compression": "group4"} if bilevel else {"compression": "tiff_lzw"}
        first.save(path, save_all=True, append_images=rest, dpi=(dpi, dpi), **options)
    else:
        first.save(path, save_all=True, append_images=rest, resolution=float(dpi))
