"""Server-side SVG charts (no JavaScript, no external service)."""

from __future__ import annotations

from datetime import date
from html import escape

WIDTH, HEIGHT = 720, 220
PAD_L, PAD_R, PAD_T, PAD_B = 44, 10, 14, 36


def ticks(peak: int) -> list[int]:
    """Whole-number axis ticks from 0 to at least ``peak``, evenly spaced (1, 2 or 5 × 10ⁿ).

    Each tick sits at its own height ("0, 2, 4, 6" for a peak of 5, not "0, 2, 5" with 2 at
    half of 5).
    """
    peak = max(1, peak)
    step = 1
    while peak / step > 5:
        for k in (2, 5, 10):
            if peak / (step * k) <= 5:
                step *= k
                break
        else:
            step *= 10
    return list(range(0, -(-peak // step) * step + 1, step))


def throughput_svg(days: list[tuple[date, int, int]]) -> str:
    """Grouped bars per day: pages extracted and records approved."""
    n = max(1, len(days))
    marks = ticks(max([1] + [max(p, a) for _, p, a in days]))
    top = marks[-1]
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    slot = plot_w / n
    bar = max(1.0, slot * 0.4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="Năng suất theo ngày" class="chart">',
        f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{WIDTH - PAD_R}" '
        f'y2="{PAD_T + plot_h}" class="axis"/>',
    ]
    for value in marks:
        y = PAD_T + plot_h * (1 - value / top)
        parts.append(
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{value}</text>'
        )
    for i, (day, pages, approved) in enumerate(days):
        x = PAD_L + i * slot + (slot - 2 * bar) / 2
        for j, (value, cls, what) in enumerate(
            (
                (pages, "bar-pages", "trang đã trích xuất"),
                (approved, "bar-approved", "hồ sơ đã duyệt"),
            )
        ):
            h = plot_h * value / top
            title = escape(f"{day:%d/%m/%Y}: {value} {what}")
            parts.append(
                f'<rect x="{x + j * bar:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" class="{cls}"><title>{title}</title></rect>'
            )
        if i % max(1, n // 10) == 0 or i == n - 1:
            parts.append(
                f'<text x="{PAD_L + (i + 0.5) * slot:.1f}" y="{HEIGHT - PAD_B + 16}" '
                f'class="tick" text-anchor="middle">{day:%d/%m}</text>'
            )
    parts.append(
        f'<rect x="{PAD_L}" y="{HEIGHT - 14}" width="10" height="10" class="bar-pages"/>'
        f'<text x="{PAD_L + 14}" y="{HEIGHT - 5}" class="tick">Trang đã trích xuất</text>'
        f'<rect x="{PAD_L + 170}" y="{HEIGHT - 14}" width="10" height="10" class="bar-approved"/>'
        f'<text x="{PAD_L + 184}" y="{HEIGHT - 5}" class="tick">Hồ sơ đã duyệt</text></svg>'
    )
    return "".join(parts)
