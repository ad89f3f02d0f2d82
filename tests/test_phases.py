from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.errors import ConfigError
from pipeline.phases import OUTSIDE_PREFIX, load_plan


@pytest.fixture(scope="module")
def plan():
    return load_plan()


@pytest.mark.parametrize(
    ("year", "prefix"),
    [
        (2021, "phase-2"),
        (2018, "phase-2"),
        (2016, "phase-2"),
        (2015, "phase-3"),
        (2006, "phase-3"),
        (2005, "phase-4"),
        (1996, "phase-4"),
        (1995, "phase-5"),
        (1960, "phase-5"),
        (2022, OUTSIDE_PREFIX),
        (None, OUTSIDE_PREFIX),
    ],
)
def test_default_plan_and_boundary_rule(plan, year, prefix):
    assert plan.prefix_for_year(year) == prefix


def test_latest_phase_rule(tmp_path: Path):
    text = Path(load_plan.__globals__["DEFAULT_PLAN_PATH"]).read_text(encoding="utf-8")
    alt = tmp_path / "plan.toml"
    alt.write_text(
        text.replace('boundary_rule = "earliest_phase"', 'boundary_rule = "latest_phase"'),
        encoding="utf-8",
    )
    p = load_plan(alt)
    assert p.prefix_for_year(2016) == "phase-3"
    assert p.prefix_for_year(1996) == "phase-5"


def test_bad_plan_is_a_config_error(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text("phases = 3", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_plan(bad)


@given(st.integers(min_value=1800, max_value=2021))
def test_every_planned_year_has_exactly_one_phase(year):
    plan = load_plan()
    phase = plan.phase_for_year(year)
    assert phase is not None and phase.covers(year)
