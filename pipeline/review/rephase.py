"""The phase follows the approved formation year: a corrected date moves the record.

A record is placed in a phase by the year it was formed (its registration or issue date).
When the clerk corrects that date across a phase boundary (21/10/1994 → 21/10/1997: phase 5
→ phase 4), the approved version is written under the new phase, every earlier version is
copied there first (each copy verified by its SHA-256), the database row follows, and only
then are the old keys removed. The audit keeps where each version was.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from pipeline.db.models import RecordRow
from pipeline.errors import SohoaError
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore

log = logging.getLogger(__name__)

#: The record field whose year places a record in a phase, by schema.
DATE_FIELD = {"tthc": "ngay_ban_hanh"}
DEFAULT_DATE_FIELD = "ngay_dang_ky"


@dataclass
class Placement:
    """Where an approved record belongs: its phase prefix and formation year.

    ``moved`` lists (old key, new key) of the earlier versions copied to the new phase.
    """

    phase: str
    year: int | None
    old_phase: str
    moved: list[tuple[str, str]] = field(default_factory=list)

    @property
    def moves(self) -> bool:
        """Does the record change phase?"""
        return self.phase != self.old_phase


def placement(
    plan: PhasePlan | None, rec: RecordRow, values: dict[str, str | None]
) -> Placement | None:
    """The record's phase after approval, from the approved date; None when nothing changes.

    Without a plan, or without an approved date, the record stays where it is. A record
    placed by its book's years (no date of its own) moves only once a date is approved.
    """
    if plan is None:
        return None
    value = values.get(DATE_FIELD.get(rec.schema_name, DEFAULT_DATE_FIELD))
    year = _year(value)
    if year is None or (year == rec.formation_year and rec.phase_source == "record"):
        return None
    phase = plan.prefix_for_year(year)
    if rec.object_key and not rec.object_key.startswith(f"{rec.phase}/"):
        log.warning("record %s: key outside its phase; not moved to %s", rec.id, phase)
        phase = rec.phase
    return Placement(phase, year, rec.phase)


def _year(value: str | None) -> int | None:
    """The year of an ISO date value ("1997-10-21" → 1997); None when there is none."""
    head = (value or "")[:4]
    return int(head) if len(head) == 4 and head.isdigit() else None


def rekey(key: str, old_phase: str, new_phase: str) -> str:
    """``phase-5/…/p00001-e00.v2.json`` → ``phase-4/…/p00001-e00.v2.json``."""
    if not key.startswith(f"{old_phase}/"):
        raise ValueError(f"key {key!r} is not under phase {old_phase!r}")
    return f"{new_phase}/{key[len(old_phase) + 1 :]}"


def copy_versions(store: ObjectStore, keys: list[str], place: Placement) -> list[tuple[str, str]]:
    """Copy each stored version to the new phase and verify it; return (old, new) key pairs.

    Raises:
        SohoaError: a copy came back with another checksum (nothing is removed then).
    """
    pairs = []
    for old in keys:
        found = store.stat(old)
        if found is None:
            continue
        new = rekey(old, place.old_phase, place.phase)
        there = store.stat(new)
        if there is not None and there.sha256 != found.sha256:
            raise SohoaError(
                "Ở giai đoạn mới đã có một bản khác của hồ sơ; không ghi đè",
                reason="move_conflict",
                detail=new,
            )
        stored = store.put_bytes(
            new,
            store.get_bytes(old),
            content_type=found.content_type or "application/json",
            metadata=dict(found.metadata),
        )
        if found.sha256 and stored.sha256 != found.sha256:
            raise SohoaError(
                "Bản sao hồ sơ sang giai đoạn mới không khớp bản gốc",
                reason="copy_mismatch",
                detail=f"{old} → {new}",
            )
        pairs.append((old, new))
    return pairs


def drop_old(store: ObjectStore, pairs: list[tuple[str, str]]) -> None:
    """Remove the old keys once the database names the new ones (failures are only logged)."""
    for old, _new in pairs:
        try:
            store.delete(old)
        except Exception as exc:  # noqa: BLE001 - a leftover copy is harmless; verify shows it
            log.warning("moved record version: could not remove %s: %s", old, exc)


def audit_values(place: Placement) -> list[dict[str, Any]]:
    """Audit rows (action, field, old, new) for a placement: the phase, then each key moved."""
    rows: list[dict[str, Any]] = []
    if place.moves:
        rows.append(
            {"action": "phase", "field_name": "phase", "old": place.old_phase, "new": place.phase}
        )
    rows += [{"action": "move", "field_name": None, "old": o, "new": n} for o, n in place.moved]
    return rows
