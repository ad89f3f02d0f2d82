# Over 500 lines: one measuring script, with its crop renderers and its report.
"""Second line reader: Tesseract vie fast vs tessdata_best (int) vs asterocr, on cut lines.


Rerun with ``.venv/bin/python -m bench.second_reader [--n-typed 80] [--per-face 30]``.
Everything is made in a temporary directory (nothing is written into the repository):

* typed crops rendered with system fonts (Noto Serif, DejaVu, Noto Mono) at x-heights of about
  15–40 px: document numbers, place-date lines, names, 12-digit ID numbers;
* handwritten-face crops: a typed line with the number / day / month drawn in one of the six
  OFL handwriting faces of ``bench/corpus/fonts`` (blue or black ink, each glyph jittered and
  turned by up to ±3°), plus whole handwritten names;
* real crops: the "Số: …" and place-date lines of page 1 of the two letters in
  ``../shared/real`` (skipped when absent; never stored).

Each crop goes through three readers, each single-threaded: Tesseract ``vie`` fast (the
Debian data, as the page OCR uses), Tesseract ``vie`` from tessdata_best (int) out of the npm
package ``@tesseract.js-data/vie`` (fetched with ``npm pack`` into the temp dir) and asterocr
through ``ocr.second_reader.AsterLineReader``. Printed: CER per crop kind, exact match of the
field (the digits on handwritten lines), how often two readers agree on a *wrong* field value
(what an agreement rule would auto-accept), ms per line, load time and RSS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.metrics import cer, normalize_for_cer
from ocr.second_reader import AsterLineReader
from ocr.tesseract import STDOUT, build_args, parse_tsv, run_tool
from pipeline.ports import LineReading

ROOT = Path(__file__).resolve().parents[1]
HAND_FONTS = sorted((ROOT / "bench" / "corpus" / "fonts").glob("*.ttf"))
REFERENCE = ROOT.parent / "shared" / "reference"
REAL = ROOT.parent / "shared" / "real"
SYS = Path("/usr/share/fonts/truetype")
TYPED_FONTS = [
    SYS / "noto" / "NotoSerif-Regular.ttf",
    SYS / "noto" / "NotoSerif-Italic.ttf",
    SYS / "dejavu" / "DejaVuSans.ttf",
    SYS / "dejavu" / "DejaVuSerif.ttf",
    SYS / "noto" / "NotoMono-Regular.ttf",
]
SERIF = TYPED_FONTS[0]
NPM_PACKAGE = "@tesseract.js-data/vie@1.0.0"
SYSTEM_TESSDATA = Path("/usr/share/tesseract-ocr/5/tessdata")
AGENCIES = ["QĐ-SNV", "SGDĐT-CTrTT", "CV-PA83", "UBND-VX", "QĐ-UBND", "TB-STP", "KH-SYT", "BC-UBND"]
PLACES = ["Hà Giang", "Đà Nẵng", "Thừa Thiên Huế", "Bắc Ninh", "Cần Thơ", "Quảng Ngãi", "Hà Nội"]
BLUE, BLACK = (25, 45, 150), (20, 20, 20)
#: faces asterocr's own synthesizer downloads for training (asterocr/synthesizer/font_manager.py):
#: its scores on them are not a fair test; charm and pacifico are held out
ASTER_TRAINING_FACES = {"dancing-script", "patrick-hand", "mali", "itim"}


@dataclass(frozen=True)
class Sample:
    """One cut line: its image, its text and the field value a clerk would key."""

    name: str
    group: str  # typed | hand-seen | hand-held-out | real
    kind: str  # so | date | name | id
    image: np.ndarray
    truth: str
    field: str


# --------------------------------------------------------------------------- text and fields


def canon(text: str) -> str:
    """Normalized text for CER: NFC, single spaces, no space around '/', one after ':'."""
    text = normalize_for_cer(text)
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"\s*:\s*", ": ", text).strip()


def field_of(kind: str, text: str) -> str | None:
    """The field value in a reading (None when the line's frame was not found)."""
    text = canon(text)
    if kind == "so":
        m = re.search(r":\s*([^/]*?)/", text)
        return m[1].replace(" ", "") if m else None
    if kind == "date":
        m = re.search(r"ngày\s*(.*?)\s*tháng\s*(.*?)\s*năm", text)
        return f"{m[1]}/{m[2]}".replace(" ", "") if m else None
    if kind == "id":
        m = re.search(r":\s*(.*)$", text)
        return m[1].replace(" ", "") if m else None
    return text or None


def _names(rng: random.Random, n: int) -> list[str]:
    sur = [ln.split(",")[1] for ln in _lines(REFERENCE / "surnames_weighted_hungnguyen18.csv")[1:]]
    mid = [ln.split(",")[3] for ln in _lines(REFERENCE / "middle_names_hungnguyen18.csv")[1:]]
    given = _lines(REFERENCE / "given_names_male_duyet.txt")
    given += _lines(REFERENCE / "given_names_female_duyet.txt")
    out = []
    for _ in range(n):
        name = f"{rng.choice(sur)} {rng.choice(mid)} {rng.choice(given)}"
        out.append(name.upper() if rng.random() < 0.3 else name)
    return out


def _lines(path: Path) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _number(rng: random.Random) -> str:
    return str(rng.choice([rng.randint(1, 99), rng.randint(100, 999), rng.randint(1000, 9999)]))


# --------------------------------------------------------------------------- rendering


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _glyph(text: str, font: ImageFont.FreeTypeFont, ink: tuple[int, int, int], angle: float):
    """The glyph turned by ``angle``, and where its image's corner sits from (pen x, ascender)."""
    left, top, right, bottom = font.getbbox(text)
    pad = font.size // 3
    w, h = right - left + 2 * pad, bottom - top + 2 * pad
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((pad - left, pad - top), text, font=font, fill=(*ink, 255))
    turned = im.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    dx = left - pad - (turned.width - w) // 2
    dy = top - pad - (turned.height - h) // 2
    return turned, dx, dy


def render(parts: list[tuple[str, Path, bool]], size: int, rng: random.Random, ink) -> Image.Image:
    """Draw segments (text, font, handwritten?) on one baseline; returns a gray crop."""
    canvas = Image.new("RGB", (size * 40, size * 3), (250, 248, 242))
    x, base = size // 2, size
    for text, path, hand in parts:
        if not hand:
            font = _font(path, size)
            ImageDraw.Draw(canvas).text((x, base), text, font=font, fill=BLACK, anchor="ls")
            x += int(font.getlength(text))
            continue
        font = _font(path, int(size * rng.uniform(1.0, 1.35)))
        x += int(size * rng.uniform(0.05, 0.2))
        for ch in text:
            glyph, dx, dy = _glyph(ch, font, ink, rng.uniform(-3, 3))
            jitter = int(rng.uniform(-0.08, 0.08) * size)
            canvas.paste(glyph, (x + dx, base - font.getmetrics()[0] + dy + jitter), glyph)
            x += int(font.getlength(ch) * rng.uniform(0.9, 1.15))
        x += int(size * rng.uniform(0.05, 0.2))
    gray = np.asarray(canvas.convert("L"))
    ys, xs = np.nonzero(gray < 200)
    margin = size // 4
    h, w = gray.shape
    box = (
        max(xs.min() - margin, 0),
        max(ys.min() - margin, 0),
        min(xs.max() + margin, w),
        min(ys.max() + margin, h),
    )
    return canvas.convert("L").crop(box)


def degrade(im: Image.Image, rng: random.Random, mode: str) -> np.ndarray:
    """clean, scan (blur + noise) or bilevel (a 1-bit office scan)."""
    if mode == "clean":
        return np.asarray(im)
    im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.2)))
    arr = np.asarray(im, dtype=np.float32)
    if mode == "scan":
        arr = arr + np.random.default_rng(rng.randint(0, 2**31)).normal(0, 10, arr.shape)
        return np.clip(arr, 0, 255).astype(np.uint8)
    return np.where(arr < rng.uniform(140, 190), 0, 255).astype(np.uint8)


