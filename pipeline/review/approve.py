"""Approving a reviewed record: validate again, store a new JSON version, audit each change.

The order is: check the lock and every field → write ``….v(N+1).json`` (older versions are
never overwritten) → one database transaction that updates the fields and the record, appends
one audit event per changed field plus one for the approval, and releases the lock.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.manifest import write_manifests
from pipeline.archive.storage import MissingObjectError
from pipeline.archive.verify import book_prefix_of, record_version_keys
from pipeline.db.models import FieldRow, RecordLock, RecordRow, ReviewEvent, User
from pipeline.errors import SohoaError
from pipeline.extract.fields import check_field
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore, StoredObject
from pipeline.review import double, rephase
from pipeline.review.keying import FORMATION_DATES, is_date_field, keyed_date
from pipeline.review.queue import LockState, acquire_lock, display_value
from schemas.enums import RecordStatus

log = logging.getLogger(__name__)

_VERSION_SUFFIX = re.compile(r"\.v\d+\.json$")


@dataclass
class ApproveOutcome:
    """What approval did: ``ok`` with the changed fields and the new key, or the errors.

    ``reason`` says why nothing was done: ``invalid`` (fields to fix), ``read_only`` (the
    record is not open for review), ``locked``, ``missing``, ``conflict`` or ``storage``.
    """

    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    changed: list[str] = field(default_factory=list)
    object_key: str | None = None
    reason: str = ""


READ_ONLY_MESSAGE = {
    RecordStatus.approved.value: "Hồ sơ đã được duyệt trước đó; chỉ xem, không sửa được.",
    RecordStatus.auto_accepted.value: "Hồ sơ đã được tự chấp nhận; chỉ xem, không sửa được.",
    RecordStatus.superseded.value: (
        "Văn bản của hồ sơ này đã được ghép hoặc tách lại; hồ sơ được thay bằng hồ sơ mới."
    ),
    RecordStatus.held.value: (
        "Trang của hồ sơ này được báo không đọc được hoặc cần quét lại; hồ sơ đang được giữ."
    ),
}


def is_reviewable(status: str | None) -> bool:
    """Whether a clerk may still change a record of this status.

    The one rule for both sides: the record page is editable only then, and approval (and
    its lock) is refused otherwise.
    """
    return status == RecordStatus.needs_review.value


def read_only_message(status: str | None) -> str:
    """Why a record of this status cannot be changed (Vietnamese)."""
    return READ_ONLY_MESSAGE.get(status or "", "Hồ sơ không còn trong hàng chờ; chỉ xem.")


def record_status(sessions: sessionmaker[Session], record_id: int) -> str | None:
    """A record's status, or None when there is no such record."""
    with sessions() as s:
        return s.scalar(select(RecordRow.status).where(RecordRow.id == record_id))


def lock_for_review(
    sessions: sessionmaker[Session], record_id: int, user_id: int, *, minutes: int
) -> LockState | None:
    """Lock (or renew) a record for a clerk; None when it is not open for review."""
    if not is_reviewable(record_status(sessions, record_id)):
        return None
    return acquire_lock(sessions, record_id, user_id, minutes=minutes)


