"""A test of a real part that skips must fail CI (tests/conftest.py), and only then."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = Path(__file__).with_name("conftest.py")

SKIPPING = """
import pytest

@pytest.mark.postgres
def test_needs_the_cluster():
    pytest.skip("the local PostgreSQL cluster does not start")

@pytest.fixture
def browser():
    pytest.skip("chromium is not installed")

@pytest.mark.browser
def test_in_the_browser(browser):
    pass

def test_pure_unit():
    pytest.skip("nothing real here")
"""


@pytest.mark.parametrize("ci", ["", "1"])
def test_a_skipped_real_part_fails_only_under_ci(pytester, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(test_skips=SKIPPING)
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "ignore")
    if ci:
        result.assert_outcomes(failed=1, errors=1, skipped=1)  # a setup skip fails as an error
        result.stdout.fnmatch_lines(["*skipped under CI, but it tests a real part (postgres)*"])
    else:
        result.assert_outcomes(skipped=3)
