"""Peak memory of the page stages on a 300-dpi A3 colour scan, in a process of its own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

from bench.corpus.synth import render_birth_extract

_CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
from PIL import Image
from pipeline.config import ProcessOptions
from pipeline.extract.calibration import packaged
from pipeline.process import process_image
from ocr.tesseract import TesseractEngine
im = Image.open(sys.argv[1]); im.load()
start = time.perf_counter()
with tempfile.TemporaryDirectory() as d:
    out = process_image(im, stem="a3", workdir=Path(d), options=ProcessOptions(),
                        engine=TesseractEngine(), calibration=packaged())
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"python_peak_mb": round(own, 1), "tesseract_peak_mb": round(kids, 1),
                  "seconds": round(time.perf_counter() - start, 2), "timings": out.timings}))
"""


def a3_colour_page(path: Path) -> Path:
    """Two birth extracts side by side on yellowed paper: A3 landscape, 300 dpi, RGB."""
    if path.exists():
        return path
    left, _ = render_birth_extract(11, dpi=300)
    right, _ = render_birth_extract(12, dpi=300)
    w, h = left.size
    page = Image.new("RGB", (2 * w, h), (236, 226, 196))
    for i, im in enumerate((left, right)):
        mask = Image.eval(im.convert("L"), lambda v: 255 - v)
        page.paste((40, 30, 90), (i * w, 0), mask)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.save(path, dpi=(300, 300), compress_level=1)
    return path


def measure_a3(workdir: Path) -> dict:
    """Run the page stages on the A3 colour page in a fresh interpreter; return its peaks."""
    page = a3_colour_page(workdir / "a3_colour_300dpi.png")
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, str(page)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if run.returncode != 0:
        return {"error": run.stderr.strip().splitlines()[-1:] or ["failed"]}
    result = json.loads(run.stdout.strip().splitlines()[-1])
    with Image.open(page) as im:
        result["size"] = list(im.size)
    return result
