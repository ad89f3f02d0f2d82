"""Real scanned letters (../shared/real, a development set): no wrong value auto-accepted.

The worst outcome the product has is a wrong value entering the national database unseen;
on these pages the handwritten document numbers were read as confident typed digits. This
holds the invariant, not a score: every field a clerk would key that comes out auto-accepted
must be right. Skipped where the development set is not beside the repository.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT.parent / "shared" / "real"

pytestmark = [
    pytest.mark.real_pages,
    pytest.mark.skipif(not (REAL / "truth.json").is_file(), reason=f"no {REAL}"),
]


def test_nothing_wrong_is_auto_accepted_on_the_real_letters(tmp_path: Path) -> None:
    truth = json.loads((REAL / "truth.json").read_text(encoding="utf-8"))
    letters = {k: v for k, v in truth.items() if v["file"].endswith(".pdf")}
    env = {**os.environ, "SOHOA_HOME": str(tmp_path / "home"), "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "flows.cli", "process"]
        + [str(REAL / v["file"]) for v in letters.values()]
        + ["--out", str(tmp_path / "out")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count("2 trang → 1 văn bản (trang 1–2)") == len(letters)  # the operator
    wrong = []
    for stem, doc in letters.items():
        for page in sorted((tmp_path / "out").glob(f"{stem}-p*.json")):
            for rec in json.loads(page.read_text(encoding="utf-8"))["records"]:
                for name, f in rec["fields"].items():
                    want = doc["fields"].get(name)
                    if want and f["value"] and not f["needs_review"] and f["value"] != want:
                        wrong.append((page.name, name, f["value"], want))
    assert wrong == []
    for stem, doc in letters.items():  # one document per letter, read from both its pages
        whole = json.loads((tmp_path / "out" / f"{stem}.json").read_text(encoding="utf-8"))
        assert [d["pages"] for d in whole["documents"]] == [[1, 2]]
        (rec,) = whole["records"]
        for name, f in rec["fields"].items():
            want = doc["fields"].get(name)
            if want and f["value"] and not f["needs_review"] and f["value"] != want:
                wrong.append((f"{stem}.json", name, f["value"], want))
        assert rec["fields"]["loai_van_ban"]["value"] == "Công văn"
        assert rec["fields"]["nguoi_ky"]["value"] == doc["fields"]["nguoi_ky"]  # on page 2
        title = rec["fields"]["chuc_vu_nguoi_ky"]  # under a seal: read again, at least in part
        assert title["value"] and doc["fields"]["chuc_vu_nguoi_ky"].startswith(title["value"])
    assert wrong == []
