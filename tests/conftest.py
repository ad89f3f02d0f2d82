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
