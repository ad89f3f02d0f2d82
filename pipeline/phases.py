"""The digitisation plan: which phase a record belongs to, from its formation year."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.errors import ConfigError

DEFAULT_PLAN_PATH = Path(__file__).parent / "data" / "phase_plan.toml"
OUTSIDE_PREFIX = "ngoai-ke-hoach"


@dataclass(frozen=True)
class Phase:
    """One phase of the plan: documents formed from ``from_year`` to ``to_year``."""

    number: int
    label: str
    from_year: int
    to_year: int
    deadline: date | None = None

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

    def phase_for_year(self, year: int | None) -> Phase | None:
        """Phase of a formation year; None when the year is outside the plan or unknown."""
        if year is None:
            return None
        matches = [p for p in self.phases if p.covers(year)]
        if not matches:
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
    """Read a plan from TOML (the packaged default when ``path`` is None)."""
    path = path or DEFAULT_PLAN_PATH
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        phases = tuple(
            Phase(
                number=int(p["number"]),
                label=str(p.get("label", f"Giai đoạn {p['number']}")),
                from_year=int(p["from_year"]),
                to_year=int(p["to_year"]),
                deadline=date.fromisoformat(p["deadline"]) if p.get("deadline") else None,
            )
            for p in raw["phases"]
        )
    except (OSError, KeyError, TypeError, ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Không đọc được kế hoạch giai đoạn {path}", detail=str(exc)) from exc
    rule = str(raw.get("boundary_rule", "earliest_phase"))
    if rule not in {"earliest_phase", "latest_phase"}:
        raise ConfigError(f"Quy tắc năm ranh giới không hợp lệ: {rule}")
    return PhasePlan(name=str(raw.get("name", "")), phases=phases, boundary_rule=rule)
