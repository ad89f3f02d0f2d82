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