def _line_parts(kind: str, rng: random.Random, hand: Path | None, name: str):
    """(parts, truth, field) of one line; the digits are handwritten when ``hand`` is set."""
    serif = SERIF
    if kind == "so":
        num, suffix = _number(rng), "/" + rng.choice(AGENCIES)
        parts = [
            ("Số: ", serif, False),
            (num, hand or serif, hand is not None),
            (suffix, serif, False),
        ]
        return parts, f"Số: {num}{suffix}", num
    if kind == "date":
        day, month, year = rng.randint(1, 31), rng.randint(1, 12), rng.randint(2000, 2024)
        head = f"{rng.choice(PLACES)}, ngày "
        parts = [
            (head, serif, False),
            (str(day), hand or serif, hand is not None),
            (" tháng ", serif, False),
            (str(month), hand or serif, hand is not None),
            (f" năm {year}", serif, False),
        ]
        return parts, f"{head}{day} tháng {month} năm {year}", f"{day}/{month}"
    if kind == "id":
        digits = "0" + "".join(str(rng.randint(0, 9)) for _ in range(11))
        parts = [("Số định danh: ", serif, False), (digits, hand or serif, hand is not None)]
        return parts, f"Số định danh: {digits}", digits
    return [(name, hand or serif, hand is not None)], name, name


