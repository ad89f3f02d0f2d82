"""Server-side SVG charts (no JavaScript, no external service)."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pipeline.review.plan_line import PlanCurve

WIDTH, HEIGHT = 720, 220
PAD_L, PAD_R, PAD_T, PAD_B = 44, 10, 14, 36
#: the width of a character of the 11-px tick labels, near enough to keep labels apart
CHAR_W = 6.5


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


def _thousands(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def plan_svg(curve: PlanCurve) -> str:
    """Approved records of a phase, summed day by day, against the plan's line to the deadline.

    The x axis runs from the phase's start to the later of today and the deadline; the plan
    is a dashed line from nothing at the start to every record at the deadline (flat after
    it), the approvals a stepped line up to today.
    """
    first = min(curve.start, curve.deadline or curve.start)  # work can begin after the deadline
    end = max(curve.today, curve.deadline or curve.today, first + timedelta(days=1))
    span = max(1, (end - first).days)
    top = ticks(max(curve.target, curve.approved, 1))[-1]
    pad_l = max(PAD_L, 12 + CHAR_W * len(_thousands(top)))  # room for "4.000.000"
    plot_w, plot_h = WIDTH - pad_l - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(day: date) -> float:
        return pad_l + plot_w * min(1.0, max(0.0, (day - first).days / span))

    def y(value: int) -> float:
        return PAD_T + plot_h * (1 - value / top)

    done, target = _thousands(curve.approved), _thousands(curve.target)
    summary = f"{curve.label}: đã duyệt {done} trên {target}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(summary)} hồ sơ" class="chart plan-chart" '
        f'data-phase="{curve.phase}">',
        f'<line x1="{pad_l}" y1="{y(0)}" x2="{WIDTH - PAD_R}" y2="{y(0)}" class="axis"/>',
    ]
    for value in ticks(top):
        parts.append(
            f'<text x="{pad_l - 6}" y="{y(value) + 4:.1f}" class="tick" text-anchor="end">'
            f"{_thousands(value)}</text>"
        )
    parts += _plan_marks(curve, x, y, pad_l)
    steps = [(curve.start, 0)]
    for day, total in curve.points:
        steps += [(day, steps[-1][1]), (day, total)]
    steps.append((curve.today, steps[-1][1]))
    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in steps)
    parts.append(
        f'<polyline points="{line}" class="approved-line"><title>'
        f"{escape(summary)} hồ sơ đến {curve.today:%d/%m/%Y}</title></polyline>"
    )
    parts.append(
        f'<line x1="{pad_l}" y1="{HEIGHT - 9}" x2="{pad_l + 18}" y2="{HEIGHT - 9}" '
        f'class="approved-line"/><text x="{pad_l + 22}" y="{HEIGHT - 5}" class="tick">'
        f"Hồ sơ đã duyệt (cộng dồn)</text>"
        f'<line x1="{pad_l + 200}" y1="{HEIGHT - 9}" x2="{pad_l + 218}" y2="{HEIGHT - 9}" '
        f'class="plan-line"/><text x="{pad_l + 222}" y="{HEIGHT - 5}" class="tick">'
        f"Kế hoạch đến hạn</text></svg>"
    )
    return "".join(parts)


def _plan_marks(curve: PlanCurve, x: Any, y: Any, pad_l: float) -> list[str]:
    """The plan's line, and the start, deadline and today marked on the time axis."""
    out = []
    labels = [(curve.today, "Hôm nay", "today")]
    if curve.deadline is not None:
        line = [(curve.start, 0)] if curve.start < curve.deadline else []
        line.append((curve.deadline, curve.target))
        points = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in line)
        out.append(
            f'<polyline points="{points} {WIDTH - PAD_R},{y(curve.target):.1f}" '
            f'class="plan-line"><title>Kế hoạch: {_thousands(curve.target)} hồ sơ đến '
            f"{curve.deadline:%d/%m/%Y}</title></polyline>"
        )
        labels.append((curve.deadline, "Hạn", "deadline"))
    labels.append((curve.start, "Bắt đầu", "start"))  # the first labels win where they crowd
    placed: list[tuple[float, float]] = []
    for day, word, cls in labels:
        at, text = x(day), f"{word} {day:%d/%m/%Y}"
        out.append(
            f'<line x1="{at:.1f}" y1="{PAD_T}" x2="{at:.1f}" y2="{y(0)}" class="mark-{cls}"/>'
        )
        width = CHAR_W * len(text)
        if cls == "deadline":  # at the top of its line, clear of the dates along the axis
            side, shift = ("end", -4) if at - width - 4 > pad_l else ("start", 4)
            out.append(
                f'<text x="{at + shift:.1f}" y="{PAD_T + 10}" class="tick" '
                f'text-anchor="{side}">{text}</text>'
            )
            continue
        anchor = (
            "start" if at - width / 2 < pad_l else "end" if at + width / 2 > WIDTH else "middle"
        )
        left = at if anchor == "start" else at - width if anchor == "end" else at - width / 2
        if all(left + width + 8 < a or b + 8 < left for a, b in placed):  # no overlaps
            placed.append((left, left + width))
            out.append(
                f'<text x="{at:.1f}" y="{y(0) + 16}" class="tick" text-anchor="{anchor}">'
                f"{text}</text>"
            )
    return out
