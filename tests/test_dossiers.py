from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipeline.extract.calibration import packaged
from pipeline.extract.forms import extract_birth
from pipeline.extract.tthc import extract_tthc
from schemas.dossiers import DOSSIERS, to_dossier
from schemas.models import BIRTH_FIELDS, ENTRY_EXTRAS, SCHEMA_VERSION, TTHC_FIELDS
from tests.fakes import page_from_lines
from tests.test_extract import BIRTH, TTHC

ROOT = Path(__file__).resolve().parents[1]


def test_cli_exports_a_schema_per_dossier(tmp_path: Path):
    env = {**os.environ, "SOHOA_HOME": str(tmp_path / "home")}
    run = subprocess.run(
        [sys.executable, "-m", "flows.cli", "schemas", "export", str(tmp_path / "s")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    files = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert files == sorted(f"{n}.schema.json" for n in DOSSIERS)
    birth = json.loads((tmp_path / "s" / "khai_sinh.schema.json").read_text("utf-8"))
    want = set(BIRTH_FIELDS) | set(ENTRY_EXTRAS["khai_sinh"]) | {"schema_version"}
    assert want == set(birth["properties"])
    assert birth["properties"]["ho_ten"]["title"] == "Họ, chữ đệm, tên"
    # issue 19's fields carry their Vietnamese labels and formats too
    assert birth["properties"]["trang_so"]["title"] == "Trang số (của sổ)"
    assert birth["properties"]["ngay_sinh_me"]["description"].startswith("ISO date")
    tthc = json.loads((tmp_path / "s" / "tthc.schema.json").read_text("utf-8"))
    assert tthc["properties"]["ngay_ban_hanh"]["annex_vi"] == "IssuedDate"


def test_extracted_records_validate_against_their_dossier():
    birth = extract_birth(page_from_lines(BIRTH), threshold=0.8, calibration=packaged())
    d = to_dossier(birth.schema_name, birth.fields)
    assert d.schema_version == SCHEMA_VERSION and d.ho_ten.value == "NGUYỄN VĂN AN"
    tthc = extract_tthc(page_from_lines(TTHC), threshold=0.8, calibration=packaged())
    assert set(to_dossier("tthc", tthc.fields).model_dump(exclude={"schema_version"})) == set(
        TTHC_FIELDS
    )
