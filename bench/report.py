"""Aggregate page measurements into the markdown report (BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bench import metrics

TEXT_METHODS = (
    ("sohoa", "sohoa (cleanup + Tesseract vie)"),
    ("tesseract", "Tesseract vie, raw image"),
    ("ocrmypdf", "OCRmyPDF --deskew --clean --rotate-pages"),
    ("floor", "Tesseract vie, undegraded page (floor)"),
)
SKEW_METHODS = (("sohoa", "sohoa"), ("deskew", "deskew (PyPI)"), ("jdeskew", "jdeskew (PyPI)"))


def machine() -> dict[str, str]:
    """CPU model, cores, memory, OS, Python and Tesseract versions."""
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kb = int(next(ln for ln in fh if ln.startswith("MemTotal")).split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    try:
        tess = subprocess.run(
            ["tesseract", "--version"], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        tess = "not found"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "tesseract": tess,
    }


def _vals(results: Iterable[dict], method: str, key: str) -> list[float]:
    out = []
    for r in results:
        v = r.get(method, {}).get(key)
        if isinstance(v, int | float):
            out.append(float(v))
    return out


def _fmt(v: float | None, pct: bool = False, nd: int = 3) -> str:
    if v is None:
        return "–"
    return f"{v * 100:.1f} %" if pct else f"{v:.{nd}f}"


def _mean(vals: list[float]) -> float | None:
    return sum(vals) / len(vals) if vals else None


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "–"
    return f"{a / b:.2f}×"


def _text_table(results: list[dict]) -> list[str]:
    lines = [
        "| method | pages | CER median | CER mean | CER p90 | WER mean | s/page |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in TEXT_METHODS:
        cer = _vals(results, key, "cer")
        if not cer:
            continue
        s = metrics.summary(cer)
        lines.append(
            f"| {label} | {s['n']} | {_fmt(s['median'], True)} | {_fmt(s['mean'], True)}"
            f" | {_fmt(s['p90'], True)} | {_fmt(_mean(_vals(results, key, 'wer')), True)}"
            f" | {_fmt(_mean(_vals(results, key, 'seconds')), nd=2)} |"
        )
    return lines


def _grouped_cer(results: list[dict], groups: dict[str, list[dict]], title: str) -> list[str]:
    present = [(k, label) for k, label in TEXT_METHODS if _vals(results, k, "cer")]
    head = (
        "| "
        + title
        + " | pages | "
        + " | ".join(label.split(",")[0] if k != "floor" else "floor" for k, label in present)
        + " |"
    )
    lines = [head, "|" + "---|" * (len(present) + 2)]
    for name in sorted(groups):
        rows = groups[name]
        cells = [_fmt(_mean(_vals(rows, k, "cer")), True) for k, _ in present]
        lines.append(f"| {name} | {len(rows)} | " + " | ".join(cells) + " |")
    return lines


def _skew_table(results: list[dict]) -> list[str]:
    lines = [
        "| method | pages | mean abs error | p90 | worst | no estimate | s/page |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label in SKEW_METHODS:
        rows = [r for r in results if key in r]
        errs = [float(r[key]["skew_error"]) for r in rows if r[key].get("skew_error") is not None]
        if not rows:
            continue
        s = metrics.summary(errs) if errs else {"mean": None, "p90": None, "n": 0}
        worst = max(errs) if errs else None
        missing = len(rows) - len(errs)
        lines.append(
            f"| {label} | {len(rows)} | {_fmt(s['mean'], nd=3)}° | {_fmt(s['p90'])}° | "
            f"{_fmt(worst)}° | {missing} | {_fmt(_mean(_vals(rows, key, 'seconds')), nd=2)} |"
        )
    return lines


#: Sections of the field tables, in report order, with their headings.
FIELD_SECTIONS = (
    ("field", "Fields by what they are"),
    ("kind", "Fields by page kind"),
    ("face", "Typed fields by typed face"),
    ("hand face", "Handwritten fields by handwriting face"),
    ("degradation", "Fields by degradation (pages that have it)"),
)


def _count_row(group: str, c: dict[str, int]) -> str:
    n, acc, ok = c["fields"], c["accepted"], c["accepted_right"]
    return (
        f"| {group} | {n} | {_fmt(c['exact'] / n if n else None, True)} | "
        f"{_fmt(acc / n if n else None, True)} | {_fmt(ok / acc if acc else None, True)} | "
        f"{acc - ok} |"
    )


def _count_table(title: str, groups: dict[str, dict[str, int]]) -> list[str]:
    lines = [
        f"| {title} | fields | right % | auto-accepted % | auto-accepted precision % "
        "| wrong auto-accepted |",
        "|---|---|---|---|---|---|",
    ]
    for name in sorted(groups, key=lambda g: (g == "all", g)):
        lines.append(_count_row(name, groups[name]))
    return lines


def _field_lines(results: list[dict]) -> list[str]:
    pages = [(r, r["sohoa"]["outcomes"]) for r in results if r.get("sohoa", {}).get("outcomes")]
    grouped = metrics.grouped_counts(pages)
    lines: list[str] = []
    for section, heading in FIELD_SECTIONS:
        if grouped.get(section):
            lines += [f"### {heading}", "", *_count_table(section, grouped[section]), ""]
    hand = grouped.get("field", {}).get("handwritten")
    if hand and hand["fields"]:
        wrong = hand["accepted"] - hand["accepted_right"]
        lines += [
            f"Handwritten fields: {hand['accepted']} of {hand['fields']} auto-accepted "
            f"({hand['accepted'] / hand['fields'] * 100:.1f} %), {wrong} of those wrong.",
            "",
        ]
    rows = [r["sohoa"]["rows"] for r in results if r.get("sohoa", {}).get("rows")]
    right, total = sum(a for a, _ in rows), sum(b for _, b in rows)
    lines += [
        f"Register rows split correctly: {right} / {total}"
        + (f" ({right / total * 100:.1f} %)" if total else ""),
    ]
    return lines


def _held_out_lines(held: dict[str, Any] | None) -> list[str]:
    """Per-group held-out precision: each group judged by a model fitted without it."""
    if not held:
        return ["No held-out figures (no calibration samples with groups)."]
    lines = [
        f"Fitted on: {held['fitted_on']}; judged on: {held['judged_on']}; target precision "
        f"{held['target']}.",
        "",
        "| held-out group | fields | auto-accepted % | auto-accepted precision % "
        "| wrong auto-accepted | fitted on (samples) |",
        "|---|---|---|---|---|---|",
    ]
    for group, c in sorted(held["by_group"].items()):
        if "skipped" in c:
            lines.append(f"| {group} | {c['fields']} | – | – | – | skipped: {c['skipped']} |")
            continue
        n, acc, ok = c["fields"], c["accepted"], c["accepted_right"]
        lines.append(
            f"| {group} | {n} | {_fmt(acc / n if n else None, True)} | "
            f"{_fmt(ok / acc if acc else None, True)} | {acc - ok} | {c['fitted_on']} |"
        )
    return lines


def _precision_lines(results: list[dict], held: dict[str, Any] | None) -> list[str]:
    """Headline rows on fields: the held-out precision first, the bench pages' own after."""
    pooled = (held or {}).get("pooled") or {}
    worst = (
        f" (worst: {pooled['worst_group']}, {_fmt(pooled['worst_precision'], True)})"
        if pooled.get("worst_group")
        else ""
    )
    c = metrics.pool_counts(
        r["sohoa"]["fields"] for r in results if r.get("sohoa", {}).get("fields")
    )
    rates = metrics.field_rates(c)
    return [
        f"| **auto-accept precision, held out by group** (fitted without the face, hand or "
        f"degradation judged) | {_fmt(pooled.get('precision'), True)}{worst} |",
        f"| auto-accept coverage, held out by group | {_fmt(pooled.get('coverage'), True)} |",
        f"| fields right / auto-accepted / precision on the bench pages (calibration fitted on "
        f"every group; flatters) | {_fmt(rates['exact_rate'], True)} / "
        f"{_fmt(rates['coverage'], True)} / {_fmt(rates['precision'], True)} "
        f"({c['accepted'] - c['accepted_right']} wrong of {c['accepted']}) |",
    ]


