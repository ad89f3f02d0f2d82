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


def _default_text() -> str:
    return Path(load_plan.__globals__["DEFAULT_PLAN_PATH"]).read_text(encoding="utf-8")


def test_latest_phase_rule(tmp_path: Path):
    alt = tmp_path / "plan.yaml"
    alt.write_text(
        _default_text().replace("boundary_rule: earliest_phase", "boundary_rule: latest_phase"),
        encoding="utf-8",
    )
    p = load_plan(alt)
    assert p.prefix_for_year(2016) == "phase-3"
    assert p.prefix_for_year(1996) == "phase-5"


def test_nearest_phase_for_years_outside_the_plan(tmp_path: Path):
    alt = tmp_path / "plan.yaml"
    alt.write_text(
        _default_text().replace("outside: outside_plan", "outside: nearest_phase"),
        encoding="utf-8",
    )
    p = load_plan(alt)
    assert (p.prefix_for_year(2023), p.prefix_for_year(1700)) == ("phase-2", "phase-5")
    assert p.prefix_for_year(None) == OUTSIDE_PREFIX


def test_default_plan_has_deadlines(plan):
    assert all(p.deadline is not None for p in plan.phases)
    assert plan.outside == "outside_plan"


def test_an_old_toml_plan_is_still_read(tmp_path: Path):
    old = tmp_path / "plan.toml"
    old.write_text(
        'boundary_rule = "latest_phase"\n[[phases]]\nnumber = 1\nfrom_year = 1990\n'
        'to_year = 2000\ndeadline = "2024-06-30"\n',
        encoding="utf-8",
    )
    p = load_plan(old)
    assert p.prefix_for_year(1995) == "phase-1" and str(p.phases[0].deadline) == "2024-06-30"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("phases: 3", "thiếu danh sách giai đoạn"),
        ("- 1\n- 2", "bảng khóa"),
        ("phases: [{number: 1, from_year: 2000}]", "thiếu to_year"),
        ("phases: [{number: 1, from_year: 2001, to_year: 2000}]", "năm bắt đầu"),
        ("phases: [{number: 1, from_year: x, to_year: 2000}]", "số nguyên"),
        ("phases: [{number: 1, from_year: 1, to_year: 2, deadline: 31/12/2021}]", "YYYY-MM-DD"),
        ("phases: [{number: 1, from_year: 1, to_year: 2, nam: 3}]", "khóa lạ: nam"),
        ("boundary_rule: middle\nphases: [{number: 1, from_year: 1, to_year: 2}]", "ranh giới"),
        ("outside: drop\nphases: [{number: 1, from_year: 1, to_year: 2}]", "ngoài kế hoạch"),
        (
            "phases: [{number: 1, from_year: 1, to_year: 2},"
            " {number: 1, from_year: 3, to_year: 4}]",
            "bị trùng",
        ),
        ("phases: [unclosed", "Không đọc được"),
    ],
)
def test_bad_plans_are_config_errors_in_vietnamese(tmp_path: Path, text, words):
    bad = tmp_path / "ke-hoach.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_plan(bad)
    assert words in exc.value.message_vi and "ke-hoach.yaml" in exc.value.message_vi


@given(st.integers(min_value=1800, max_value=2021))
def test_every_planned_year_has_exactly_one_phase(year):
    plan = load_plan()
    phase = plan.phase_for_year(year)
    assert phase is not None and phase.covers(year)
