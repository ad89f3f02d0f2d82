"""Finish a typed page in colour: off-white paper, handwritten values, seals, notes, stamps.

Test material for the bench corpus. A renderer of :mod:`bench.corpus.synth` types its page in
grayscale on a canvas; when some values are to be written by hand (:func:`start_hand`) or
marks added, :func:`finish_page` turns the page RGB, writes the values the canvas left blank
and draws the marks over the typed text. Randomness comes from generators seeded by the page's
seed and a purpose (``"hand-<seed>"``, ``"ink-<seed>"``), so turning handwriting or marks on
changes nothing else on the page.

Truth keys added (only to pages that have them)::

    "mode": "RGB",
    "handwritten": ["so_ky_hieu", ...],      # fields whose value holds handwritten ink
    "hand_face": "charm",                    # the handwriting face used
    "hand_boxes": [{"field": "so_ky_hieu", "box": [x0, y0, x1, y1]}, ...]  (+ "entry": i)
    "marks": ["seal", "signature", "margin_note", "copy_stamp"],  # those present
    "mark_boxes": [{"mark": "seal", "box": [x0, y0, x1, y1]}, ...]
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.corpus import marks as mk
from bench.corpus.handwriting import Hand, draw_hand, pick_ink


@dataclass(frozen=True)
class MarkText:
    """What the marks of a page say.

    Attributes:
        seal: text round the seal's rim.
        issued: the document's date (the copy stamp is dated after it).
        font: a regular typed face for stamps; bold: its bold.
    """

    seal: str
    issued: date
    font: Path
    bold: Path


def start_hand(canvas: Any, seed: int, tags: set[str], *, pt: float) -> None:
    """Give the canvas a writer for the values tagged ``tags`` (before anything is typed).

    Args:
        canvas: a :class:`bench.corpus.synth._Canvas`.
        seed: the page's seed.
        tags: run tags to leave blank and write by hand.
        pt: the body text size the handwriting is measured against.
    """
    if not tags:
        return
    box = canvas.font(pt).getbbox("x", anchor="ls")
    canvas.hand = Hand.pick(random.Random(f"hand-{seed}"), x_height_px=box[3] - box[1])
    canvas.hand_tags = set(tags)


def pick_hand_tags(seed: int | str, option: str | None, keys: list[str]) -> set[str]:
    """Which values of a form are written by hand.

    Args:
        seed: the page's seed (the choice has its own generator).
        option: None (all typed), "all" (every value) or "some" (each value by a coin toss,
            at least one).
        keys: the form's field names, in order.
    """
    if option is None:
        return set()
    if option == "all":
        return set(keys)
    if option == "some":
        rng = random.Random(f"hand-fields-{seed}")
        return {k for k in keys if rng.random() < 0.5} or {rng.choice(keys)}
    raise ValueError(f"unknown handwritten option: {option!r}")


def paper_rgb(gray: Image.Image, rng: random.Random) -> np.ndarray:
    """The grayscale page as RGB on slightly warm off-white paper (black ink stays black)."""
    tint = np.array([1.0, rng.uniform(0.985, 1.0), rng.uniform(0.95, 0.985)], np.float32)
    arr = np.asarray(gray.convert("L"), np.float32)[..., None] * tint
    return np.clip(arr + 0.5, 0, 255).astype(np.uint8)


def finish_page(
    canvas: Any, seed: int, *, marks: tuple[str, ...] = (), text: MarkText | None = None
) -> tuple[Image.Image, dict[str, Any]]:
    """Write the blank handwritten values and draw the marks; return the page and truth keys.

    Args:
        canvas: the typed canvas (its ``hand_runs`` and ``anchors`` are read).
        seed: the page's seed.
        marks: names from :data:`bench.corpus.marks.MARKS` to draw.
        text: what the marks say (needed for a seal or a copy stamp).

    Returns:
        The page (RGB when anything was added, else the canvas image unchanged) and the truth
        keys to add (empty when nothing was added).
    """
    if not canvas.hand_runs and not marks:
        return canvas.img, {}
    rng = random.Random(f"ink-{seed}")
    page = paper_rgb(canvas.img, rng)
    extra: dict[str, Any] = {"mode": "RGB"}
    if canvas.hand_runs:
        extra |= _write_values(page, canvas, random.Random(f"hand-jitter-{seed}"))
    if marks:
        drawn = _draw_marks(page, canvas, [m for m in mk.MARKS if m in marks], text, rng)
        extra |= {"marks": [d["mark"] for d in drawn], "mark_boxes": drawn}
    return Image.fromarray(page), extra


def _write_values(page: np.ndarray, canvas: Any, rng: random.Random) -> dict[str, Any]:
    boxes, fields = [], []
    for run in canvas.hand_runs:
        box = draw_hand(page, (run["x"], run["baseline"]), run["text"], canvas.hand, rng)
        field = run["tag"].split(".")[0]
        if box is None:
            continue
        extra = {"entry": run["entry"]} if "entry" in run else {}
        boxes.append({"field": field, "box": box, **extra})
        if field not in fields:
            fields.append(field)
    return {"handwritten": fields, "hand_face": canvas.hand.face, "hand_boxes": boxes}


def _draw_marks(
    page: np.ndarray, canvas: Any, names: list[str], text: MarkText | None, rng: random.Random
) -> list[dict[str, Any]]:
    out = []
    signer = canvas.anchors.get("signer")
    for name in names:
        if name in ("seal", "signature") and signer is None:
            continue
        if name == "seal" and text is not None:
            box = _seal(page, canvas, signer, text, rng)
        elif name == "signature":
            box = _signature(page, canvas, signer, rng)
        elif name == "margin_note":
            box = _note(page, canvas, rng)
        elif name == "copy_stamp" and text is not None:
            box = _copy_stamp(page, canvas, text, rng)
        else:
            continue
        out.append({"mark": name, "box": box})
    return out


def _seal(
    page: np.ndarray, canvas: Any, signer: dict[str, float], text: MarkText, rng: random.Random
) -> list[int]:
    """A 34–40 mm seal over the left part of the signature, its ring across the title line."""
    r = canvas.px(rng.uniform(17, 20))
    centre = (
        signer["x"] - r * rng.uniform(0.3, 0.6),
        signer["top"] + r * rng.uniform(0.55, 0.85),
    )
    return mk.draw_seal(page, centre, r, text.seal, rng, font_path=text.bold)


def _signature(
    page: np.ndarray, canvas: Any, signer: dict[str, float], rng: random.Random
) -> list[int]:
    x, top, name_top = signer["x"], signer["top"], signer["name_top"]
    gap_top = top + (name_top - top) * 0.3
    box = (
        x - canvas.px(rng.uniform(18, 26)),
        gap_top,
        x + canvas.px(rng.uniform(12, 24)),
        name_top,
    )
    ink = pick_ink(rng) if rng.random() < 0.8 else (20, 20, 30)
    return mk.draw_signature(page, box, ink, rng)


def _note(page: np.ndarray, canvas: Any, rng: random.Random) -> list[int]:
    """A leader's instruction in blue, up the left margin or across the top-left corner."""
    box = canvas.font(13).getbbox("x", anchor="ls")
    hand = Hand.pick(rng, x_height_px=(box[3] - box[1]) * 0.85)
    hand = Hand(hand.face, hand.size_px, (rng.randint(20, 40), rng.randint(40, 70), 170), 0, 0)
    lines = rng.sample(mk.NOTES, rng.randint(1, 2))
    lines = [*_split(lines, rng), f"{rng.randint(1, 28)}/{rng.randint(1, 12)}"][:4]
    if rng.random() < 0.5:  # up the left margin, as in a real letter
        origin = (canvas.px(rng.uniform(6, 10)), canvas.px(rng.uniform(120, 190)))
        angle = rng.uniform(70, 88)
    else:
        origin = (canvas.px(rng.uniform(6, 15)), canvas.px(rng.uniform(12, 20)))
        angle = rng.uniform(-3, 12)
    return mk.draw_note(page, origin, lines, hand, rng, angle=angle)


