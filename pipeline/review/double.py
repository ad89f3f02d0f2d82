"""Blind double keying of key fields, as FamilySearch does it (issue 20, item 3).

Where a phase asks for it (``double_keying: true`` in the phase plan), a record whose key
fields — name, date of birth, registration date, entry number — the machine was unsure of
is not approved by one clerk. The first clerk's decision is kept as keying 1 and the record
waits (status ``second_keying``); a second clerk keys the key fields again without seeing
the first values (nor the machine's reading). When both keyings agree the record is
approved with the first clerk's decision; when they differ it goes to an arbiter (the
``arbiter`` role), who sees both and decides. Every step is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import FieldRow, Keying, RecordLock, RecordRow, ReviewEvent, User
from pipeline.extract.fields import check_field
from pipeline.phases import PhasePlan
from pipeline.review.keying import FORMATION_DATES, is_date_field, keyed_date
from pipeline.review.queue import display_value
from schemas.enums import RecordStatus

#: The fields keyed twice (those a record holds).
KEY_FIELDS = ("ho_ten", "ngay_sinh", "ngay_dang_ky", "so")


def applies(plan: PhasePlan | None, phase: str, fields: list[FieldRow]) -> bool:
    """Must this record be keyed twice?

    Its phase asks for it and the machine was unsure of a key field (a key field it was
    sure of is not keyed again).
    """
    found = plan.by_prefix(phase) if plan is not None else None
    if found is None or not found.double_keying:
        return False
    return any(f.name in KEY_FIELDS and f.needs_review for f in fields)


def key_names(fields: list[FieldRow]) -> list[str]:
    """The key fields this record holds, in form order."""
    return [f.name for f in fields if f.name in KEY_FIELDS]


def record_first(
    sessions: sessionmaker[Session],
    rec: RecordRow,
    user_id: int,
    values: dict[str, str | None],
    decided: tuple[list[str], list[str]],
) -> None:
    """Keep the first clerk's decision (every field) and send the record to a second clerk."""
    now = datetime.now(UTC)
    changed, confirmed = decided
    doc = {"values": values, "changed": changed, "confirmed": confirmed}
    with sessions.begin() as s:
        s.add(Keying(record_id=rec.id, user_id=user_id, round=1, values=doc, at=now))
        s.execute(
            update(RecordRow)
            .where(RecordRow.id == rec.id)
            .values(status=RecordStatus.second_keying.value)
        )
        s.add(ReviewEvent(record_id=rec.id, user_id=user_id, action="key1", at=now))
        s.execute(delete(RecordLock).where(RecordLock.record_id == rec.id))


@dataclass(frozen=True)
class Keyings:
    """The keyings of a record: who keyed, what (round 1 holds every field's value)."""

    first_user: int | None
    first: dict[str, Any]
    second_user: int | None
    second: dict[str, Any]
    names: dict[int, str]


def keyings(sessions: sessionmaker[Session], record_id: int) -> Keyings:
    """The latest first and second keying of a record, with the clerks' names."""
    with sessions() as s:
        rows = list(
            s.scalars(select(Keying).where(Keying.record_id == record_id).order_by(Keying.id))
        )
        names = {u.id: u.username for u in s.scalars(select(User))}
    first = next((k for k in reversed(rows) if k.round == 1), None)
    second = next((k for k in reversed(rows) if k.round == 2), None)
    return Keyings(
        first.user_id if first else None,
        dict(first.values) if first else {},
        second.user_id if second else None,
        dict(second.values) if second else {},
        names,
    )


def normalised(name: str, text: str, year: int | None) -> str | None:
    """A keyed value as stored: validated and normalised (dates typed short read as dates)."""
    text = " ".join(text.split())
    if is_date_field(name):
        text = keyed_date(text, year, nearest=name in FORMATION_DATES)
    checked = check_field(name, text)
    return checked.value if checked.ok and checked.value is not None else (text or None)


def checked_key(name: str, text: str, year: int | None) -> tuple[str | None, str]:
    """An arbiter's value for a key field, validated: (value, "") or (None, why not)."""
    text = " ".join(text.split())
    if not text:
        return None, "chưa gõ giá trị"
    if is_date_field(name):
        text = keyed_date(text, year, nearest=name in FORMATION_DATES)
    checked = check_field(name, text)
    if not checked.ok or checked.value is None:
        return None, checked.note or "giá trị không hợp lệ"
    return checked.value, ""


def compare(
    first: dict[str, str | None], typed: dict[str, str], names: list[str], year: int | None
) -> tuple[dict[str, str | None], list[str]]:
    """The second keying normalised, and the key fields on which the two keyings differ."""
    second = {n: normalised(n, typed.get(n, ""), year) for n in names}
    return second, [n for n in names if second[n] != first.get(n)]


def record_second(
    sessions: sessionmaker[Session],
    rec_id: int,
    user_id: int,
    second: dict[str, str | None],
    differ: list[str],
) -> bool:
    """Keep the second keying; on disagreement send the record to an arbiter.

    False when the record no longer waits for a second keying (keyed meanwhile).
    """
    now = datetime.now(UTC)
    with sessions.begin() as s:
        status = RecordStatus.arbitration if differ else RecordStatus.needs_review
        done = s.execute(
            update(RecordRow)
            .where(RecordRow.id == rec_id, RecordRow.status == RecordStatus.second_keying.value)
            .values(status=status.value)
        )
        if getattr(done, "rowcount", 0) != 1:
            return False
        s.add(Keying(record_id=rec_id, user_id=user_id, round=2, values=second, at=now))
        note = "khác ở: " + ", ".join(differ) if differ else "khớp lần nhập thứ nhất"
        s.add(ReviewEvent(record_id=rec_id, user_id=user_id, action="key2", new_value=note, at=now))
        if differ:  # the second clerk is done with it; the arbiter opens it next
            s.execute(delete(RecordLock).where(RecordLock.record_id == rec_id))
    return True


def typed_from(values: dict[str, str | None]) -> dict[str, str]:
    """Stored values as a form would send them (dates dd/mm/yyyy), for approval."""
    return {n: display_value(n, v, v or "") for n, v in values.items()}


def next_to_key(sessions: sessionmaker[Session], user_id: int) -> int | None:
    """The oldest record waiting for a second keying that this clerk did not key first."""
    keyed_first = select(Keying.record_id).where(Keying.user_id == user_id, Keying.round == 1)
    now = datetime.now(UTC)
    free = select(RecordLock.record_id).where(
        RecordLock.expires_at > now, RecordLock.user_id != user_id
    )
    with sessions() as s:
        return s.scalar(
            select(RecordRow.id)
            .where(
                RecordRow.status == RecordStatus.second_keying.value,
                RecordRow.id.not_in(keyed_first),
                RecordRow.id.not_in(free),
            )
            .order_by(RecordRow.created_at, RecordRow.id)
            .limit(1)
        )


def waiting_arbitration(sessions: sessionmaker[Session]) -> list[int]:
    """Records whose two keyings differ, oldest first."""
    with sessions() as s:
        return list(
            s.scalars(
                select(RecordRow.id)
                .where(RecordRow.status == RecordStatus.arbitration.value)
                .order_by(RecordRow.created_at, RecordRow.id)
            )
        )
