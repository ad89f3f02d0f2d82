"""The keying benchmark runs end to end: a handwritten register page keyed in the grid view.

Real Tesseract, SQLite, the embedded S3 server (SeaweedFS), uvicorn and Debian's chromium.
"""

from __future__ import annotations

import shutil

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.s3,
    pytest.mark.tesseract,
    pytest.mark.timeout(600),
]


def test_a_keyed_handwritten_page_comes_out_as_its_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("playwright.sync_api")
    if not shutil.which("chromium"):
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from bench.keying import run
    from flows.local_s3 import find_weed
    from pipeline.errors import MissingToolError

    try:
        find_weed()
    except MissingToolError:
        pytest.skip("weed (SeaweedFS) is not installed")

    monkeypatch.setenv("OMP_THREAD_LIMIT", "1")
    result = run(entries=5, seed=5)  # issue 20: a 5-entry page keyed with no mouse use
    assert result.entries == 5 and result.cells >= 30
    # every cell keyed from the truth is approved as the truth
    assert result.right_after == result.cells
    assert result.keystrokes > result.typed_cells > 0
    assert result.mouse_events == 0  # keyboard only