def _split(lines: list[str], rng: random.Random) -> list[str]:
    """Break long instructions into the short lines a hand writes in a margin."""
    out = []
    for line in lines:
        words = line.split()
        cut = len(words) // 2 if len(words) > 5 else len(words)
        out += [" ".join(words[:cut]), " ".join(words[cut:])] if cut < len(words) else [line]
    return [s for s in out if s][:3] if rng.random() < 0.9 else out[:2]


def _copy_stamp(page: np.ndarray, canvas: Any, text: MarkText, rng: random.Random) -> list[int]:
    """A "SAO Y BẢN CHÍNH" stamp in the free space under the text, or at the top right."""
    when = datetime.combine(text.issued + timedelta(days=rng.randint(1, 400)), datetime.min.time())
    when += timedelta(seconds=rng.randint(7 * 3600, 17 * 3600))
    lines = [
        rng.choice(("SAO Y BẢN CHÍNH", "BẢN SAO", "SAO Y")),
        f"Số: {rng.randint(1, 300)}/SY-VP",
        f"Ngày {when:%d/%m/%Y}",
        f"Thời gian ký: {when:%d.%m.%Y %H:%M:%S} +07:00",
    ]
    px = canvas.px(3.0)
    height = round(px * 1.6 * 4.3) + 2 * round(px * 0.6)
    h, w = page.shape[:2]
    if h - canvas.y > height + canvas.px(12):
        at = (canvas.px(rng.uniform(25, 60)), canvas.y + canvas.px(rng.uniform(3, 8)))
    else:
        at = (w - canvas.px(rng.uniform(85, 95)), canvas.px(rng.uniform(3, 8)))
    ink = rng.choice(mk.RED_INKS) if rng.random() < 0.6 else mk.STAMP_BLUE
    return mk.draw_copy_stamp(
        page, at, lines, rng, font_path=text.font, bold_path=text.bold, px=px, ink=ink
    )
