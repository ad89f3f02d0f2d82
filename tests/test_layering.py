"""The framework-free core never imports Prefect, FastAPI or Starlette."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ("pipeline", "ocr", "scanners", "schemas")
FORBIDDEN = {"prefect", "fastapi", "starlette"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", CORE)
def test_core_sources_do_not_import_frameworks(package: str) -> None:
    files = list((ROOT / package).rglob("*.py"))
    assert files
    bad = {str(f.relative_to(ROOT)): _imports(f) & FORBIDDEN for f in files}
    assert {k: v for k, v in bad.items() if v} == {}


def test_importing_core_loads_no_framework() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        f"for pkg in {CORE!r}:\n"
        "    m = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(m.__path__, pkg + '.'):\n"
        "        if '.migrations' in info.name: continue\n"
        "        importlib.import_module(info.name)\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def test_packages_resolve_to_this_tree() -> None:
    import flows
    import ocr
    import pipeline
    import review_ui
    import scanners
    import schemas

    for mod in (pipeline, flows, scanners, ocr, review_ui, schemas):
        assert Path(mod.__file__).resolve().is_relative_to(ROOT), mod.__file__


ALLOWED_INTERNAL = {
    "schemas": set(),
    "pipeline": {"schemas", "pipeline"},
    "ocr": {"pipeline", "schemas", "ocr"},
    "scanners": {"pipeline", "schemas", "scanners"},
    "review_ui": {"pipeline", "schemas", "review_ui"},
}
INTERNAL = {"schemas", "pipeline", "ocr", "scanners", "flows", "review_ui", "bench"}


@pytest.mark.parametrize("package", sorted(ALLOWED_INTERNAL))
def test_internal_imports_follow_the_design_table(package: str) -> None:
    bad = {}
    for f in (ROOT / package).rglob("*.py"):
        wrong = (_imports(f) & INTERNAL) - ALLOWED_INTERNAL[package] - {package}
        if wrong:
            bad[str(f.relative_to(ROOT))] = wrong
    assert bad == {}