def typed_samples(rng: random.Random, n: int) -> list[Sample]:
    """Lines in system fonts, every part typed."""
    kinds, names, out = ["so", "date", "name", "id"], _names(rng, n), []
    for i in range(n):
        kind, font = kinds[i % 4], TYPED_FONTS[(i // 4) % len(TYPED_FONTS)]
        parts, truth, field = _line_parts(kind, rng, None, names[i])
        parts = [(t, font, False) for t, _, _ in parts]
        im = render(parts, rng.randint(30, 72), rng, BLACK)
        mode = ["clean", "scan", "bilevel"][i % 3]
        out.append(
            Sample(
                f"typed-{i:03d}-{font.stem}-{mode}",
                "typed",
                kind,
                degrade(im, rng, mode),
                truth,
                field,
            )
        )
    return out


def hand_samples(rng: random.Random, per_face: int) -> list[Sample]:
    """Typed lines with handwritten digits (so, date, id) and handwritten names, per face."""
    out = []
    for face in HAND_FONTS:
        group = "hand-seen" if face.stem in ASTER_TRAINING_FACES else "hand-held-out"
        names = _names(rng, per_face)
        for i in range(per_face):
            kind = ["so", "date", "so", "date", "id", "name"][i % 6]
            parts, truth, field = _line_parts(kind, rng, face, names[i])
            ink = BLUE if rng.random() < 0.6 else BLACK
            im = render(parts, rng.randint(30, 64), rng, ink)
            mode = ["clean", "scan", "bilevel"][i % 3]
            out.append(
                Sample(
                    f"hand-{face.stem}-{i:02d}-{kind}-{mode}",
                    group,
                    kind,
                    degrade(im, rng, mode),
                    truth,
                    field,
                )
            )
    return out


REAL_CROPS = {  # file, page dpi, box on page 1, kind, truth
    "sgddt-so": (
        "letter-2019-sgddt-danang.pdf",
        200,
        (265, 283, 725, 350),
        "so",
        "Số: 1535/SGDĐT-CTrTT",
        "1535",
    ),
    "sgddt-date": (
        "letter-2019-sgddt-danang.pdf",
        200,
        (835, 283, 1445, 352),
        "date",
        "Đà Nẵng, ngày 31 tháng 5 năm 2019",
        "31/5",
    ),
    "pa83-so": (
        "letter-2018-pa83-danang.pdf",
        300,
        (320, 310, 770, 385),
        "so",
        "Số: 115/CV-PA83",
        "115",
    ),
    "pa83-date": (
        "letter-2018-pa83-danang.pdf",
        300,
        (1415, 322, 2325, 400),
        "date",
        "Đà Nẵng, ngày 26 tháng 4 năm 2018",
        "26/4",
    ),
}


def real_samples(tmp: Path) -> list[Sample]:
    """The number and date lines of the two real letters (none when ../shared/real is absent)."""
    out, pages = [], {}
    for name, (pdf, dpi, box, kind, truth, field) in REAL_CROPS.items():
        if not (REAL / pdf).is_file():
            continue
        if pdf not in pages:
            base = tmp / Path(pdf).stem
            subprocess.run(
                [
                    "pdftoppm",
                    "-r",
                    str(dpi),
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-png",
                    "-singlefile",
                    str(REAL / pdf),
                    str(base),
                ],
                check=True,
            )
            pages[pdf] = Image.open(f"{base}.png").convert("L")
        out.append(Sample(name, "real", kind, np.asarray(pages[pdf].crop(box)), truth, field))
    return out


# --------------------------------------------------------------------------- readers


class TesseractLine:
    """Tesseract on one crop, ``--psm 7``, via the project's wrapper (one process a line)."""

    def __init__(self, label: str, tessdata: Path | None, tmp: Path) -> None:
        self.name, self._tessdata, self._tmp = label, tessdata, tmp

    def read_line(self, image: np.ndarray) -> LineReading:
        path = self._tmp / "line.png"
        Image.fromarray(image).save(path, dpi=(300, 300))
        args = build_args(image=path, out_base=STDOUT, lang="vie", psm=7, configs=("tsv",))
        if self._tessdata is not None:
            args[1:1] = ["--tessdata-dir", str(self._tessdata)]
        words = [w for line in parse_tsv(run_tool(args, timeout=60).stdout) for w in line.words]
        text = " ".join(w.text for w in words)
        return LineReading(text, min((w.conf for w in words), default=0.0), self.name)


def fetch_best_int(tmp: Path) -> Path | None:
    """tessdata_best ``vie`` (int) out of the npm package, in ``tmp/best``; None without npm."""
    if shutil.which("npm") is None:
        return None
    proc = subprocess.run(
        ["npm", "pack", NPM_PACKAGE, "--silent"],
        cwd=tmp,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        print("npm pack failed:", proc.stderr[-300:], file=sys.stderr)
        return None
    tgz = tmp / proc.stdout.strip().splitlines()[-1]
    subprocess.run(["tar", "xzf", str(tgz), "-C", str(tmp)], check=True)
    best = tmp / "best"
    best.mkdir()
    gz = tmp / "package" / "4.0.0_best_int" / "vie.traineddata.gz"
    (best / "vie.traineddata").write_bytes(gzip.decompress(gz.read_bytes()))
    # the output configs ("tsv") live beside the system's data, not in a bare --tessdata-dir
    (best / "configs").symlink_to(SYSTEM_TESSDATA / "configs")
    return best


# --------------------------------------------------------------------------- measuring


def read_all(readers: dict[str, object], samples: list[Sample]) -> dict[str, list[dict]]:
    """Every reader on every crop: text, confidence, field, seconds."""
    out: dict[str, list[dict]] = {}
    for label, reader in readers.items():
        rows = []
        for s in samples:
            start = time.perf_counter()
            r = reader.read_line(s.image)  # type: ignore[attr-defined]
            rows.append(
                {
                    "text": r.text,
                    "conf": r.confidence,
                    "field": field_of(s.kind, r.text),
                    "s": time.perf_counter() - start,
                }
            )
        out[label] = rows
        print(f"  {label}: {len(rows)} lines", file=sys.stderr)
    return out


def _pct(num: int, den: int) -> str:
    return f"{100 * num / den:.1f} %" if den else "–"


def accuracy_table(samples, results, groups: Iterable[str]) -> list[str]:
    """CER and field exact match per reader and crop group."""
    lines = [
        "| crops | n | reader | CER | field exact | field exact (digit kinds) |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for group in groups:
        idx = [i for i, s in enumerate(samples) if s.group.startswith(group)]
        if not idx:
            continue
        digit_idx = [i for i in idx if samples[i].kind in ("so", "date", "id")]
        for label, rows in results.items():
            c = sum(cer(canon(rows[i]["text"]), canon(samples[i].truth)) for i in idx) / len(idx)
            ok = sum(rows[i]["field"] == samples[i].field for i in idx)
            okd = sum(rows[i]["field"] == samples[i].field for i in digit_idx)
            lines.append(
                f"| {group} | {len(idx)} | {label} | {100 * c:.1f} % | "
                f"{_pct(ok, len(idx))} | {_pct(okd, len(digit_idx))} |"
            )
    return lines


def agreement_table(samples, results, pairs, groups) -> list[str]:
    """Two readers agreeing on the field: right (auto-accepted, good) or wrong (the danger)."""
    lines = [
        "| crops | pair | n | agree & right | agree & WRONG | disagree | precision of agreement |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for group in groups:
        idx = [i for i, s in enumerate(samples) if s.group.startswith(group)]
        if not idx:
            continue
        for a, b in pairs:
            if a not in results or b not in results:
                continue
            ra, rb = results[a], results[b]
            agree = [
                i for i in idx if ra[i]["field"] is not None and ra[i]["field"] == rb[i]["field"]
            ]
            right = sum(ra[i]["field"] == samples[i].field for i in agree)
            wrong = len(agree) - right
            lines.append(
                f"| {group} | {a} + {b} | {len(idx)} | {_pct(right, len(idx))} | "
                f"{wrong} ({_pct(wrong, len(idx))}) | {_pct(len(idx) - len(agree), len(idx))}"
                f" | {_pct(right, len(agree))} |"
            )
    return lines


def wrong_agreements(samples, results, a: str, b: str) -> list[str]:
    """The crops on which two readers agree on a wrong field value."""
    out = []
    for i, s in enumerate(samples):
        fa, fb = results[a][i]["field"], results[b][i]["field"]
        if fa is not None and fa == fb and fa != s.field:
            out.append(f"- {s.name}: truth `{s.field}`, both read `{fa}`")
    return out


def confident_errors(samples, results, label: str, floor: float = 0.9) -> str:
    """How many wrong fields a reader gave with confidence ≥ floor (of its wrong fields)."""
    wrong = [r for r, s in zip(results[label], samples, strict=True) if r["field"] != s.field]
    sure = sum(r["conf"] >= floor for r in wrong)
    return f"{label}: {sure} of {len(wrong)} wrong fields had confidence ≥ {floor}"


_CHILD_ASTER = r"""
import json, os, time
def rss():
    for ln in open("/proc/self/status"):
        if ln.startswith("VmRSS"): return int(ln.split()[1]) / 1024
r0 = rss(); t0 = time.perf_counter()
import numpy as np
from ocr.second_reader import AsterLineReader
reader = AsterLineReader(); t1 = time.perf_counter(); reader.load(); t2 = time.perf_counter()
reader.read_line(np.full((48, 400), 255, np.uint8)); t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "first_read_s": t3 - t2,
                  "rss_start_mb": r0, "rss_loaded_mb": rss()}))
"""

_CHILD_TESS = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
subprocess.run(sys.argv[1:], capture_output=True, check=True)
print(json.dumps({"run_s": time.perf_counter() - t,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""


def footprint(tmp: Path, best: Path | None) -> dict[str, dict]:
    """Load time and memory of each reader, each in a fresh process."""
    env = {
        "OMP_THREAD_LIMIT": "1",
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp),
    }
    run = [sys.executable, "-c"]
    out = {
        "asterocr": json.loads(
            subprocess.run(
                run + [_CHILD_ASTER], env=env, cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
        )
    }
    blank = tmp / "blank.png"
    Image.new("L", (400, 48), 255).save(blank)
    for label, extra in (("tess-fast", []), ("tess-best", ["--tessdata-dir", str(best)])):
        if label == "tess-best" and best is None:
            continue
        argv = ["tesseract", *extra, str(blank), "-", "-l", "vie", "--psm", "7"]
        out[label] = json.loads(
            subprocess.run(
                run + [_CHILD_TESS, *argv], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    return out


def timing_lines(samples, results) -> list[str]:
    """Median and mean ms per line per reader over all crops."""
    lines = ["| reader | median ms/line | mean ms/line |", "|---|---:|---:|"]
    for label, rows in results.items():
        ms = np.array([r["s"] for r in rows]) * 1000
        lines.append(f"| {label} | {np.median(ms):.0f} | {ms.mean():.0f} |")
    return lines


def report(samples, results, foot) -> str:
    """The markdown written to stdout."""
    groups = ("typed", "hand", "hand-seen", "hand-held-out", "real")
    pairs = [("tess-fast", "asterocr"), ("tess-fast", "tess-best"), ("tess-best", "asterocr")]
    parts = [
        "### Accuracy",
        *accuracy_table(samples, results, groups),
        "",
        "### Agreement on the field value",
        *agreement_table(samples, results, pairs, groups),
        "",
        "### Speed (single thread, includes process start for Tesseract)",
        *timing_lines(samples, results),
        "",
        "### Load and memory (fresh process)",
        "```json",
        json.dumps(foot, indent=1),
        "```",
        "",
        "### Confident errors",
    ]
    parts += [f"- {confident_errors(samples, results, label)}" for label in results]
    for a, b in pairs:
        if a in results and b in results:
            parts += [
                "",
                f"### Wrong agreements {a} + {b}",
                *(wrong_agreements(samples, results, a, b) or ["- none"]),
            ]
    parts += [
        "",
        "### Real crops",
        "| crop | truth | " + " | ".join(results) + " |",
        "|---|---|" + "---|" * len(results),
    ]
    for i, s in enumerate(samples):
        if s.group == "real":
            cells = [f"`{results[k][i]['text']}` ({results[k][i]['conf']:.2f})" for k in results]
            parts.append(f"| {s.name} | `{s.truth}` | " + " | ".join(cells) + " |")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    """Build the crops, run the readers, print the markdown report (and save JSON)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-typed", type=int, default=80)
    ap.add_argument("--per-face", type=int, default=40)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--json", type=Path, default=None, help="also write the raw readings here")
    ap.add_argument("--keep", type=Path, default=None, help="write the crops as PNG here")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="sohoa-second-reader-") as d:
        tmp = Path(d)
        samples = typed_samples(rng, args.n_typed) + hand_samples(rng, args.per_face)
        samples += real_samples(tmp)
        if args.keep:
            _keep(args.keep, samples)
        best = fetch_best_int(tmp)
        readers: dict[str, object] = {"tess-fast": TesseractLine("tess-fast", None, tmp)}
        if best is not None:
            readers["tess-best"] = TesseractLine("tess-best", best, tmp)
        readers["asterocr"] = _warm(AsterLineReader())
        results = read_all(readers, samples)
        foot = footprint(tmp, best)
    print(report(samples, results, foot))
    if args.json:
        rows = [
            {
                "name": s.name,
                "truth": s.truth,
                "field": s.field,
                **{k: results[k][i] for k in results},
            }
            for i, s in enumerate(samples)
        ]
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


def _warm(reader: AsterLineReader) -> AsterLineReader:
    reader.load()
    return reader


def _keep(folder: Path, samples: list[Sample]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for s in samples:
        Image.fromarray(s.image).save(folder / f"{s.name}.png")


if __name__ == "__main__":
    main()