def _headline(results: list[dict], held: dict[str, Any] | None = None) -> list[str]:
    cer = {k: _mean(_vals(results, k, "cer")) for k, _ in TEXT_METHODS}
    sec = {k: _mean(_vals(results, k, "seconds")) for k, _ in TEXT_METHODS}
    skew = {
        k: _mean(
            [
                float(r[k]["skew_error"])
                for r in results
                if k in r and r[k].get("skew_error") is not None
            ]
        )
        for k, _ in SKEW_METHODS
    }
    orient = [r["sohoa"]["orientation_ok"] for r in results if "sohoa" in r]
    timings = [r["sohoa"]["timings"] for r in results if "sohoa" in r]
    cleanup = _mean([t["cleanup"] for t in timings])
    ocr = _mean([t["ocr"] for t in timings])
    per_page = sorted(t["cleanup"] / t["ocr"] for t in timings if t.get("ocr"))
    rss = [r["sohoa"]["peak_rss_mb"] for r in results if "sohoa" in r]
    return [
        "| figure | value |",
        "|---|---|",
        *_precision_lines(results, held),
        f"| CER, sohoa ÷ OCRmyPDF (mean, same pages) | {_ratio(cer['sohoa'], cer['ocrmypdf'])} |",
        f"| CER, sohoa ÷ undegraded floor | {_ratio(cer['sohoa'], cer['floor'])} |",
        f"| CER, sohoa ÷ bare Tesseract | {_ratio(cer['sohoa'], cer['tesseract'])} |",
        f"| skew error, sohoa ÷ jdeskew (mean abs) | {_ratio(skew['sohoa'], skew['jdeskew'])} |",
        f"| skew error, sohoa ÷ deskew (mean abs) | {_ratio(skew['sohoa'], skew['deskew'])} |",
        f"| time per page, sohoa ÷ bare Tesseract | {_ratio(sec['sohoa'], sec['tesseract'])} |",
        f"| time per page, sohoa ÷ OCRmyPDF | {_ratio(sec['sohoa'], sec['ocrmypdf'])} |",
        f"| orientation accuracy | {_fmt(sum(orient) / len(orient) if orient else None, True)} |",
        f"| cleanup time ÷ OCR time (all pages' times) | {_ratio(cleanup, ocr)} |",
        f"| cleanup time ÷ OCR time (median page / 90th percentile page) | "
        f"{_pct_ratio(per_page, 0.5)} / {_pct_ratio(per_page, 0.9)} |",
        f"| peak RSS per page (max) | {max(rss) if rss else '–'} MB |",
        f"| sohoa pages per minute per worker | "
        f"{_fmt(60 / sec['sohoa'] if sec['sohoa'] else None, nd=1)} |",
    ]


