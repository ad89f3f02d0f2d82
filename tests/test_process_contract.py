"""``sohoa process`` writes the offline contract of DESIGN.md (no DB, no S3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"

pytestmark = pytest.mark.tesseract


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "SOHOA_HOME": str(home)}
    files = [SAMPLES / "ks_2018_01.png", SAMPLES / "ks_1994_02.jpg"]
    run = subprocess.run(
        [sys.executable, "-m", "flows.cli", "process", *map(str, files), "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr + run.stdout
    assert not (home / "sohoa.db").exists() and not (home / "s3").exists()
    return out


def _check_contract(doc: dict) -> None:
    assert set(doc) >= {"source", "text", "skew_deg", "orientation_deg", "quality", "records"}
    assert isinstance(doc["skew_deg"], float)
    assert doc["orientation_deg"] in (0, 90, 180, 270)
    assert doc["text"] == unicodedata.normalize("NFC", doc["text"]) and doc["text"].strip()
    for rec in doc["records"]:
        assert isinstance(rec["schema"], str)
        for name, f in rec["fields"].items():
            assert name.isascii() and name == name.lower()
            assert set(f) >= {"value", "raw", "confidence", "bbox", "needs_review"}
            assert 0.0 <= f["confidence"] <= 1.0
            assert f["bbox"] is None or len(f["bbox"]) == 4
            assert isinstance(f["needs_review"], bool)


@pytest.mark.parametrize("stem", ["ks_2018_01", "ks_1994_02"])
def test_contract_and_truth(outputs, stem):
    doc = json.loads((outputs / f"{stem}.json").read_text(encoding="utf-8"))
    _check_contract(doc)
    truth = json.loads((SAMPLES / f"{stem}.truth.json").read_text(encoding="utf-8"))
    assert abs(doc["skew_deg"] - truth["skew_deg"]) <= 0.3
    assert doc["orientation_deg"] == truth["orientation_deg"]
    (rec,) = doc["records"]
    assert rec["schema"] == "khai_sinh"
    fields = rec["fields"]
    assert fields["ngay_dang_ky"]["value"] == truth["fields"]["ngay_dang_ky"]
    right = sum((fields.get(k) or {}).get("value") == v for k, v in truth["fields"].items())
    assert right >= 0.8 * len(truth["fields"])


def test_unreadable_file_is_reported_and_others_written(tmp_path):
    bad = tmp_path / "hong.tif"
    bad.write_bytes(b"II*\x00" + b"\x00" * 40)
    env = {**os.environ, "SOHOA_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "process",
            str(bad),
            str(SAMPLES / "qd_2018_tthc.png"),
            "--out",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 1
    assert "hong.tif" in run.stdout
    assert (tmp_path / "o" / "qd_2018_tthc.json").exists()
    assert not (tmp_path / "o" / "hong.json").exists()
