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


# ----------------------------------------------------------------- rooms and circles

SOURCE_PACKAGES = ("schemas", "pipeline", "ocr", "scanners", "flows", "review_ui", "bench")
#: the top of pipeline/: what every room may import
TOP = {"pipeline.config", "pipeline.errors", "pipeline.phases", "pipeline.ports", "pipeline.keys"}
#: DESIGN.md's table: the rooms of pipeline/ each may import (besides schemas and the top)
ROOMS = {
    "imaging": set(),
    "extract": {"imaging"},
    "archive": {"db", "imaging"},  # PDFs and verify read page images (imaging.io)
    "db": set(),
    "intake": {"db", "imaging"},
    "work": {"imaging", "extract", "archive", "db", "intake", "review", "process", "documents"},
    "review": {"db", "extract", "archive"},
}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in SOURCE_PACKAGES:
        for f in (ROOT / pkg).rglob("*.py"):
            if "migrations" in f.parts:
                continue
            rel = f.relative_to(ROOT).with_suffix("")
            parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
            out[".".join(parts)] = f
    return out


def _edges(name: str, path: Path, known: set[str]) -> set[str]:
    """Internal modules ``name`` imports, at any depth of its code (functions included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph = {m: _edges(m, p, known) for m, p in mods.items()}
    for m in graph:  # a package's __init__ is not a dependency of its own modules
        graph[m] = {t for t in graph[m] if not m.startswith(t + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circles_anywhere() -> None:
    assert _cycles(_graph()) == []


def test_the_circle_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": set()}
    assert _cycles(graph) == []
    (tmp_path / "m.py").write_text("def f():\n    from pipeline import x\n", encoding="utf-8")
    assert _edges("m", tmp_path / "m.py", {"pipeline", "pipeline.x"}) == {"pipeline.x"}
    assert _cycles({"a": {"b"}, "b": {"a"}}) == [["a", "b"]]


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "pipeline" and len(parts) > 2 else None


@pytest.mark.parametrize("room", sorted(ROOMS))
def test_rooms_import_what_the_design_table_allows(room: str) -> None:
    allowed = {f"pipeline.{r}" for r in ROOMS[room]}
    bad = {}
    for mod, targets in _graph().items():
        if _room(mod) != room:
            continue
        wrong = set()
        for t in targets:
            if t.split(".")[0] in {"schemas"} or t in TOP or t == "pipeline":
                continue
            if t.startswith(f"pipeline.{room}."):
                continue
            owner = f"pipeline.{_room(t)}" if _room(t) else t
            if owner not in allowed:
                wrong.add(t)
        if wrong:
            bad[mod] = sorted(wrong)
    assert bad == {}


def test_nothing_in_the_core_imports_the_bench() -> None:
    bad = {
        m: sorted(t for t in ts if t.startswith("bench"))
        for m, ts in _graph().items()
        if m.split(".")[0] in CORE and any(t.startswith("bench") for t in ts)
    }
    assert bad == {}
