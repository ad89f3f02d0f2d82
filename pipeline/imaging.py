"""Pure image operations on numpy arrays: estimate, then apply (STYLE.md 1–2)."""

from __future__ import annotations

import math

import cv2
import numpy as np

#: Skew search range in degrees (old books are scanned up to ±15° crooked).
MAX_SKEW = 15.0


def to_gray(img: np.ndarray) -> np.ndarray:
    """RGB or gray uint8 → gray uint8."""
    if img.ndim == 2:
        return img
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def _downscale(gray: np.ndarray, max_side: int) -> np.ndarray:
    h, w = gray.shape
    scale = max_side / max(h, w)
    if scale >= 1.0:
        return gray
    return cv2.resize(gray, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_AREA)


def text_mask(gray: np.ndarray) -> np.ndarray:
    """Binary mask (255 = ink) after flattening the background.

    The background is estimated by a large median blur so yellowed, unevenly lit
    paper does not turn into ink.
    """
    k = max(15, (min(gray.shape) // 20) | 1)
    background = cv2.medianBlur(gray, min(k, 255) if k <= 255 else 255)
    flat = cv2.divide(gray, background, scale=255)
    _, mask = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask


def _profile_score(ys: np.ndarray, xs: np.ndarray, angle: float) -> float:
    t = math.tan(math.radians(angle))
    proj = np.rint(ys + xs * t).astype(np.int64)
    hist = np.bincount(proj - proj.min()).astype(np.float64)
    return float(np.sum(np.diff(hist) ** 2))


def _best_angle(ys: np.ndarray, xs: np.ndarray, angles: np.ndarray) -> float:
    scores = np.array([_profile_score(ys, xs, a) for a in angles])
    top = angles[scores >= scores.max() * (1 - 1e-9)]
    return float(top.mean())  # centre of a plateau, not its first edge


def estimate_skew(gray: np.ndarray, *, max_angle: float = MAX_SKEW) -> float:
    """Estimate the content's rotation in degrees, counter-clockwise positive.

    Pillow's sign: ``Image.rotate(a)`` of an upright page gives ``a``. The
    sharpness of the horizontal projection profile of ink pixels is searched over
    ±``max_angle``, coarse to fine. Returns 0.0 for a page with too little ink.
    """
    small = _downscale(gray, 2600)
    mask = text_mask(small)
    ys, xs = np.nonzero(mask)
    if len(ys) < 200:
        return 0.0
    rng = np.random.default_rng(0)
    if len(ys) > 400_000:
        idx = rng.choice(len(ys), 400_000, replace=False)
        ys, xs = ys[idx], xs[idx]
    # jitter within each pixel so the pixel lattice itself does not favour 0°
    ys_f = ys + rng.uniform(-0.5, 0.5, len(ys))
    xs_f = xs + rng.uniform(-0.5, 0.5, len(xs))
    # coarse search at quarter resolution, then fine at full working resolution
    coarse = _best_angle(ys_f / 4, xs_f / 4, np.arange(-max_angle, max_angle + 0.01, 0.5))
    mid = _best_angle(ys_f / 2, xs_f / 2, np.arange(coarse - 0.6, coarse + 0.61, 0.1))
    fine = _best_angle(ys_f, xs_f, np.arange(mid - 0.15, mid + 0.151, 0.01))
    return round(fine, 2)


def rotate(img: np.ndarray, angle: float, *, fill: int | tuple[int, int, int] = 255) -> np.ndarray:
    """Rotate counter-clockwise by ``angle`` degrees about the centre, expanding the canvas."""
    if abs(angle) < 1e-3:
        return img
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(m[0, 0]), abs(m[0, 1])
    nw, nh = int(h * sin + w * cos + 0.5), int(h * cos + w * sin + 0.5)
    m[0, 2] += nw / 2 - w / 2
    m[1, 2] += nh / 2 - h / 2
    border = fill if img.ndim == 2 else (fill if isinstance(fill, tuple) else (fill,) * 3)
    return cv2.warpAffine(
        img, m, (nw, nh), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def rotate_quarter(img: np.ndarray, orientation_deg: int) -> np.ndarray:
    """Undo a page turned ``orientation_deg`` (0/90/180/270) counter-clockwise."""
    turns = {
        0: None,
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }[orientation_deg % 360]
    return img if turns is None else cv2.rotate(img, turns)


def quality_flags(gray: np.ndarray, *, dpi: float | None) -> dict[str, object]:
    """Cheap page-quality measures and flags for the operator.

    Returns measures (``sharpness``, ``ink_ratio``, ``mean_brightness``, ``dpi``) and a
    list ``flags`` with any of ``low_dpi``, ``blurry``, ``blank``, ``overexposed``,
    ``underexposed``.
    """
    small = _downscale(gray, 2000)
    ink = float(np.count_nonzero(text_mask(small))) / small.size
    sharp = float(cv2.Laplacian(small, cv2.CV_64F).var())
    mean = float(small.mean())
    flags: list[str] = []
    if dpi is not None and dpi < 200:
        flags.append("low_dpi")
    if ink < 0.002:
        flags.append("blank")
    elif sharp < 60:
        flags.append("blurry")
    if mean > 250 and ink >= 0.002:
        flags.append("overexposed")
    if mean < 80:
        flags.append("underexposed")
    return {
        "dpi": dpi,
        "sharpness": round(sharp, 1),
        "ink_ratio": round(ink, 4),
        "mean_brightness": round(mean, 1),
        "flags": flags,
    }


def count_ruled_lines(gray: np.ndarray) -> int:
    """Number of long ruled lines, horizontal and vertical (a register table has many)."""
    small = _downscale(gray, 1600)
    mask = text_mask(small)
    h, w = small.shape
    total = 0
    for size, axis, need in (
        ((max(30, w // 4), 1), cv2.CC_STAT_WIDTH, w // 3),
        ((1, max(30, h // 5)), cv2.CC_STAT_HEIGHT, h // 4),
    ):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        rules = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
        n, _labels, stats, _ = cv2.connectedComponentsWithStats(rules, connectivity=8)
        total += int(sum(1 for i in range(1, n) if stats[i, axis] >= need))
    return total
