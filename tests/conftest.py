"""Shared test set-up: quiet, single-threaded Tesseract, no Prefect analytics."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("OMP_THREAD_LIMIT", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture
def samples() -> Path:
    """The committed sample pages."""
    return SAMPLES


#: markers of tests that use a real part of the product's environment
REAL_PARTS = ("postgres", "s3", "browser", "sane", "tesseract", "prefect_server")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """With ``CI`` set, a skipped test that uses a real part fails instead.

    A skip there means PostgreSQL, S3, Chromium, SANE or Tesseract was not really tested
    (a cluster that does not start, a browser not installed): CI must not stay green.
    """
    outcome = yield
    report = outcome.get_result()
    if not (os.environ.get("CI") and report.skipped):
        return
    parts = [m for m in REAL_PARTS if item.get_closest_marker(m) is not None]
    if not parts or getattr(report, "wasxfail", None) is not None:
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped under CI, but it tests a real part ({', '.join(parts)}): {reason}"
