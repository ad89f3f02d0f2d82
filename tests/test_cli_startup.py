"""The CLI starts fast: importing it loads no image, OCR, model, flow or database library.

A module-presence check in a fresh interpreter (not a wall-clock assert): each command
imports what it needs when it runs, so ``sohoa --help`` and ``sohoa status`` stay quick.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: loaded by the commands that process pages, run flows or use storage, never at start-up
HEAVY = (
    "cv2",
    "numpy",
    "PIL",
    "prefect",
    "sqlalchemy",
    "alembic",
    "minio",
    "fpdf",
    "pikepdf",
    "pipeline.extract",
    "pipeline.process",
    "pipeline.imaging",
    "pipeline.work",
    "pipeline.archive",
    "flows.batch_flow",
    "flows.offline",
    "bench.run",
    "bench.corpus",
)


def _loaded_after(code: str) -> list[str]:
    probe = (
        "import json, sys\n"
        f"{code}\n"
        f"heavy = {HEAVY!r}\n"
        "print(json.dumps(sorted(n for n in sys.modules\n"
        "    if any(n == h or n.startswith(h + '.') for h in heavy))))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_nothing_heavy() -> None:
    assert _loaded_after("import flows.cli") == []


def test_help_loads_nothing_heavy() -> None:
    code = (
        "import contextlib, io\n"
        "from flows.cli import app\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        app(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
    )
    assert _loaded_after(code) == []


def test_command_modules_import_only_the_shared_helpers() -> None:
    """flows/cli.py registers the command modules; they never import it (no circle)."""
    for path in sorted((ROOT / "flows").glob("*.py")):
        if path.name == "cli.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "from flows.cli import" not in text, path.name
        assert "import flows.cli\n" not in text, path.name


def test_status_on_a_migrated_sqlite_reads_it_without_sqlalchemy(tmp_path: Path) -> None:
    """``sohoa status`` counts through the standard library, and counts the same."""
    from pipeline.db.migrate import upgrade_db
    from pipeline.db.models import make_engine, make_sessionmaker
    from pipeline.phases import load_plan
    from pipeline.review.report import phase_status

    home = tmp_path / "home"
    url = f"sqlite:///{home / 'sohoa.db'}"
    upgrade_db(url)
    engine = make_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql(
            "INSERT INTO batches (id, agency, book_type, book, year_from, year_to, source, status,"
            " created_at) VALUES (1, 'A', 'khai_sinh', '01', 1994, 1994, '/x', 'open',"
            " '2026-01-01')"
        )
        for i, st in enumerate(("processed", "failed", "pending"), 1):
            c.exec_driver_sql(
                "INSERT INTO pages (id, batch_id, seq, source_name, source_sha256, page_index,"
                " size, phase, status, attempts, created_at, updated_at) VALUES"
                f" ({i}, 1, {i}, 'p', '{i:064d}', 0, 1, 'phase-5', '{st}', 0, '2026-01-01',"
                " '2026-01-01')"
            )
        c.exec_driver_sql(
            "INSERT INTO records (id, page_id, entry_index, schema_name, schema_version, phase,"
            " phase_source, status, version, created_at, object_key) VALUES (1, 1, 0,"
            " 'khai_sinh', '1', 'phase-5', 'record', 'needs_review', 1, '2026-01-01', 'k')"
        )
        c.exec_driver_sql(
            "UPDATE pages SET hold_kind = 'unreadable', hold_reason = 'mất nửa trang',"
            " hold_at = '2026-01-02' WHERE id = 2"
        )
        for name, flag in (("ho_ten", 1), ("so", 0), ("ngay_sinh", 1)):
            c.exec_driver_sql(
                "INSERT INTO fields (record_id, name, raw, confidence, needs_review)"
                f" VALUES (1, '{name}', '', 0.5, {flag})"
            )
    want = phase_status(make_sessionmaker(engine), load_plan())
    engine.dispose()
    code = (
        "import contextlib, io, os\n"
        f"os.environ['SOHOA_HOME'] = {str(home)!r}\n"
        "os.environ.pop('SOHOA_DATABASE_URL', None)\n"
        "from flows.cli import app\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        "        app(['status', '--json'], standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"open({str(tmp_path / 'status.json')!r}, 'w').write(buf.getvalue())\n"
    )
    assert _loaded_after(code) == []
    got = json.loads((tmp_path / "status.json").read_text(encoding="utf-8"))
    assert got == want
    assert got["totals"] == {
        "pages": 3,
        "records": 1,
        "needs_review": 2,
        "held": 0,
        "stored": 1,
        "failed": 1,
    }
    # the page a clerk held is named for the operator (issue 20, item 5)
    assert got["held"] == [
        {
            "page_id": 2,
            "book_type": "khai_sinh",
            "book": "01",
            "agency": "A",
            "page": 2,
            "file": "p",
            "kind": "unreadable",
            "reason": "mất nửa trang",
        }
    ]
