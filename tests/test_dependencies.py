"""The installed dependencies do not shadow the standard library (issue 19's lesson).

A PyPI package once pulled the ``argparse`` backport into the environment: it shadows the
standard library's, and Prefect's ephemeral server (used by ``sohoa demo`` and ``ingest``)
exited at start-up. Modules the product and its libraries take from the standard library must
come from it.
"""

from __future__ import annotations

import importlib
import sysconfig
from pathlib import Path

import pytest

STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


@pytest.mark.parametrize(
    "name", ["argparse", "typing", "enum", "dataclasses", "json", "uuid", "zipfile", "csv"]
)
def test_standard_modules_come_from_the_standard_library(name: str) -> None:
    module = importlib.import_module(name)
    path = Path(module.__file__ or "").resolve()
    assert path.is_relative_to(STDLIB) and "site-packages" not in path.parts, path