def clean_text(text: str) -> str:
    """NFC, single spaces, no surrounding blanks (what a clerk meant to type)."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def versioned_key(key: str, version: int) -> str:
    """``…/p00001-e00.v1.json`` → ``…/p00001-e00.v{version}.json``."""
    base = _VERSION_SUFFIX.sub("", key)
    return f"{base}.v{version}.json"


def decide_values(
    fields: list[FieldRow],
    typed: dict[str, str],
    accepted: set[str],
    *,
    year_hint: int | None = None,
) -> tuple[dict[str, str | None], dict[str, str]]:
    """New value of every field, or an error per field.

    A field not flagged and not edited keeps its value. Any other field is checked by its
    validator; a value the validator refuses is kept as typed only when the clerk accepted
    it explicitly (the page says so). Dates may be typed short (``21101994``, ``21/10/94``:
    :mod:`pipeline.review.keying`; ``year_hint`` is the record's year, for two-digit years).
    """
    values: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    for f in fields:
        shown = display_value(f.name, f.value, f.raw)
        text = clean_text(typed.get(f.name, shown))
        if is_date_field(f.name):
            text = keyed_date(text, year_hint, nearest=f.name in FORMATION_DATES)
        if text == clean_text(shown) and not f.needs_review:
            values[f.name] = f.value
            continue
        checked = check_field(f.name, text)
        if checked.ok and checked.value is not None:
            values[f.name] = checked.value
        elif f.name in accepted:
            values[f.name] = text or None
        else:
            errors[f.name] = (checked.note or "giá trị không hợp lệ") + (
                " — sửa lại, hoặc nhấn Alt+A để xác nhận đúng như trên trang"
            )
    return values, errors


#: Why a flagged field stops an approval it was not looked at in.
UNSEEN = "trường cần duyệt chưa được xem — đưa con trỏ vào (Enter) hoặc nhấn Alt+A"


def _store_version(
    store: ObjectStore, key: str, doc: dict[str, Any], record_id: int
) -> StoredObject | ApproveOutcome:
    """Store the next version of the record JSON (never over an existing one)."""
    if store.stat(key) is not None:
        return ApproveOutcome(
            False, message="Phiên bản mới đã có trong kho; tải lại hồ sơ", reason="conflict"
        )
    try:
        return store.put_bytes(
            key,
            json.dumps(doc, ensure_ascii=False, indent=1).encode(),
            content_type="application/json",
        )
    except SohoaError as exc:
        log.warning("record %s: storing %s failed: %s", record_id, key, exc.reason)
        return ApproveOutcome(False, message=STORE_FAILED, reason="storage")


def _refused(
    sessions: sessionmaker[Session], record_id: int, user_id: int, lock_minutes: int
) -> ApproveOutcome | None:
    """Why the record cannot be approved by this user now (None: it can)."""
    status = record_status(sessions, record_id)
    if status is None:
        return ApproveOutcome(False, message="Không có hồ sơ này", reason="missing")
    if not is_reviewable(status):
        return ApproveOutcome(False, message=read_only_message(status), reason="read_only")
    lock = acquire_lock(sessions, record_id, user_id, minutes=lock_minutes)
    if not lock.ok:
        return ApproveOutcome(False, message="Hồ sơ đang do người khác duyệt", reason="locked")
    return None


def unseen_fields(fields: list[FieldRow], looked: set[str]) -> dict[str, str]:
    """The flagged fields not in ``looked`` (:func:`looked_at`), with why."""
    return {f.name: UNSEEN for f in fields if f.needs_review and f.name not in looked}


def approve_record(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    record_id: int,
    user_id: int,
    typed: dict[str, str],
    accepted: set[str],
    *,
    lock_minutes: int = 15,
    seen: set[str] | None = None,
    plan: PhasePlan | None = None,
    keyed_twice: bool = False,
) -> ApproveOutcome:
    """Approve a record for ``user_id`` (see the module docstring for the order of writes).

    ``seen``: the flagged fields the clerk's cursor visited (the review screen sends them).
    When given, every flagged field must have been visited, confirmed (``accepted``) or
    typed over (:func:`looked_at`): Ctrl+S does not approve what nobody looked at. Each
    confirmation is audited.
    ``plan``: the phase plan; with it, the record's phase follows its approved date
    (:mod:`pipeline.review.rephase`), and where the phase asks for double keying a record
    with unsure key fields is kept as a first keying instead (:mod:`pipeline.review.double`;
    ``keyed_twice``: it has been keyed twice, approve).
    """
    refused = _refused(sessions, record_id, user_id, lock_minutes)
    if refused is not None:
        return refused
    loaded = _load_for_approval(sessions, record_id, user_id)
    if isinstance(loaded, ApproveOutcome):
        return loaded
    rec, fields, username = loaded
    version, old_key = rec.version, rec.object_key
    judged = _judge(fields, typed, accepted, seen, rec.formation_year)
    if isinstance(judged, ApproveOutcome):
        return judged
    values, changed, confirmed = judged
    place = rephase.placement(plan, rec, values)
    if not keyed_twice and double.applies(plan, place.phase if place else rec.phase, fields):
        double.record_first(sessions, rec, user_id, values, (changed, confirmed))
        msg = "Đã ghi lần nhập thứ nhất; hồ sơ chờ người thứ hai nhập lại các trường chính"
        return ApproveOutcome(True, changed=changed, message=msg, reason="first_keying")
    now = datetime.now(UTC)
    doc = _read_document(store, old_key, rec)
    _update_document(doc, fields, values, changed, username, now, version, old_key)
    stored = _store_placed(store, rec, doc, place)
    if isinstance(stored, ApproveOutcome):
        return stored
    decided = (changed, confirmed)
    ok = _commit(sessions, rec, fields, values, decided, user_id, now, stored, place)
    if not ok:
        return ApproveOutcome(
            False, message="Hồ sơ vừa được thay đổi ở nơi khác; tải lại", reason="conflict"
        )
    if place is not None and place.moves:
        rephase.drop_old(store, place.moved)
        _rewrite_manifests(sessions, store, [old_key or "", stored.key])
    log.info(
        "record %s approved: version %s, %s field(s) changed", record_id, version + 1, len(changed)
    )
    return ApproveOutcome(True, changed=changed, object_key=stored.key)


STORE_FAILED = "Không ghi được vào kho lưu trữ; thử lại sau"


def looked_at(
    fields: list[FieldRow], typed: dict[str, str], seen: set[str], accepted: set[str]
) -> set[str]:
    """Fields the clerk looked at: visited (``seen``), confirmed, or typed over.

    Only what the clerk typed counts as a change here: a reading the validator completes on
    its own ("Meo" → "HMông" for a field whose value was empty) is no sign anyone saw it.
    """
    typed_over = {
        f.name
        for f in fields
        if f.name in typed
        and clean_text(typed[f.name]) != clean_text(display_value(f.name, f.value, f.raw))
    }
    return seen | accepted | typed_over


def _judge(
    fields: list[FieldRow],
    typed: dict[str, str],
    accepted: set[str],
    seen: set[str] | None,
    year: int | None,
) -> tuple[dict[str, str | None], list[str], list[str]] | ApproveOutcome:
    """(new values, changed fields, confirmed fields), or why the record cannot be approved."""
    values, errors = decide_values(fields, typed, accepted, year_hint=year)
    if errors:
        return ApproveOutcome(
            False, errors=errors, message="Có trường chưa hợp lệ", reason="invalid"
        )
    changed = [f.name for f in fields if values[f.name] != f.value]
    if seen is not None and (
        unseen := unseen_fields(fields, looked_at(fields, typed, seen, accepted))
    ):
        msg = "Còn trường cần duyệt chưa xem"
        return ApproveOutcome(False, errors=unseen, message=msg, reason="unseen")
    confirmed = [f.name for f in fields if f.name in accepted and f.name not in changed]
    return values, changed, confirmed


def _store_placed(
    store: ObjectStore, rec: RecordRow, doc: dict[str, Any], place: rephase.Placement | None
) -> StoredObject | ApproveOutcome:
    """Store the approved version under the record's (possibly new) phase."""
    key = _placed(
        store, rec, doc, place, versioned_key(rec.object_key or _fallback_key(rec), rec.version + 1)
    )
    if key is None:
        return ApproveOutcome(False, message=STORE_FAILED, reason="storage")
    return _store_version(store, key, doc, rec.id)


def _placed(
    store: ObjectStore,
    rec: RecordRow,
    doc: dict[str, Any],
    place: rephase.Placement | None,
    key: str,
) -> str | None:
    """The new version's key, under the phase its approved date gives (None: storage failed).

    When the phase changes, every earlier version is copied to the new phase first
    (verified); the old keys are removed only after the database names the new ones.
    """
    if place is None:
        return key
    doc["formation_year"] = place.year
    if not place.moves:
        return key
    doc["phase"] = place.phase
    olds = record_version_keys(key, rec.version)[:-1]
    try:
        place.moved = rephase.copy_versions(store, olds, place)
    except SohoaError as exc:
        log.warning("record %s: moving to %s failed: %s", rec.id, place.phase, exc.reason)
        return None
    if doc.get("previous_version_key"):
        doc["previous_version_key"] = rephase.rekey(
            doc["previous_version_key"], place.old_phase, place.phase
        )
    return rephase.rekey(key, place.old_phase, place.phase)


def _rewrite_manifests(
    sessions: sessionmaker[Session], store: ObjectStore, keys: list[str]
) -> None:
    """The manifests of the books a moved record left and joined."""
    prefixes = {p for k in keys if (p := book_prefix_of(k))}
    try:
        write_manifests(sessions, store, prefixes=prefixes)
    except SohoaError as exc:  # `sohoa verify` rewrites them too
        log.warning("manifests after a phase move: %s", exc.reason)


def _load_for_approval(
    sessions: sessionmaker[Session], record_id: int, user_id: int
) -> ApproveOutcome | tuple[RecordRow, list[FieldRow], str]:
    """The record, its fields and the clerk's name; an outcome when it cannot be approved."""
    with sessions() as s:
        rec = s.get(RecordRow, record_id)
        if rec is None:
            return ApproveOutcome(False, message="Không có hồ sơ này", reason="missing")
        if not is_reviewable(rec.status):  # approved meanwhile by someone else
            s.execute(
                delete(RecordLock).where(
                    RecordLock.record_id == record_id, RecordLock.user_id == user_id
                )
            )
            s.commit()
            return ApproveOutcome(False, message=read_only_message(rec.status), reason="read_only")
        fields = list(s.scalars(select(FieldRow).where(FieldRow.record_id == record_id)))
        username = s.scalar(select(User.username).where(User.id == user_id)) or ""
        s.expunge_all()
    return rec, fields, username


def _fallback_key(rec: RecordRow) -> str:
    return f"{rec.phase}/records/r{rec.id:08d}.v{rec.version}.json"


def _read_document(store: ObjectStore, key: str | None, rec: RecordRow) -> dict[str, Any]:
    if key:
        try:
            return json.loads(store.get_bytes(key))
        except MissingObjectError:
            log.warning("record %s: stored version missing; rebuilding from the database", rec.id)
    return {
        "schema": rec.schema_name,
        "schema_version": rec.schema_version,
        "phase": rec.phase,
        "formation_year": rec.formation_year,
        "fields": {},
    }


def _update_document(
    doc: dict[str, Any],
    fields: list[FieldRow],
    values: dict[str, str | None],
    changed: list[str],
    username: str,
    now: datetime,
    version: int,
    old_key: str | None,
) -> None:
    out = doc.setdefault("fields", {})
    for f in fields:
        entry = out.setdefault(
            f.name, {"raw": f.raw, "confidence": f.confidence, "bbox": f.bbox, "provenance": []}
        )
        entry["value"] = values[f.name]
        entry["needs_review"] = False
        if f.name in changed:
            entry["reviewed"] = {"old_value": f.value, "by": username, "at": now.isoformat()}
    doc["version"] = version + 1
    doc["status"] = RecordStatus.approved.value
    doc["approved"] = {"by": username, "at": now.isoformat(), "changed_fields": changed}
    doc["previous_version_key"] = old_key
    doc["written_at"] = now.isoformat()


def _commit(
    sessions: sessionmaker[Session],
    rec: RecordRow,
    fields: list[FieldRow],
    values: dict[str, str | None],
    decided: tuple[list[str], list[str]],
    user_id: int,
    now: datetime,
    stored: StoredObject,
    place: rephase.Placement | None = None,
) -> bool:
    changed, _confirmed = decided
    placed = {} if place is None else {"phase": place.phase, "formation_year": place.year}
    if place is not None:
        placed["phase_source"] = "record"
    with sessions.begin() as s:
        done = s.execute(
            update(RecordRow)
            .where(
                RecordRow.id == rec.id,
                RecordRow.version == rec.version,
                RecordRow.status == RecordStatus.needs_review.value,  # not held or keyed meanwhile
            )
            .values(
                status=RecordStatus.approved.value,
                version=rec.version + 1,
                object_key=stored.key,
                object_sha256=stored.sha256,
                stored_at=now,
                approved_by=user_id,
                approved_at=now,
                **placed,
            )
        )
        if getattr(done, "rowcount", 0) != 1:
            return False
        for f in fields:
            note = "cán bộ sửa khi duyệt" if f.name in changed else "cán bộ xác nhận khi duyệt"
            prov = list(f.provenance or [])
            if f.needs_review or f.name in changed:
                prov.append(note)
            s.execute(
                update(FieldRow)
                .where(FieldRow.id == f.id)
                .values(value=values[f.name], needs_review=False, provenance=prov)
            )
        for row in _audit_rows(fields, values, decided, place):
            s.add(ReviewEvent(record_id=rec.id, user_id=user_id, at=now, **row))
        s.add(ReviewEvent(record_id=rec.id, user_id=user_id, action="approve", at=now))
        s.execute(delete(RecordLock).where(RecordLock.record_id == rec.id))
    return True


def _audit_rows(
    fields: list[FieldRow],
    values: dict[str, str | None],
    decided: tuple[list[str], list[str]],
    place: rephase.Placement | None,
) -> list[dict[str, Any]]:
    """One audit row per edit and per confirmation, then the phase move and each key moved.

    An edit keeps the old value; Alt+A ("right as on the page") is audited as a confirm.
    """
    old = {f.name: f.value for f in fields}
    changed, confirmed = decided
    rows = [
        {"action": action, "field_name": n, "old_value": old[n], "new_value": values[n]}
        for action, names in (("edit", changed), ("confirm", confirmed))
        for n in names
    ]
    moves = rephase.audit_values(place) if place is not None else []
    rows += [
        {
            "action": m["action"],
            "field_name": m["field_name"],
            "old_value": m["old"],
            "new_value": m["new"],
        }
        for m in moves
    ]
    return rows
