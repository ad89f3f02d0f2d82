"""Marks added to a page after it was typed: seals, signatures, margin notes, copy stamps.

Test material for the bench corpus. Each ``draw_*`` function multiplies its ink into an RGB
uint8 page in place (see :func:`bench.corpus.handwriting.multiply_ink`) and returns the box
``[x0, y0, x1, y1]`` it covered. None of their text is text a reader of the document should
read: the renderers keep it out of the truth's ``lines``.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from bench.corpus.handwriting import RGB, Hand, draw_hand, multiply_ink

MARKS = ("seal", "signature", "margin_note", "copy_stamp")
"""Every kind of mark, in the order they are recorded in ``truth["marks"]``."""

NOTES = (
    "Chuyển P. TCCB xem xét, tham mưu",
    "Giao Văn phòng theo dõi, đôn đốc",
    "Đ/c Phó GĐ chỉ đạo thực hiện",
    "Chuyển phòng Hành chính - Tư pháp nghiên cứu",
    "Lưu hồ sơ, báo cáo kết quả",
    "Đề nghị các phòng triển khai",
    "Kính chuyển đ/c Trưởng phòng",
    "Sao gửi các đơn vị liên quan",
    "P. Tổ chức tham mưu văn bản trả lời",
    "Đã xem, đồng ý",
)
RED_INKS: tuple[RGB, ...] = ((205, 30, 40), (190, 20, 50), (220, 50, 45))
STAMP_BLUE: RGB = (35, 60, 170)


def _box(alpha: np.ndarray, at: tuple[int, int], shape: tuple[int, ...]) -> list[int]:
    ys, xs = np.nonzero(alpha > 0)
    h, w = shape[:2]
    if xs.size == 0:
        return [0, 0, 0, 0]
    return [
        max(0, at[0] + int(xs.min())),
        max(0, at[1] + int(ys.min())),
        min(w, at[0] + int(xs.max()) + 1),
        min(h, at[1] + int(ys.max()) + 1),
    ]


def _pressure(alpha: np.ndarray, rng: random.Random, *, patchy: float) -> np.ndarray:
    """Uneven stamp pressure: a smooth field that thins the ink, and a little ink spread."""
    h, w = alpha.shape
    nprng = np.random.default_rng(rng.randrange(2**32))
    coarse = nprng.random((6, 6)).astype(np.float32)
    field = np.asarray(Image.fromarray(coarse).resize((w, h), Image.BICUBIC), np.float32)
    field = np.clip(1.0 - patchy * field, 0.15, 1.0)
    speckle = nprng.random((h, w), dtype=np.float32) > 0.08 * patchy
    soft = np.asarray(Image.fromarray(alpha).filter(ImageFilter.GaussianBlur(0.8)), np.float32)
    return soft * field * speckle


def draw_seal(
    page: np.ndarray,
    centre: tuple[float, float],
    radius: float,
    rim_text: str,
    rng: random.Random,
    *,
    font_path: Path,
    ink: RGB | None = None,
) -> list[int]:
    """A round red seal: an outer and an inner ring, text around the rim, a star inside."""
    r = max(10, round(radius))
    size = 2 * r + 8
    mask = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(mask)
    c = size / 2
    outer = max(2, round(r * 0.045))
    draw.ellipse((c - r, c - r, c + r, c + r), outline=255, width=outer)
    inner = r * 0.68
    draw.ellipse(
        (c - inner, c - inner, c + inner, c + inner), outline=255, width=max(1, outer // 2)
    )
    _rim_text(mask, (c, c), r * 0.84, rim_text, font_path, round(r * 0.21))
    star = [
        (
            c + r * (0.3 if k % 2 == 0 else 0.12) * math.sin(k * math.pi / 5),
            c - r * (0.3 if k % 2 == 0 else 0.12) * math.cos(k * math.pi / 5),
        )
        for k in range(10)
    ]
    draw.polygon(star, fill=255)
    mask = mask.rotate(rng.uniform(-25, 25), resample=Image.BICUBIC)
    alpha = _pressure(np.asarray(mask), rng, patchy=rng.uniform(0.2, 0.6))
    at = (round(centre[0] - c), round(centre[1] - c))
    multiply_ink(page, alpha, at, ink or rng.choice(RED_INKS), rng.uniform(0.82, 0.97))
    return _box(alpha, at, page.shape)


def _rim_text(
    mask: Image.Image,
    centre: tuple[float, float],
    radius: float,
    text: str,
    font_path: Path,
    px: int,
) -> None:
    """Write text clockwise around a circle, centred on the top, each letter standing outwards."""
    font = ImageFont.truetype(str(font_path), px)
    while px > 6 and font.getlength(text) * 1.08 > 2 * math.pi * radius * 0.9:
        px -= 1
        font = ImageFont.truetype(str(font_path), px)
    spacing = 1.08
    total = font.getlength(text) * spacing
    theta = -total / (2 * radius)
    for ch in text:
        adv = font.getlength(ch) * spacing
        mid = theta + adv / (2 * radius)
        if not ch.isspace():
            glyph = Image.new("L", (px * 2, px * 2), 0)
            ImageDraw.Draw(glyph).text((px, px), ch, font=font, fill=255, anchor="mm")
            glyph = glyph.rotate(-math.degrees(mid), resample=Image.BICUBIC)
            gx = centre[0] + radius * math.sin(mid) - px
            gy = centre[1] - radius * math.cos(mid) - px
            mask.paste(255, (round(gx), round(gy)), glyph)
        theta += adv / radius


def draw_signature(
    page: np.ndarray, box: tuple[float, float, float, float], ink: RGB, rng: random.Random
) -> list[int]:
    """A scribbled signature filling about ``box`` (x0, y0, x1, y1): loops and a flourish."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    t = np.linspace(0.0, 1.0, 400)
    xs = x0 + w * (0.1 + 0.75 * t)
    ys = y0 + h * (0.5 - 0.15 * t)
    for k in range(1, 5):
        freq = rng.uniform(2, 9) * k / 2
        xs += w * rng.uniform(0.01, 0.05) / k * np.sin(2 * math.pi * freq * t + rng.uniform(0, 6))
        ys += h * rng.uniform(0.08, 0.25) / k * np.sin(2 * math.pi * freq * t + rng.uniform(0, 6))
    tail = np.linspace(0.0, 1.0, 60)
    fx = xs[-1] - w * (0.9 * tail) * rng.uniform(0.6, 0.9)
    fy = ys[-1] + h * (0.25 + 0.1 * np.sin(math.pi * tail))
    pts = np.concatenate([np.stack([xs, ys], 1), np.stack([fx, fy], 1)])
    left, top = int(pts[:, 0].min()) - 8, int(pts[:, 1].min()) - 8
    mask = Image.new("L", (int(np.ptp(pts[:, 0])) + 16, int(np.ptp(pts[:, 1])) + 16), 0)
    width = max(1, round(h / 45 * rng.uniform(0.8, 1.4)))
    ImageDraw.Draw(mask).line(
        [(float(x - left), float(y - top)) for x, y in pts], fill=255, width=width, joint="curve"
    )
    alpha = np.asarray(mask.filter(ImageFilter.GaussianBlur(0.6)), np.float32)
    multiply_ink(page, alpha, (left, top), ink, rng.uniform(0.85, 1.0))
    return _box(alpha, (left, top), page.shape)


