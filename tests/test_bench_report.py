"""The bench report aggregates page measurements correctly (no OCR needed)."""

from __future__ import annotations

from bench.report import render


def _outcomes() -> list[dict]:
    """Ten fields: 9 right, 8 accepted (all right); one handwritten accepted, one cell."""
    out = [
        {"name": f"f{i}", "right": i < 9, "accepted": i < 8, "hand": False, "cell": False}
        for i in range(10)
    ]
    out[0]["hand"] = True
    out[1]["cell"] = True
    return out


def _page(pid: str, kind: str, cer: dict[str, float], skew_err: float, degs: list[str]) -> dict:
    page = {
        "id": pid,
        "kind": kind,
        "font": "serif",
        "degradations": degs,
        "truth_skew": 1.0,
        "truth_orientation": 0,
        "sohoa": {
            "cer": cer["sohoa"],
            "wer": cer["sohoa"] * 2,
            "seconds": 3.0,
            "timings": {"cleanup": 0.5, "ocr": 2.0, "extract": 0.1},
            "skew": 1.0 + skew_err,
            "skew_error": skew_err,
            "orientation": 0,
            "orientation_ok": True,
            "kind": kind,
            "peak_rss_mb": 300.0,
            "fields": {"fields": 10, "exact": 9, "accepted": 8, "accepted_right": 8},
            "outcomes": _outcomes(),
        },
        "tesseract": {"cer": cer["tesseract"], "wer": 0.5, "seconds": 1.0},
        "floor": {"cer": cer["floor"], "wer": 0.0, "seconds": 1.0},
        "ocrmypdf": {"cer": cer["ocrmypdf"], "wer": 0.4, "seconds": 6.0},
        "deskew": {"skew": 2.0, "skew_error": 1.0, "seconds": 1.0},
        "jdeskew": {"skew": 1.1, "skew_error": 0.1, "seconds": 0.5},
    }
    return page


def test_report_headline_and_tables():
    results = [
        _page(
            "a",
            "khai_sinh",
            {"sohoa": 0.02, "tesseract": 0.2, "floor": 0.01, "ocrmypdf": 0.1},
            0.02,
            ["skew", "yellow"],
        ),
        _page(
            "b",
            "tthc",
            {"sohoa": 0.04, "tesseract": 0.4, "floor": 0.01, "ocrmypdf": 0.1},
            0.04,
            ["yellow"],
        ),
        {
            "id": "c",
            "kind": "tthc",
            "error": "RuntimeError: boom",
            "degradations": [],
            "font": "sans",
        },
    ]
    md = render(
        results,
        command="sohoa bench --quick",
        corpus="seed 1",
        wall_seconds=60,
        options={"workers": 2},
        memory={
            "size": [4960, 3508],
            "python_peak_mb": 301.6,
            "tesseract_peak_mb": 120.0,
            "timings": {"cleanup": 0.8, "ocr": 3.1},
        },
    )
    assert "| CER, sohoa ÷ OCRmyPDF (mean, same pages) | 0.30× |" in md
    assert "| CER, sohoa ÷ undegraded floor | 3.00× |" in md
    assert "| skew error, sohoa ÷ jdeskew (mean abs) | 0.30× |" in md
    assert "| cleanup time ÷ OCR time (all pages' times) | 0.25× |" in md
    assert "| cleanup time ÷ OCR time (median page / 90th percentile page) | 0.25× / 0.25× |" in md
    assert "| khai_sinh | 1 |" in md and "| yellow | 2 |" in md
    assert "| all | 20 | 90.0 % | 80.0 % | 100.0 % | 0 |" in md
    assert "| handwritten | 2 | 100.0 % | 100.0 % | 100.0 % | 0 |" in md
    assert "| register cells | 2 | 100.0 % | 100.0 % | 100.0 % | 0 |" in md
    assert "| serif | 18 | 88.9 % | 77.8 % | 100.0 % | 0 |" in md  # typed fields only
    assert "Handwritten fields: 2 of 2 auto-accepted (100.0 %), 0 of those wrong." in md
    assert "No held-out figures" in md
    assert "- c: RuntimeError: boom" in md
    assert "peak RSS of the sohoa process 301.6 MB" in md


def test_report_held_out_is_the_headline_and_real_section_renders():
    page = _page(
        "a",
        "tthc",
        {"sohoa": 0.1, "tesseract": 0.2, "floor": 0.1, "ocrmypdf": 0.2},
        0.0,
        ["scan_bilevel_150"],
    )
    page["sohoa"]["outcomes"][9].update(right=False, accepted=True)
    held = {
        "fitted_on": "calibration seed 7",
        "judged_on": "seed 2020",
        "target": 0.995,
        "by_group": {
            "degradation:scan_bilevel_150": {
                "fields": 10,
                "accepted": 6,
                "accepted_right": 5,
                "fitted_on": 900,
                "threshold": 0.97,
            },
            "face:serif": {"fields": 10, "skipped": "0 samples to fit on"},
        },
        "pooled": {
            "precision": 5 / 6,
            "coverage": 0.6,
            "worst_group": "degradation:scan_bilevel_150",
            "worst_precision": 5 / 6,
        },
    }
    md = render(
        [page],
        command="x",
        corpus="seed 2020",
        wall_seconds=1,
        options={},
        held_out=held,
        real=["## Real pages", "", "row"],
    )
    head = md.split("## OCR text quality")[0]
    assert (
        "held out by group** (fitted without the face, hand or degradation judged) | "
        "83.3 % (worst: degradation:scan_bilevel_150, 83.3 %) |" in head
    )
    assert "| degradation:scan_bilevel_150 | 10 | 60.0 % | 83.3 % | 1 | 900 |" in md
    assert "| face:serif | 10 | – | – | – | skipped: 0 samples to fit on |" in md
    assert "| scan_bilevel_150 | 10 | 90.0 % | 90.0 % | 88.9 % | 1 |" in md
    assert "## Real pages\n\nrow" in md