def _pct_ratio(sorted_values: list[float], q: float) -> str:
    if not sorted_values:
        return "–"
    i = min(len(sorted_values) - 1, round(q * (len(sorted_values) - 1)))
    return f"{sorted_values[i]:.2f}×"


def _memory_lines(memory: dict[str, Any] | None) -> list[str]:
    if not memory:
        return []
    if "error" in memory:
        return ["", f"A3 colour page: measurement failed: {memory['error']}"]
    t = memory.get("timings", {})
    return [
        "",
        "## Memory on a 300-dpi A3 colour page",
        "",
        f"- page {memory['size'][0]}×{memory['size'][1]} px RGB; peak RSS of the sohoa process "
        f"{memory['python_peak_mb']} MB (Tesseract child ≤ {memory['tesseract_peak_mb']} MB); "
        f"cleanup {t.get('cleanup', 0):.2f} s, OCR {t.get('ocr', 0):.2f} s",
    ]


def _machine_lines(m: dict[str, Any]) -> list[str]:
    return [
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; {m['os']}",
        f"- software: Python {m['python']}, {m['tesseract']}",
    ]


def render(
    results: list[dict],
    *,
    command: str,
    corpus: str,
    wall_seconds: float,
    options: dict[str, Any],
    memory: dict[str, Any] | None = None,
    held_out: dict[str, Any] | None = None,
    real: list[str] | None = None,
) -> str:
    """The whole report as markdown.

    Args:
        results: page measurements (:func:`bench.run.run_bench`).
        command: the command line, as recorded.
        corpus: what the corpus was (seed).
        wall_seconds: wall time of the run.
        options: the bench options, as recorded.
        memory: the A3 memory measurement, if taken.
        held_out: held-out calibration figures (:func:`bench.calibrate.held_out_report`).
        real: the real pages section's lines (:func:`bench.real.render_real`), if run.
    """
    ok = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    m = machine()
    rate = len(ok) / wall_seconds * 60 if wall_seconds else 0
    out = [
        "# sohoa benchmark",
        "",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- command: `{command}`",
        f"- corpus: {corpus} ({len(results)} pages, {len(failed)} failed to measure)",
        *_machine_lines(m),
        f"- options: {options}",
        f"- wall time {wall_seconds:.0f} s for the whole run ({rate:.1f} pages/min with every "
        "method on each page; absolute times vary by machine, ratios are the headline)",
        "",
        "## Headline (ratios to what users have today)",
        "",
        *_headline(ok, held_out),
        "",
        *_body(ok, held_out, real),
        *_memory_lines(memory),
    ]
    if failed:
        out += ["", "## Pages that failed to measure", ""]
        out += [f"- {r['id']}: {r['error']}" for r in failed]
    return "\n".join(out) + "\n"


