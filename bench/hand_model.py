"""Fit the handwriting model (pipeline/data/handwriting.json) on rendered typed and hand words.

    python -m bench.hand_model [--lines 1400] [--seed 11] [--out pipeline/data/handwriting.json]

Lines of typed Vietnamese (Noto/DejaVu serif, sans, mono; regular, bold, italic) get one or two
words written with a handwriting face (bench/corpus/fonts, OFL), as a clerk fills a number, a
day or a name into a typed line; then blur, noise, resampling to 100–300 dpi, JPEG or
bilevel, or faded ink. As printed extracts do, typed values are often set apart from their
label: in bold, a name in capitals; written names are in capitals as often, so neither
boldness nor capitals alone can say "hand". Each word's measures
(:func:`pipeline.imaging.handwriting.line_measures`) and label train boosted decision stumps.
Every handwriting face and every typed face is also held out in turn (fit without it, measure
on it): those are the figures reported, not the training fit.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from bench.corpus.synth import FONT_FILES, _find_font_file
from pipeline.imaging.handwriting import FEATURES, MODEL_FILE, line_measures
from schemas.models import OcrLine, OcrWord

HAND_DIR = Path(__file__).resolve().parent / "corpus" / "fonts"
TYPED = ("serif", "sans", "mono")
WORDS = (
    "Số ngày tháng năm Quyết định Ủy ban nhân dân tỉnh huyện xã phường Giám đốc Sở Nội vụ "
    "Tư pháp Công văn về việc đăng ký khai sinh kết hôn họ và tên nơi cư trú dân tộc Kinh "
    "quốc tịch Việt Nam cấp giấy chứng nhận bản chính sao y đề nghị thực hiện"
).split()
HAND_VALUES = (
    "{n}",
    "{n}",
    "{d}",
    "{d}/{m}",
    "{name}",
    "{n}/QĐ",
)
NAMES = "Nguyễn Trần Lê Phạm Hoàng Huỳnh Đặng Vũ Thị Văn Hường Thành Phử Giàng Lò Mỷ".split()
#: Share of typed lines whose values are printed in bold, as extracts print them.
BOLD_VALUES = 0.4
#: Share of names (typed or written) in capitals: "NGUYỄN VĂN AN" on extracts and in registers.
CAPS_NAMES = 0.4
#: Share of rendered lines whose ink has faded (light gray strokes, type and hand alike).
FADED = 0.2


def _typed_fonts() -> list[tuple[str, Path, Path]]:
    """(face:file, the file, the bold file of its family) of every installed typed style."""
    out = []
    for face in TYPED:
        for family in FONT_FILES[face][:1]:
            bold = _find_font_file(family[1])
            for name in dict.fromkeys(family):
                path = _find_font_file(name)
                if path is not None:
                    out.append((f"{face}:{name}", path, bold or path))
    return out


def _hand_value(rng: random.Random) -> str:
    spec = rng.choice(HAND_VALUES)
    name = rng.choice(NAMES)
    return spec.format(
        n=rng.randint(1, 9999),
        d=rng.randint(1, 31),
        m=rng.randint(1, 12),
        name=name.upper() if rng.random() < CAPS_NAMES else name,
    )


def _draw_hand(
    draw: ImageDraw.ImageDraw,
    x: float,
    base: float,
    text: str,
    font: ImageFont.FreeTypeFont,
    rng: random.Random,
) -> float:
    """Draw ``text`` glyph by glyph with a wobbling baseline and pen width; return the end x."""
    width = rng.choice((0, 0, 1))
    for ch in text:
        dy = rng.uniform(-2.5, 2.5)
        draw.text(
            (x, base + dy),
            ch,
            font=font,
            fill=rng.randint(0, 60),
            anchor="ls",
            stroke_width=width,
            stroke_fill=rng.randint(0, 60),
        )
        x += font.getlength(ch) * rng.uniform(0.9, 1.1)
    return x


def render_line(
    rng: random.Random, typed: Path, hand: Path, bold: Path | None = None
) -> tuple[np.ndarray, list[dict]]:
    """A typed line with one or two handwritten values; the words' boxes and labels.

    ``bold``: the typed face's bold, for typed values printed in bold (:data:`BOLD_VALUES`).
    """
    size = rng.randint(28, 46)
    tfont = ImageFont.truetype(str(typed), size)
    vfont = tfont
    if bold is not None and rng.random() < BOLD_VALUES:
        vfont = ImageFont.truetype(str(bold), size)
    hfont = ImageFont.truetype(str(hand), round(size * rng.uniform(1.0, 1.4)))
    n = rng.randint(4, 7)
    hand_at = set(rng.sample(range(n), rng.choice((1, 1, 2))))
    im = Image.new("L", (size * 40, size * 3), 255)
    draw = ImageDraw.Draw(im)
    x, base, words = size * 0.5, size * 2.0, []
    for i in range(n):
        hand_word = i in hand_at
        # typed words are values half the time too, so digits alone say nothing of the hand
        typed_value = rng.random() < 0.5
        text = _hand_value(rng) if hand_word or typed_value else rng.choice(WORDS)
        font = hfont if hand_word else vfont if typed_value else tfont
        b = base + (rng.uniform(-4, 6) if hand_word else 0)
        x0 = x
        if hand_word:
            x = _draw_hand(draw, x, b, text, font, rng)
        else:
            draw.text((x, b), text, font=font, fill=0, anchor="ls")
            x += font.getlength(text)
        words.append({"text": text, "x0": x0, "x1": x, "hand": hand_word})
        x += tfont.getlength(" ") * rng.uniform(1.0, 2.0)
    arr = np.asarray(im).copy()
    return arr, _boxes(arr, words)


def _boxes(arr: np.ndarray, words: list[dict]) -> list[dict]:
    ink = arr < 128
    out = []
    for w in words:
        cols = ink[:, int(w["x0"]) : int(w["x1"]) + 1]
        ys = np.nonzero(cols.any(axis=1))[0]
        xs = np.nonzero(cols.any(axis=0))[0]
        if ys.size == 0:
            continue
        box = (
            int(w["x0"]) + int(xs[0]),
            int(ys[0]),
            int(xs[-1] - xs[0] + 1),
            int(ys[-1] - ys[0] + 1),
        )
        out.append({**w, "bbox": box})
    return out


def degrade(arr: np.ndarray, words: list[dict], rng: random.Random) -> tuple[np.ndarray, list]:
    """Resample (100–300 dpi from ~300), blur, noise, JPEG or bilevel; boxes follow."""
    f = rng.uniform(0.35, 1.0)
    img = cv2.resize(arr, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.4:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < 0.4:
        noise = np.random.default_rng(rng.randint(0, 2**31)).normal(
            0, rng.uniform(3, 12), img.shape
        )
        img = np.clip(img + noise, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, rng.randint(40, 85)])
        img = cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)
    elif rng.random() < 0.3:
        img = np.where(img < 140, 0, 255).astype(np.uint8)
    if rng.random() < FADED:
        img = _faded(img, rng)
    scaled = [{**w, "bbox": tuple(max(1, round(v * f)) for v in w["bbox"])} for w in words]
    return img, scaled


def _faded(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """Ink faded to a light gray, half the time thinned (hairlines vanish, as faded ink's do).

    The paper goes a little dark.
    """
    ink = 255.0 - img.astype(np.float32)
    if rng.random() < 0.5:
        ink = cv2.erode(ink, np.ones((2, 2), np.uint8))
    paper = rng.uniform(215, 245)
    out = paper - ink * rng.uniform(0.35, 0.65) * paper / 255.0
    return np.clip(out, 0, 255).astype(np.uint8)


def measure(img: np.ndarray, words: list[dict]) -> list[tuple[list[float], int]]:
    """Measures and labels of each word, computed as the pipeline computes them."""
    ocr = [OcrWord(text=w["text"], conf=0.9, bbox=w["bbox"]) for w in words]
    line = OcrLine(words=ocr, bbox=(0, 0, 1, 1))
    label = {id(o): int(w["hand"]) for w, o in zip(words, ocr, strict=True)}
    return [(x, label[id(o)]) for o, x, _ in line_measures(img, line)]


def samples(n_lines: int, seed: int) -> list[tuple[list[float], int, str, str]]:
    """(measures, label, typed face, hand face) of the words of ``n_lines`` rendered lines."""
    rng = random.Random(seed)
    typed, hands = _typed_fonts(), sorted(HAND_DIR.glob("*.ttf"))
    out = []
    for _ in range(n_lines):
        tname, tpath, bold = rng.choice(typed)
        hpath = rng.choice(hands)
        arr, words = render_line(rng, tpath, hpath, bold)
        img, words = degrade(arr, words, rng)
        out += [(x, y, tname.split(":")[0], hpath.stem) for x, y in measure(img, words)]
    return out


def fit_stumps(x: np.ndarray, y: np.ndarray, rounds: int = 150) -> list[list[float]]:
    """AdaBoost with decision stumps, thresholds at 40 quantiles of each measure."""
    n, k = x.shape
    w = np.full(n, 1.0 / n)
    sign_y = 2 * y - 1
    cuts = [np.unique(np.quantile(x[:, j], np.linspace(0.02, 0.98, 40))) for j in range(k)]
    stumps: list[list[float]] = []
    for _ in range(rounds):
        best = (2.0, 0, 0.0, 1)
        for j in range(k):
            above = x[:, j][None, :] > cuts[j][:, None]  # cuts × samples
            err = ((np.where(above, 1, -1) != sign_y) * w).sum(axis=1)
            i = int(np.argmin(np.minimum(err, 1 - err)))
            e, s = (err[i], 1) if err[i] <= 1 - err[i] else (1 - err[i], -1)
            if e < best[0]:
                best = (float(e), j, float(cuts[j][i]), s)
        e, j, t, s = best
        e = min(max(e, 1e-9), 1 - 1e-9)
        a = 0.5 * np.log((1 - e) / e)
        w *= np.exp(-a * sign_y * s * np.where(x[:, j] > t, 1, -1))
        w /= w.sum()
        stumps.append([j, t, s, float(a)])
    return stumps


def _prob(stumps: list[list[float]], x: np.ndarray) -> np.ndarray:
    vote = np.zeros(len(x))
    for j, t, s, a in stumps:
        vote += a * s * np.where(x[:, int(j)] > t, 1, -1)
    return 1.0 / (1.0 + np.exp(-np.clip(2 * vote, -30, 30)))


def held_out(data: list, threshold: float) -> list[dict[str, Any]]:
    """Fit without each face in turn, measure on the words of pages with it."""
    x = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data], dtype=float)
    rows = []
    for col, kind in ((3, "hand"), (2, "typed")):
        for face in sorted({d[col] for d in data}):
            test = np.array([d[col] == face for d in data])
            m = fit_stumps(x[~test], y[~test])
            hit = _prob(m, x[test]) >= threshold
            yt = y[test] == 1
            rows.append(
                {
                    "held_out": f"{kind}:{face}",
                    "hand_words": int(yt.sum()),
                    "recall": round(float((hit & yt).sum() / max(1, yt.sum())), 3),
                    "typed_words": int((~yt).sum()),
                    "typed_flagged": round(float((hit & ~yt).sum() / max(1, (~yt).sum())), 3),
                }
            )
    return rows


def held_out_table(rows: list[dict[str, Any]]) -> list[str]:
    """The held-out rows as a markdown table."""
    out = [
        "| held out | hand words | recall | typed words | typed flagged |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        cells = (r["held_out"], r["hand_words"], f"{r['recall']:.1%}", r["typed_words"])
        out.append("| " + " | ".join(map(str, cells)) + f" | {r['typed_flagged']:.1%} |")
    return out


def main(argv: list[str] | None = None) -> None:
    """Fit, report the held-out figures, write the model."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=1400)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--threshold", type=float, default=0.9)
    ap.add_argument("--out", type=Path, default=MODEL_FILE)
    a = ap.parse_args(argv)
    data = samples(a.lines, a.seed)
    rows = held_out(data, a.threshold)
    print("\n".join(held_out_table(rows)))
    x = np.array([d[0] for d in data])
    y = np.array([d[1] for d in data], dtype=float)
    model = {
        "features": list(FEATURES),
        "stumps": fit_stumps(x, y),
        "threshold": a.threshold,
        "trained_on": {"lines": a.lines, "seed": a.seed, "words": len(data)},
        "held_out": rows,
    }
    a.out.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
