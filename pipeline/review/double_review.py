"""The second clerk's blind keying and the arbiter's decision (:mod:`pipeline.review.double`)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import FieldRow, RecordRow, ReviewEvent
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore
from pipeline.review import double
from pipeline.review.approve import ApproveOutcome, approve_record
from schemas.enums import RecordStatus


def _load(
    sessions: sessionmaker[Session], record_id: int
) -> tuple[RecordRow, list[FieldRow]] | None:
    with sessions() as s:
        rec = s.get(RecordRow, record_id)
        if rec is None:
            return None
        fields = list(s.scalars(select(FieldRow).where(FieldRow.record_id == record_id)))
        s.expunge_all()
    return rec, fields


def key_second(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    record_id: int,
    user_id: int,
    typed: dict[str, str],
    *,
    plan: PhasePlan | None = None,
    lock_minutes: int = 15,
) -> ApproveOutcome:
    """Key the key fields a second time, blind: agreement approves, disagreement arbitrates."""
    loaded = _load(sessions, record_id)
    if loaded is None:
        return ApproveOutcome(False, message="Không có hồ sơ này", reason="missing")
    rec, fields = loaded
    if rec.status != RecordStatus.second_keying.value:
        return ApproveOutcome(False, message="Hồ sơ không chờ nhập lần hai", reason="read_only")
    k = double.keyings(sessions, record_id)
    if k.first_user == user_id:
        msg = "Bạn đã nhập lần thứ nhất; lần hai phải do người khác nhập"
        return ApproveOutcome(False, message=msg, reason="same_clerk")
    first = dict(k.first.get("values") or {})
    names = double.key_names(fields)
    second, differ = double.compare(first, typed, names, rec.formation_year)
    if not double.record_second(sessions, record_id, user_id, second, differ):
        return ApproveOutcome(False, message="Hồ sơ vừa được nhập ở nơi khác", reason="conflict")
    if differ:
        msg = "Hai lần nhập khác nhau; hồ sơ chuyển người phân xử"
        return ApproveOutcome(True, changed=differ, message=msg, reason="arbitration")
    out = approve_record(
        sessions,
        store,
        record_id,
        user_id,
        double.typed_from(first),
        _first_accepted(k.first),
        lock_minutes=lock_minutes,
        plan=plan,
        keyed_twice=True,
    )
    if not out.ok:  # the record waits for the second keying again
        _set_status(sessions, record_id, RecordStatus.needs_review, RecordStatus.second_keying)
    return out


def _first_accepted(first: dict[str, object]) -> set[str]:
    """The fields the first clerk confirmed as on the page (kept as they are, audited once)."""
    return {str(n) for n in (first.get("confirmed") or [])}  # type: ignore[attr-defined]


def arbitrate(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    record_id: int,
    user_id: int,
    typed: dict[str, str],
    *,
    plan: PhasePlan | None = None,
    lock_minutes: int = 15,
) -> ApproveOutcome:
    """The arbiter's values for the key fields; the record is approved with them."""
    loaded = _load(sessions, record_id)
    if loaded is None:
        return ApproveOutcome(False, message="Không có hồ sơ này", reason="missing")
    rec, fields = loaded
    if rec.status != RecordStatus.arbitration.value:
        return ApproveOutcome(False, message="Hồ sơ không chờ phân xử", reason="read_only")
    k = double.keyings(sessions, record_id)
    if user_id in (k.first_user, k.second_user):
        msg = "Bạn đã nhập hồ sơ này; người phân xử phải là người khác"
        return ApproveOutcome(False, message=msg, reason="same_clerk")
    first = dict(k.first.get("values") or {})
    errors = {}
    for name in double.key_names(fields):
        value, why = double.checked_key(name, typed.get(name, ""), rec.formation_year)
        if why:
            errors[name] = why
        first[name] = value
    if errors:
        msg = "Gõ giá trị hợp lệ cho mọi trường chính"
        return ApproveOutcome(False, errors=errors, message=msg, reason="invalid")
    if not _set_status(sessions, record_id, RecordStatus.arbitration, RecordStatus.needs_review):
        return ApproveOutcome(False, message="Hồ sơ vừa được phân xử ở nơi khác", reason="conflict")
    accepted = _first_accepted(k.first) - set(double.key_names(fields))
    out = approve_record(
        sessions,
        store,
        record_id,
        user_id,
        double.typed_from(first),
        accepted,
        lock_minutes=lock_minutes,
        plan=plan,
        keyed_twice=True,
    )
    if not out.ok:
        _set_status(sessions, record_id, RecordStatus.needs_review, RecordStatus.arbitration)
        return out
    with sessions.begin() as s:
        s.add(
            ReviewEvent(
                record_id=record_id, user_id=user_id, action="arbitrate", at=datetime.now(UTC)
            )
        )
    return out


def _set_status(
    sessions: sessionmaker[Session], record_id: int, expected: RecordStatus, status: RecordStatus
) -> bool:
    """Move the record from ``expected`` to ``status``; False when it was not ``expected``."""
    with sessions.begin() as s:
        done = s.execute(
            update(RecordRow)
            .where(RecordRow.id == record_id, RecordRow.status == expected.value)
            .values(status=status.value)
        )
        return getattr(done, "rowcount", 0) == 1
