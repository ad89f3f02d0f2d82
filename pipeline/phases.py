"""The digitisation plan: which phase a record belongs to, from its formation year.

The plan is configuration: ``pipeline/data/phase_plan.yaml`` by default, a
province's own file via ``SOHOA_PHASE_PLAN`` (YAML; an older ``.toml`` plan is
still read). It is validated on load, with errors in Vietnamese that name the
file and the faulty phase.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import ConfigError

DEFAULT_PLAN_PATH = Path(__file__).parent / "data" / "phase_plan.yaml"
OUTSIDE_PREFIX = "ngoai-ke-hoach"
BOUNDARY_RULES = ("earliest_phase", "latest_phase")
OUTSIDE_RULES = ("outside_plan", "nearest_phase")
_TOP_KEYS = {"name", "boundary_rule", "outside", "phases"}
_PHASE_KEYS = {"number", "label", "from_year", "to_year", "start", "deadline", "double_keying"}


@dataclass(frozen=True)
class Phase:
    """One phase of the plan: documents formed from ``from_year`` to ``to_year``."""

    number: int
    label: str
    from_year: int
    to_year: int
    deadline: date | None = None
    #: when the phase's work began (the plan line of the dashboard starts there); by default
    #: the day its first book was opened
    start: date | None = None
    #: key fields the machine was unsure of are keyed twice, blind (pipeline/review/double.py)
    double_keying: bool = False

    @property
    def prefix(self) -> str:
        """Object-store prefix of the phase."""
        return f"phase-{self.number}"

    @property
    def years(self) -> str:
        """Year range as people write it."""
        return f"{self.from_year}–{self.to_year}" if self.from_year > 1800 else f"≤{self.to_year}"

    def covers(self, year: int) -> bool:
        """True when ``year`` lies in this phase's range (both ends included)."""
        return self.from_year <= year <= self.to_year


@dataclass(frozen=True)
class PhasePlan:
    """Phases in the order they were scheduled, plus the boundary rule."""

    name: str
    phases: tuple[Phase, ...]
    boundary_rule: str = "earliest_phase"
    outside: str = "outside_plan"

    def phase_for_year(self, year: int | None) -> Phase | None:
        """Phase of a formation year; None when the year is unknown or outside the plan.

        With ``outside = "nearest_phase"`` a year no range covers goes to the phase
        whose range is closest (ties: the phase scheduled first).
        """
        if year is None:
            return None
        matches = [p for p in self.phases if p.covers(year)]
        if not matches:
            if self.outside == "nearest_phase" and self.phases:
                return min(self.phases, key=lambda p: max(p.from_year - year, year - p.to_year))
            return None
        if self.boundary_rule == "latest_phase":
            return matches[-1]
        return matches[0]

    def prefix_for_year(self, year: int | None) -> str:
        """Object-store prefix for a formation year (``phase-N`` or the outside prefix)."""
        phase = self.phase_for_year(year)
        return phase.prefix if phase else OUTSIDE_PREFIX

    def by_prefix(self, prefix: str) -> Phase | None:
        """Look a phase up by its prefix."""
        return next((p for p in self.phases if p.prefix == prefix), None)


def load_plan(path: Path | None = None) -> PhasePlan:
    """Read and validate a plan (the packaged default when ``path`` is None).

    Raises:
        ConfigError: unreadable file, bad syntax or an invalid plan; the message
            names the file and what is wrong, in Vietnamese.
    """
    path = path or DEFAULT_PLAN_PATH
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"Không đọc được kế hoạch giai đoạn {path}", reason="phase_plan", detail=str(exc)
        ) from exc
    return parse_plan(raw, source=str(path))


def parse_plan(raw: Any, *, source: str = "kế hoạch") -> PhasePlan:
    """Validate a plan already parsed from YAML/TOML into dicts and lists.

    Raises:
        ConfigError: the first problem found, in Vietnamese.
    """

    def bad(msg: str) -> ConfigError:
        return ConfigError(f"Kế hoạch giai đoạn {source}: {msg}", reason="phase_plan")

    if not isinstance(raw, dict):
        raise bad("phải là một bảng khóa: giá trị (name, boundary_rule, outside, phases)")
    if unknown := set(raw) - _TOP_KEYS:
        raise bad(f"khóa không hợp lệ: {', '.join(sorted(map(str, unknown)))}")
    rule = str(raw.get("boundary_rule", "earliest_phase"))
    if rule not in BOUNDARY_RULES:
        raise bad(
            f"quy tắc năm ranh giới không hợp lệ: {rule} (chọn {' hoặc '.join(BOUNDARY_RULES)})"
        )
    outside = str(raw.get("outside", "outside_plan"))
    if outside not in OUTSIDE_RULES:
        raise bad(f"cách xử lý năm ngoài kế hoạch không hợp lệ: {outside}")
    items = raw.get("phases")
    if not isinstance(items, list) or not items:
        raise bad("thiếu danh sách giai đoạn (phases)")
    phases = tuple(_parse_phase(item, i, bad) for i, item in enumerate(items, 1))
    numbers = [p.number for p in phases]
    if len(set(numbers)) != len(numbers):
        raise bad("số giai đoạn bị trùng")
    return PhasePlan(
        name=str(raw.get("name", "")), phases=phases, boundary_rule=rule, outside=outside
    )


def _parse_phase(item: Any, i: int, bad: Any) -> Phase:
    if not isinstance(item, dict):
        raise bad(f"giai đoạn thứ {i} phải là một bảng khóa: giá trị")
    if unknown := set(item) - _PHASE_KEYS:
        raise bad(f"giai đoạn thứ {i} có khóa lạ: {', '.join(sorted(map(str, unknown)))}")
    missing = [k for k in ("number", "from_year", "to_year") if k not in item]
    if missing:
        raise bad(f"giai đoạn thứ {i} thiếu {', '.join(missing)}")
    try:
        number, y0, y1 = int(item["number"]), int(item["from_year"]), int(item["to_year"])
    except (TypeError, ValueError) as exc:
        raise bad(f"giai đoạn thứ {i}: số giai đoạn và năm phải là số nguyên") from exc
    if number < 1 or y0 > y1:
        raise bad(f"giai đoạn {number}: số phải ≥ 1 và năm bắt đầu không lớn hơn năm kết thúc")
    deadline = _plan_date(item, "deadline", f"giai đoạn {number}: hạn hoàn thành", bad)
    start = _plan_date(item, "start", f"giai đoạn {number}: ngày bắt đầu", bad)
    if start and deadline and start > deadline:
        raise bad(f"giai đoạn {number}: ngày bắt đầu sau hạn hoàn thành")
    double = item.get("double_keying", False)
    if not isinstance(double, bool):
        raise bad(f"giai đoạn {number}: double_keying phải là true hoặc false")
    return Phase(
        number=number,
        label=str(item.get("label") or f"Giai đoạn {number}"),
        from_year=y0,
        to_year=y1,
        deadline=deadline,
        start=start,
        double_keying=double,
    )


def _plan_date(item: dict[str, Any], key: str, what: str, bad: Any) -> date | None:
    value = item.get(key)
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise bad(f"{what} phải có dạng YYYY-MM-DD") from exc
