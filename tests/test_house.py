"""The house rules of issue 16: small functions, modules under 500 lines unless they say why."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: product code; bench/ is held to the same sizes, tests/ are not
PRODUCT = ("schemas", "pipeline", "ocr", "scanners", "flows", "review_ui")
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 500
REASON = "# Over 500 lines:"


def _sources(package: str) -> list[Path]:
    return [f for f in (ROOT / package).rglob("*.py") if "migrations" not in f.parts]


@pytest.mark.parametrize("package", (*PRODUCT, "bench"))
def test_no_function_over_60_lines(package: str) -> None:
    long = {}
    for f in _sources(package):
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{f.relative_to(ROOT)}:{node.lineno} {node.name}"] = n
    assert long == {}


@pytest.mark.parametrize("package", (*PRODUCT, "bench"))
def test_a_module_over_500_lines_says_why_at_its_top(package: str) -> None:
    silent = {}
    for f in _sources(package):
        lines = f.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_MODULE_LINES and not lines[0].startswith(REASON):
            silent[str(f.relative_to(ROOT))] = len(lines)
    assert silent == {}
