"""Regenerate the committed synthetic sample pages and their ground truth.

Run from the repository root::

    python data/samples/make_samples.py            # writes beside this file
    python data/samples/make_samples.py --out DIR  # somewhere else

Every sample is fully determined by the table ``SAMPLES`` below (generator, seed, options,
skew, file format). Pixels can differ slightly between Pillow/FreeType builds; the truth JSON
does not (tests/test_synth.py checks the committed truth against a fresh build).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # allow `python data/samples/make_samples.py` without install
    sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bench.corpus import synth  # noqa: E402

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Sample:
    """One committed sample: how to render it and how to store it."""

    stem: str
    render: Callable[..., tuple[Image.Image, dict[str, Any]]]
    seed: int
    options: dict[str, Any]
    suffix: str = ".png"
    skew_deg: float = 0.0
    save_options: dict[str, Any] = field(default_factory=dict)


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "ks_2018_01",
        synth.render_birth_extract,
        29,
        {"reg_year": 2018, "font": "serif", "dpi": 300},
        save_options={"optimize": True},
    ),
    Sample(
        "ks_1994_02",
        synth.render_birth_extract,
        6,
        {"reg_year": 1994, "font": "mono", "dpi": 300},
        suffix=".jpg",
        skew_deg=2.5,
        save_options={"quality": 85},
    ),
    Sample(
        "ks_2009_03",
        synth.render_birth_extract,
        35,
        {"reg_year": 2009, "font": "sans", "dpi": 300},
        suffix=".tif",
        save_options={"compression": "tiff_adobe_deflate"},
    ),
    Sample(
        "qd_2018_tthc",
        synth.render_tthc_decision,
        18,
        {"year": 2018, "province_code": "02", "agency": "SNV", "font": "serif", "dpi": 300},
        save_options={"optimize": True},
    ),
    Sample(
        "so_ks_1999_p1",
        synth.render_register_page,
        5,
        {"reg_year": 1999, "first_no": 1, "font": "serif", "dpi": 300},
        save_options={"optimize": True},
    ),
)


def build(sample: Sample) -> tuple[Image.Image, dict[str, Any]]:
    """Render a sample and apply its degradations; return the page and its truth."""
    img, truth = sample.render(sample.seed, **sample.options)
    if sample.skew_deg:
        img, truth = synth.with_skew(img, truth, sample.skew_deg)
    if sample.suffix == ".jpg":
        truth["degradations"].append({"op": "jpeg", "quality": sample.save_options["quality"]})
    truth["file"] = sample.stem + sample.suffix
    truth["generator"] = {
        "function": f"bench.corpus.synth.{sample.render.__name__}",
        "seed": sample.seed,
        "options": sample.options,
    }
    return img, truth


def save(sample: Sample, img: Image.Image, truth: dict[str, Any], out_dir: Path) -> Path:
    """Write the page (with its DPI) and ``<stem>.truth.json`` into out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / truth["file"]
    img.save(path, dpi=(truth["dpi"], truth["dpi"]), **sample.save_options)
    text = json.dumps(truth, ensure_ascii=False, indent=2) + "\n"
    (out_dir / f"{sample.stem}.truth.json").write_text(text, encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Regenerate every sample into --out (default: this folder)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder")
    args = parser.parse_args(argv)
    for sample in SAMPLES:
        path = save(sample, *build(sample), args.out)
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
