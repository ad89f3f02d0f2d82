"""The benchmark corpus: synthetic pages with exact truth, each clean and degraded.

``build_corpus(root, n_pages=60, seed=1)`` plans ``n_pages`` pages from the seed alone — page
kinds (birth, marriage and death extracts, birth register pages, TTHC decisions) in turn, faces
(serif, typewriter-like mono, sans, handwriting-like when installed), dates in digits and in
words, and a degradation recipe per page such that every op of :data:`bench.corpus.degrade.OPS`
is used — then renders what is not cached yet. A share of the pages has values written by hand
in blue or black ink (decisions ~60 %, extracts ~40 %, register pages ~50 %), decisions carry
seals, signatures, margin notes and copy stamps (:mod:`bench.corpus.inked`), and each page is
captured one way in turn: a plain 300-dpi scan, a rescan at another dpi, a 150/200-dpi bilevel
scan, a 150-dpi colour JPEG scan or a ~70-dpi phone photo (:mod:`bench.corpus.capture`).
For each page it writes under ``root``:

- ``<id>.png`` (``<id>.jpg`` when the recipe ends in JPEG re-encoding: the file *is* that one
  encoding; a 1-bit PNG after a bilevel scan) — the degraded page, with its dpi;
- ``<id>_clean.png`` — the same page undegraded (the floor of the benchmark);
- ``<id>.truth.json`` — the truth of the degraded page (see :mod:`bench.corpus.synth` and
  :mod:`bench.corpus.degrade`) plus ``id``, ``file``, ``clean`` (file, dpi, size, cell, hand and
  mark boxes of the clean page), ``generator`` (renderer, seed, options), ``severity``,
  ``recipe_hash``, and ``handwritten`` and ``marks`` (empty lists when the page has none).

A page whose truth file carries the planned ``recipe_hash`` and whose images exist is reused
as is. The truth file is written last (atomically), so an interrupted build re-renders only the
unfinished pages.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.corpus import capture, synth, synth_extracts
from bench.corpus import degrade as dg

#: Bump when rendering or degrading changes in a way the recipe hash cannot see.
CORPUS_VERSION = 2
KINDS = ("khai_sinh", "ket_hon", "khai_tu", "so_khai_sinh", "tthc")
_RENDERERS = {
    "khai_sinh": "render_birth_extract",
    "ket_hon": "render_marriage_extract",
    "khai_tu": "render_death_extract",
    "so_khai_sinh": "render_register_page",
    "tthc": "render_tthc_decision",
}
_TYPED_FACES = ("serif", "serif", "sans", "mono")  # decisions are typed, never handwritten
# How each page is captured, taken in turn (every round of ten: each scan or photo once, a
# plain scan stored as JPEG once, four plain 300-dpi scans); a page has one capture.
_CAPTURES = (*capture.CAPTURE, "jpeg", "", "", "", "")
_FORCED = tuple(op for op in dg.OPS if op not in _CAPTURES)
# Share of pages with handwritten values, by kind; and how often each mark is on a decision.
_HAND_SHARE = {"tthc": 0.6, "khai_sinh": 0.4, "ket_hon": 0.4, "khai_tu": 0.4, "so_khai_sinh": 0.5}
_MARK_SHARE = {"seal": 0.7, "signature": 0.8, "margin_note": 0.3, "copy_stamp": 0.25}


@dataclass(frozen=True)
class CorpusPage:
    """One page of the corpus and where its files are."""

    id: str
    kind: str
    image_path: Path
    clean_path: Path
    truth_path: Path
    degradations: list[str] = field(hash=False)
    font: str


@dataclass(frozen=True)
class PageSpec:
    """Everything that determines one page (planned from the corpus seed, before rendering)."""

    id: str
    kind: str
    font: str
    seed: int
    options: dict[str, Any] = field(hash=False)
    recipe: list[dict[str, Any]] = field(hash=False)
    severity: float

    @property
    def suffix(self) -> str:
        """The file suffix: .jpg when the recipe ends in JPEG re-encoding, else .png."""
        return ".jpg" if self.recipe and self.recipe[-1]["op"] == "jpeg" else ".png"

    @property
    def recipe_hash(self) -> str:
        """Hash of what determines the page's files (the cache key)."""
        key = {
            "version": CORPUS_VERSION,
            "kind": self.kind,
            "font": self.font,
            "seed": self.seed,
            "options": self.options,
            "recipe": self.recipe,
        }
        text = json.dumps(key, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- planning (pure)


def corpus_faces() -> tuple[str, ...]:
    """The faces the corpus mixes: the core ones, plus handwriting-like when installed."""
    return synth.FACES + tuple(f for f in synth.OPTIONAL_FACES if synth.face_available(f))


def plan_corpus(
    n_pages: int, seed: int, *, faces: tuple[str, ...] | None = None, dpi: int = 300
) -> list[PageSpec]:
    """Plan a corpus: page kinds in turn, faces in turn, every degradation op used.

    Page ``i`` depends only on the seed and ``i``, so a smaller corpus is the first pages of
    a bigger one. Besides its random recipe, each page is given the next ops of a stream that
    takes every op in turn (two per page for the first ten pages, then one), so ten pages
    use every op at least once.

    Args:
        n_pages: number of pages (every kind appears once ``n_pages`` ≥ 5, every
            degradation op once ``n_pages`` ≥ 10).
        seed: the corpus seed; the same seed (and faces) gives the same plan.
        faces: faces to mix (default :func:`corpus_faces`).
        dpi: resolution the clean pages are rendered at.

    Returns:
        One spec per page, ids ``p0001_<kind>`` …
    """
    if n_pages < 1:
        raise ValueError("n_pages must be at least 1")
    faces = faces or corpus_faces()
    kinds = _in_turn(np.random.default_rng([seed, 1]), KINDS, n_pages)
    face_turns = _in_turn(np.random.default_rng([seed, 2]), faces, n_pages)
    first = -(-len(_FORCED) // 2)  # pages that take two forced ops
    n_forced = 2 * min(n_pages, first) + max(0, n_pages - first)
    forced = _in_turn(np.random.default_rng([seed, 3]), _FORCED, n_forced)
    captures = _in_turn(np.random.default_rng([seed, 5]), _CAPTURES, n_pages)
    specs = []
    for i, kind in enumerate(kinds):
        rng = np.random.default_rng([seed, 4, i])
        font = str(rng.choice(_TYPED_FACES)) if kind == "tthc" else face_turns[i]
        severity = round(float(rng.uniform(0.2, 0.95)), 2)
        at = 2 * min(i, first) + max(0, i - first)
        mine = forced[at : at + (2 if i < first else 1)]
        steps = dg.random_recipe(rng, severity) + [
            dg.sample_step(name, rng, severity) for name in mine
        ]
        took = dg.sample_step(captures[i], rng, severity) if captures[i] else None
        specs.append(
            PageSpec(
                id=f"p{i + 1:04d}_{kind}",
                kind=kind,
                font=font,
                seed=int(rng.integers(1, 10**9)),
                options={"dpi": dpi, **_options(rng, kind)},
                recipe=dg.with_capture(steps, took),
                severity=severity,
            )
        )
    return specs


def _in_turn(rng: np.random.Generator, items: tuple[str, ...], n: int) -> list[str]:
    """Take each item in turn, in a fresh random order every round, until there are n."""
    out: list[str] = []
    while len(out) < n:
        out += [items[j] for j in rng.permutation(len(items))]
    return out[:n]


def _options(rng: np.random.Generator, kind: str) -> dict[str, Any]:
    if kind == "tthc":
        hand = rng.random() < _HAND_SHARE[kind]
        which = int(rng.choice(3, p=(0.5, 0.3, 0.2)))  # both, the number only, the day only
        fields = (["so_ky_hieu", "ngay_ban_hanh"], ["so_ky_hieu"], ["ngay_ban_hanh"])[which]
        return {
            "year": int(rng.integers(2016, 2025)),
            "handwritten": fields if hand else [],
            "marks": [m for m, p in _MARK_SHARE.items() if rng.random() < p],
        }
    options: dict[str, Any] = {"reg_year": int(rng.integers(1992, 2025))}
    if rng.random() < _HAND_SHARE[kind]:  # values filled in by hand: all of them or some
        options["handwritten"] = "all" if rng.random() < 0.5 else "some"
    if kind in ("khai_sinh", "ket_hon", "khai_tu"):
        choices, weights = (
            ("standard", "regional", None),
            ((0.4, 0.4, 0.2) if kind == "khai_sinh" else (0.2, 0.4, 0.4)),
        )
        options["date_words"] = choices[int(rng.choice(3, p=weights))]
    return options


# ---------------------------------------------------------------- rendering (I/O)


def build_corpus(
    root: Path, *, n_pages: int, seed: int, workers: int | None = None, dpi: int = 300
) -> list[CorpusPage]:
    """Build (or reuse) the corpus under ``root``; see the module docstring.

    Args:
        root: folder to write into (created); e.g. ``SOHOA_HOME/bench/corpus-<seed>-<n>``.
        n_pages: number of pages.
        seed: corpus seed: the same seed gives the same pages.
        workers: processes for the pages to render (default: up to 2, by CPU count;
            1 renders in this process).
        dpi: resolution of the clean pages (tests use less than the default 300).

    Returns:
        The pages in plan order.
    """
    root.mkdir(parents=True, exist_ok=True)
    specs = plan_corpus(n_pages, seed, dpi=dpi)
    todo = [s for s in specs if not _cached(root, s)]
    workers = workers or min(2, os.cpu_count() or 1)
    if len(todo) > 1 and workers > 1:
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            list(pool.map(_build_page, todo, [root] * len(todo)))
    else:
        for spec in todo:
            _build_page(spec, root)
    return [_page(root, s) for s in specs]


def read_truth(page: CorpusPage) -> dict[str, Any]:
    """The truth of a corpus page."""
    return json.loads(page.truth_path.read_text(encoding="utf-8"))


def _page(root: Path, spec: PageSpec) -> CorpusPage:
    return CorpusPage(
        id=spec.id,
        kind=spec.kind,
        image_path=root / f"{spec.id}{spec.suffix}",
        clean_path=root / f"{spec.id}_clean.png",
        truth_path=root / f"{spec.id}.truth.json",
        degradations=[s["op"] for s in spec.recipe],
        font=spec.font,
    )


def _cached(root: Path, spec: PageSpec) -> bool:
    page = _page(root, spec)
    if not (page.truth_path.is_file() and page.image_path.is_file() and page.clean_path.is_file()):
        return False
    try:
        return read_truth(page).get("recipe_hash") == spec.recipe_hash
    except (OSError, ValueError):
        return False


def render_page(spec: PageSpec) -> tuple[Image.Image, Image.Image, dict[str, Any]]:
    """Render a planned page: (degraded image, clean image, truth of the degraded image).

    A final JPEG step is not applied here but recorded: the caller writes the file with
    that quality, so the stored file is exactly one JPEG encoding.
    """
    name = _RENDERERS[spec.kind]
    module = synth_extracts if hasattr(synth_extracts, name) else synth
    render: Callable[..., tuple[Image.Image, dict[str, Any]]] = getattr(module, name)
    clean, truth = render(spec.seed, font=spec.font, **spec.options)
    steps = spec.recipe[:-1] if spec.suffix == ".jpg" else spec.recipe
    img, out = dg.degrade(clean, truth, seed=spec.seed, recipe=steps)
    if spec.suffix == ".jpg":
        out["degradations"].append(dict(spec.recipe[-1]))
    clean_info = {
        "file": f"{spec.id}_clean.png",
        "dpi": truth["dpi"],
        "size": [clean.width, clean.height],
    }
    for key in ("cell_boxes", "hand_boxes", "mark_boxes"):
        if key in truth:
            clean_info[key] = truth[key]
    out.setdefault("handwritten", [])
    out.setdefault("marks", [])
    out |= {
        "id": spec.id,
        "file": f"{spec.id}{spec.suffix}",
        "clean": clean_info,
        "generator": {
            "function": f"{module.__name__}.{name}",
            "seed": spec.seed,
            "options": spec.options,
        },
        "severity": spec.severity,
        "recipe_hash": spec.recipe_hash,
    }
    return img, clean, out


def _build_page(spec: PageSpec, root: Path) -> None:
    img, clean, truth = render_page(spec)
    page = _page(root, spec)
    dpi = (truth["dpi"], truth["dpi"])
    if spec.suffix == ".jpg":
        _save(img, page.image_path, dpi=dpi, quality=int(spec.recipe[-1]["quality"]))
    elif truth.get("mode") == "1":  # a bilevel scan: a 1-bit file
        bilevel = img.convert("1", dither=Image.Dither.NONE)
        _save(bilevel, page.image_path, dpi=dpi, optimize=True)
    else:
        _save(img, page.image_path, dpi=dpi, compress_level=3)
    _save(clean, page.clean_path, dpi=(truth["clean"]["dpi"],) * 2, optimize=True)
    tmp = page.truth_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(page.truth_path)


def _save(img: Image.Image, path: Path, **options: Any) -> None:
    """Write an image through a temporary file, so a half-written file is never left."""
    tmp = path.with_name(f".{path.name}.tmp")
    img.save(tmp, format="JPEG" if path.suffix == ".jpg" else "PNG", **options)
    tmp.replace(path)
