"""The bench report aggregates page measurements correctly (no OCR needed)."""

from __future__ import annotations

from bench.report import render


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
    assert "| all | 20 | 90.0 % | 80.0 % | 100.0 % |" in md
    assert "- c: RuntimeError: boom" in md
    assert "peak RSS of the sohoa process 301.6 MB" in md