def draw_note(
    page: np.ndarray,
    origin: tuple[float, float],
    lines: list[str],
    hand: Hand,
    rng: random.Random,
    *,
    angle: float = 0.0,
) -> list[int]:
    """Lines written by hand from ``origin`` (first baseline's start), turned ``angle``° CCW."""
    size = hand.size_px
    width = round(max(hand.width(s) for s in lines) + 2 * size)
    height = round(size * (1.4 * len(lines) + 1))
    sheet = np.full((height, width, 3), 255, np.uint8)
    black = Hand(hand.face, size, (0, 0, 0), hand.pen, hand.seed)
    for i, text in enumerate(lines):
        draw_hand(sheet, (size * 0.5, size * (1.1 + 1.4 * i)), text, black, rng)
    pivot = (size * 0.5, size * 1.1)
    # turn about the first baseline's start, padded first so the turned lines are not cut
    pad = max(width, height)
    big = Image.new("L", (width + 2 * pad, height + 2 * pad), 0)
    big.paste(Image.fromarray(255 - sheet.min(axis=2)), (pad, pad))
    alpha = big.rotate(angle, resample=Image.BICUBIC, center=(pad + pivot[0], pad + pivot[1]))
    at = (round(origin[0] - pad - pivot[0]), round(origin[1] - pad - pivot[1]))
    arr = np.asarray(alpha)
    multiply_ink(page, arr, at, hand.ink, rng.uniform(0.85, 1.0))
    return _box(arr, at, page.shape)


def draw_copy_stamp(
    page: np.ndarray,
    at: tuple[float, float],
    lines: list[str],
    rng: random.Random,
    *,
    font_path: Path,
    bold_path: Path,
    px: int,
    ink: RGB,
) -> list[int]:
    """A rectangular copy stamp ("SAO Y BẢN CHÍNH") at ``at`` (top-left): a frame round lines."""
    title, rest = lines[0], lines[1:]
    bold = ImageFont.truetype(str(bold_path), round(px * 1.25))
    font = ImageFont.truetype(str(font_path), px)
    pad = round(px * 0.6)
    w = round(max([bold.getlength(title)] + [font.getlength(s) for s in rest])) + 2 * pad
    h = round(px * 1.6 * (len(lines) + 0.3)) + 2 * pad
    mask = Image.new("L", (w + 4, h + 4), 0)
    draw = ImageDraw.Draw(mask)
    frame = max(2, px // 8)
    draw.rectangle((2, 2, w, h), outline=255, width=frame)
    y = pad + round(px * 1.3)
    draw.text((w / 2, y), title, font=bold, fill=255, anchor="ms")
    for text in rest:
        y += round(px * 1.6)
        draw.text((pad + 2, y), text, font=font, fill=255, anchor="ls")
    mask = mask.rotate(rng.uniform(-3, 3), resample=Image.BICUBIC, expand=True)
    alpha = _pressure(np.asarray(mask), rng, patchy=rng.uniform(0.1, 0.4))
    pos = (round(at[0]), round(at[1]))
    multiply_ink(page, alpha, pos, ink, rng.uniform(0.8, 0.95))
    return _box(alpha, pos, page.shape)