def _body(ok: list[dict], held_out: dict[str, Any] | None, real: list[str] | None) -> list[str]:
    """The report's sections after the headline: text, skew, fields, held-out, real pages."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    by_deg: dict[str, list[dict]] = defaultdict(list)
    for r in ok:
        by_kind[r["kind"]].append(r)
        for d in r.get("degradations") or ["(none)"]:
            by_deg[d].append(r)
    return [
        "## OCR text quality (all pages)",
        "",
        *_text_table(ok),
        "",
        "## CER by page kind (mean)",
        "",
        *_grouped_cer(ok, by_kind, "kind"),
        "",
        "## CER by degradation (mean over pages that have it)",
        "",
        *_grouped_cer(ok, by_deg, "degradation"),
        "",
        "## Skew (degrees, absolute error)",
        "",
        *_skew_table(ok),
        "",
        "## Fields (sohoa, before review)",
        "",
        *_field_lines(ok),
        "",
        "## Auto-accept precision held out by group (the headline figure)",
        "",
        *_held_out_lines(held_out),
        *(["", *real] if real else []),
    ]


def put_section(text: str, header: str, section: str, *, before: str = "") -> str:
    """A Markdown file's text with the section ``header`` (a "## …" line) replaced or added.

    Args:
        text: the file's text.
        header: the section's first line.
        section: the new section, starting with ``header``.
        before: where a new section goes (the first line of a later section); at the end when
            empty or absent.
    """
    section = section.rstrip("\n") + "\n"
    if header in text:
        head, _, rest = text.partition(header)
        after = rest.find("\n## ")
        tail = rest[after + 1 :] if after >= 0 else ""
        return head + section + ("\n" + tail if tail else "")
    if before and "\n" + before in text:
        head, _, rest = text.partition("\n" + before)
        return head.rstrip("\n") + "\n\n" + section + "\n" + before + rest
    return text.rstrip("\n") + ("\n\n" if text else "") + section
