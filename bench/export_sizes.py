"""How big the civil-status package's PDF pages are (issue 19): ``python -m bench.export_sizes``.

The Ministry's guidance asks about 100 kB per A4 page, colour, and Decree 30/2020 Annex I at
least 200 dpi. This renders pages of every kind the bench knows (birth extracts, register
pages, TTHC decisions; typed and handwritten; clean and degraded captures) at 300 dpi, makes
each page's PDF the way ``sohoa export --format hotich`` does
(:class:`pipeline.archive.export.PagePdfs`: down to the template's dpi, JPEG quality chosen to
fit, our text layer) and reports the sizes and resolutions, with the JPEG quality each needed.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pikepdf
from PIL import Image

from bench import report
from bench.corpus import synth
from pipeline.archive.hotich import load_template
from pipeline.archive.pdfout import compact_jpeg, page_pdf, parse_hocr

HEADER = "## Export package sizes (#19)"
KINDS = {
    "birth extract": lambda seed: synth.render_birth_extract(seed, dpi=300),
    "register page": lambda seed: synth.render_register_page(seed, dpi=300),
    "register page, handwritten": lambda seed: synth.render_register_page(
        seed, dpi=300, handwritten="all"
    ),
    "TTHC decision": lambda seed: synth.render_tthc_decision(seed, dpi=300),
}


def page_size(img: Image.Image, *, dpi: int, page_kb: int) -> tuple[float, float]:
    """(kB of the page's PDF, dpi of its image) as the export makes it."""
    rgb = np.asarray(img.convert("RGB"))
    rgb = cv2.resize(rgb, None, fx=dpi / 300, fy=dpi / 300, interpolation=cv2.INTER_AREA)
    jpeg = compact_jpeg(rgb, dpi, max_bytes=int(page_kb * 1024 * 0.9))
    data = page_pdf(np.ascontiguousarray(rgb), parse_hocr(""), dpi, image=jpeg)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        page = pdf.pages[0]
        (image,) = page.get_images().values()
        width_pt = float(page.mediabox[2]) - float(page.mediabox[0])
        return len(data) / 1024, int(image.Width) / (width_pt / 72)


def run(pages: int, seed: int) -> str:
    """The section of BENCHMARKS.md."""
    t = load_template()
    m = report.machine()
    rows, start = [], time.perf_counter()
    for kind, render in KINDS.items():
        sizes, dpis = [], []
        for i in range(pages):
            img, _ = render(seed + i)
            kb, dpi = page_size(img, dpi=t.pdf_dpi, page_kb=t.pdf_page_kb)
            sizes.append(kb)
            dpis.append(dpi)
        rows.append(
            f"| {kind} | {pages} | {statistics.median(sizes):.0f} | {max(sizes):.0f} | "
            f"{sum(s <= 150 for s in sizes)}/{pages} | {min(dpis):.0f} |"
        )
    took = time.perf_counter() - start
    return "\n".join(
        [
            HEADER,
            "",
            f"`python -m bench.export_sizes --pages {pages} --seed {seed}` on {date.today()}: "
            f"A4 pages rendered at 300 dpi, each made into the PDF page `sohoa export --format "
            f"hotich` writes (template `pdf_dpi` {t.pdf_dpi}, `pdf_page_kb` {t.pdf_page_kb}: "
            "down to 200 dpi, progressive 4:2:0 JPEG at the best quality of 75…16 that fits "
            f"90 % of the budget). Machine: {m['cpu']}, {m.get('cores', '?')} cores; {took:.0f} s.",
            "",
            "| page kind | pages | median kB / page | largest kB / page | ≤ 150 kB | lowest dpi |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def main() -> None:
    """Run the bench and print (or write) its section."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--seed", type=int, default=41)
    ap.add_argument("--out", type=Path, help="write the section into this Markdown file")
    args = ap.parse_args()
    section = run(args.pages, args.seed)
    if args.out:
        text = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        args.out.write_text(
            report.put_section(text, HEADER, section, before="## Scaling (#9)"), encoding="utf-8"
        )
    print(section)


if __name__ == "__main__":
    main()
