"""The database against the object store: missing, orphaned and mismatched objects.

The database is the record of what sohoa says it stored; :func:`expected_objects`
lists every key it refers to (masters, OCR text, hOCR, ALTO, cleaned images,
previews, every version of each record JSON, per-book manifests). :func:`verify_store`
compares that list with what the bucket holds:

* **missing**: the database names a key the store does not have;
* **mismatch**: the object's SHA-256 (metadata) or size differs from the database,
  or (``deep``) its content no longer hashes to its metadata;
* **orphan**: a key under a phase prefix that no database row refers to.

Repair (``repair=True``) never deletes anything: a missing or damaged master is
uploaded again from the batch folder when the file there still has the registered
SHA-256; a page whose derived outputs are missing is queued again (status
``stored``) so the next ``sohoa ingest`` of its folder rebuilds them, unless a
clerk has already approved one of its records. Orphans are only reported.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.storage import MissingObjectError
from pipeline.db.models import Batch, Page, RecordRow
from pipeline.errors import IntegrityError, SohoaError
from pipeline.imaging.io import CONTENT_TYPES, sniff_kind
from pipeline.keys import sha256_hex
from pipeline.phases import OUTSIDE_PREFIX
from pipeline.ports import ObjectStore

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"
_VERSION = re.compile(r"\.v(\d+)\.json$")

#: Where a book's export packages go, under the book's prefix, and each package's manifest.
EXPORT_DIR = "export"
EXPORT_MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Expected:
    """An object the database refers to.

    Attributes:
        key: object key.
        role: ``master``, ``derived``, ``record`` or ``manifest``.
        sha256: checksum the database holds, when it holds one.
        size: size the database holds, when it holds one.
        page_id: the page the object belongs to (None for manifests).
    """

    key: str
    role: str
    sha256: str | None = None
    size: int | None = None
    page_id: int | None = None
    #: metadata the object must carry (its page's identity), when the database knows it
    owner: tuple[tuple[str, str], ...] = ()


@dataclass
class Finding:
    """One disagreement between the database and the store."""

    kind: str  # missing | mismatch | orphan
    key: str
    role: str
    detail: str = ""
    page_id: int | None = None
    repaired: str = ""  # "" | "reuploaded" | "requeued"


@dataclass
class VerifyReport:
    """What :func:`verify_store` found."""

    checked: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def unresolved(self) -> list[Finding]:
        """Findings that still stand (a page queued again is fixed only by the next run)."""
        return [f for f in self.findings if f.repaired != "reuploaded"]

    @property
    def ok(self) -> bool:
        """True when the database and the store agree (after any repair)."""
        return not self.unresolved

    def count(self, kind: str) -> int:
        """Number of findings of one kind."""
        return sum(1 for f in self.findings if f.kind == kind)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {
            "ok": self.ok,
            "checked": self.checked,
            "missing": self.count("missing"),
            "mismatch": self.count("mismatch"),
            "orphan": self.count("orphan"),
            "repaired": sum(1 for f in self.findings if f.repaired),
            "findings": [asdict(f) for f in self.findings],
        }


def record_version_keys(key: str, version: int) -> list[str]:
    """Every version key of a record up to ``version`` (``….v1.json`` … ``….vN.json``)."""
    m = _VERSION.search(key)
    if m is None:
        return [key]
    base = key[: m.start()]
    return [f"{base}.v{v}.json" for v in range(1, max(version, int(m[1])) + 1)]


def book_prefix_of(key: str) -> str | None:
    """``phase-N/agency/book-type/book`` of a key inside a book, else None."""
    parts = key.split("/")
    return "/".join(parts[:4]) if len(parts) > 4 else None


def expected_objects(sessions: sessionmaker[Session]) -> dict[str, Expected]:
    """Every key the database refers to, with the checksum it holds when it has one."""
    out: dict[str, Expected] = {}
    with sessions() as s:
        for page in s.scalars(select(Page).order_by(Page.id)):
            for exp in _page_objects(page):
                out.setdefault(exp.key, exp)
        for rec in s.scalars(select(RecordRow).where(RecordRow.object_key.is_not(None))):
            key = rec.object_key or ""
            page = s.get_one(Page, rec.page_id)
            owner = (("page-sha256", page.source_sha256), ("page-index", str(page.page_index)))
            for k in record_version_keys(key, rec.version):
                sha = rec.object_sha256 if k == key else None
                out.setdefault(k, Expected(k, "record", sha, None, rec.page_id, owner))
    for prefix in sorted({p for k in out if (p := book_prefix_of(k))}):
        key = f"{prefix}/{MANIFEST_NAME}"
        out[key] = Expected(key, "manifest")
    return out


def shared_objects(sessions: sessionmaker[Session]) -> list[Finding]:
    """Derived objects or records that two pages' rows both name (one overwrote the other).

    Masters are content-addressed and may be shared (the same scan in two batches); nothing
    else may: each page's OCR, images and records are its own.
    """
    owners: dict[str, set[int]] = {}
    roles: dict[str, str] = {}
    with sessions() as s:
        for page in s.scalars(select(Page).order_by(Page.id)):
            for exp in _page_objects(page):
                if exp.role != "master" and exp.page_id is not None and exp.key:
                    owners.setdefault(exp.key, set()).add(exp.page_id)
                    roles[exp.key] = exp.role
        rows = s.execute(
            select(RecordRow.object_key, RecordRow.page_id).where(RecordRow.object_key.is_not(None))
        )
        for key, page_id in rows:
            if not key:
                continue
            owners.setdefault(key, set()).add(page_id)
            roles.setdefault(key, "record")
    return [
        Finding(
            "mismatch",
            key,
            roles[key],
            "nhiều trang cùng trỏ tới đối tượng này (trang "
            + ", ".join(str(i) for i in sorted(pages))
            + "): một trang đã ghi đè trang kia",
            page_id,  # each is queued again by --repair and rebuilds under its own number
        )
        for key, pages in sorted(owners.items())
        if len(pages) > 1
        for page_id in sorted(pages)
    ]


def _page_objects(page: Page) -> Iterator[Expected]:
    if page.master_key:
        yield Expected(page.master_key, "master", page.source_sha256, page.size, page.id)
    written = page.outputs or {}
    owner = (("page-sha256", page.source_sha256), ("page-index", str(page.page_index)))
    keys = (page.ocr_text_key, page.hocr_key, page.alto_key, page.clean_key, page.preview_key)
    for key in keys:
        if key:
            yield Expected(key, "derived", written.get(key), None, page.id, owner)


def verify_store(
    sessions: sessionmaker[Session],
    store: ObjectStore,
    *,
    deep: bool = False,
    repair: bool = False,
) -> VerifyReport:
    """Compare the database with the store; optionally repair what can be repaired.

    Args:
        sessions: database sessions.
        store: the object store.
        deep: also read every object back and hash its content.
        repair: re-upload masters from batch folders, queue pages with lost outputs.

    Returns:
        The report; ``report.ok`` is False when disagreements remain.
    """
    expected = expected_objects(sessions)
    report = VerifyReport(checked=len(expected))
    for exp in expected.values():
        finding = _check_one(store, exp, deep=deep)
        if finding is not None:
            report.findings.append(finding)
    report.findings.extend(shared_objects(sessions))
    keys = _stored_keys(store, expected)
    report.findings.extend(_orphans(keys, expected))
    exports = _exports(store, keys, deep=deep)
    report.checked += exports[0]
    report.findings.extend(exports[1])
    if repair:
        _repair(sessions, store, report.findings)
    log.info("verify: %s objects, %s findings", report.checked, len(report.findings))
    return report


def _check_one(store: ObjectStore, exp: Expected, *, deep: bool) -> Finding | None:
    stat = store.stat(exp.key)
    if stat is None:
        if exp.role == "manifest":
            return None  # written after the batch; a missing manifest is rewritten by verify
        return Finding("missing", exp.key, exp.role, "không có trong kho", exp.page_id)
    problems = []
    if not stat.sha256:
        problems.append("thiếu mã SHA-256 trong siêu dữ liệu")
    if exp.sha256 and stat.sha256 and exp.sha256 != stat.sha256:
        problems.append(f"SHA-256 {stat.sha256[:12]}… khác CSDL {exp.sha256[:12]}…")
    if exp.size is not None and exp.role == "master" and stat.size != exp.size:
        problems.append(f"kích thước {stat.size} khác CSDL {exp.size}")
    problems += _owner_problems(stat.metadata, exp.owner)
    if deep and not problems:
        try:
            store.get_bytes(exp.key)
        except IntegrityError:
            problems.append("nội dung không khớp mã SHA-256 đã lưu")
        except MissingObjectError:
            return Finding("missing", exp.key, exp.role, "không có trong kho", exp.page_id)
    if problems:
        return Finding("mismatch", exp.key, exp.role, "; ".join(problems), exp.page_id)
    return None


def _owner_problems(metadata: Mapping[str, str], owner: tuple[tuple[str, str], ...]) -> list[str]:
    """An object that names another page than the one the database says is not this page's.

    Objects written before pages were named in metadata carry none and are not judged.
    """
    if not any(name in metadata for name, _ in owner):
        return []
    wrong = [name for name, want in owner if metadata.get(name) != want]
    if not wrong:
        return []
    return ["đối tượng thuộc trang khác (siêu dữ liệu " + ", ".join(wrong) + " không khớp CSDL)"]


def _stored_keys(store: ObjectStore, expected: dict[str, Expected]) -> list[str]:
    """Every key under the phase roots (and the roots the database names)."""
    keys: list[str] = []
    phase_roots = {k.split("/", 1)[0] for k in expected}
    phase_roots |= {r for r in _top_prefixes(store) if _is_phase_root(r)}
    for root in sorted(phase_roots):
        keys += store.list_keys(f"{root}/")
    return keys


def _exports(store: ObjectStore, keys: list[str], *, deep: bool) -> tuple[int, list[Finding]]:
    """Each export package against its manifest: (objects checked, findings)."""
    checked, findings = 0, []
    for key in keys:
        if not (key.endswith(f"/{EXPORT_MANIFEST}") and f"/{EXPORT_DIR}/" in key):
            continue
        try:
            listed = json.loads(store.get_bytes(key)).get("objects", [])
        except (ValueError, MissingObjectError):
            findings.append(Finding("mismatch", key, "export", "bảng kê gói xuất không đọc được"))
            continue
        for obj in listed:
            checked += 1
            stat = store.stat(obj["key"])
            if stat is None:
                findings.append(Finding("missing", obj["key"], "export", "tệp của gói xuất mất"))
                continue
            sha = sha256_hex(store.get_bytes(obj["key"])) if deep else stat.sha256
            if sha != obj["sha256"]:
                findings.append(
                    Finding("mismatch", obj["key"], "export", "SHA-256 khác bảng kê gói xuất")
                )
    return checked, findings


def _orphans(keys: list[str], expected: dict[str, Expected]) -> list[Finding]:
    current = {_VERSIONED.sub("", k) for k in expected if _VERSIONED.search(k)}
    return [
        Finding("orphan", k, "unknown", "không dòng CSDL nào trỏ tới")
        for k in keys
        if k not in expected and not _accounted_for(k, current)
    ]


#: ``….v3.json``: a record JSON version (approval writes a new one and keeps the old).
_VERSIONED = re.compile(r"\.v\d+\.json$")


def _accounted_for(key: str, current_records: set[str]) -> bool:
    """Keys no row names but that belong: manifests, older record versions, book PDFs."""
    if key.endswith(f"/{MANIFEST_NAME}") or "/pdf/" in key:
        return True  # rebuilt from the other objects (sohoa verify, sohoa pdf)
    if f"/{EXPORT_DIR}/" in key:
        return True  # export packages: checked against their own manifests
    return bool(_VERSIONED.search(key)) and _VERSIONED.sub("", key) in current_records


def _top_prefixes(store: ObjectStore) -> set[str]:
    return {k.split("/", 1)[0] for k in store.list_keys("")}


def _is_phase_root(root: str) -> bool:
    return root.startswith("phase-") or root == OUTSIDE_PREFIX


def _repair(sessions: sessionmaker[Session], store: ObjectStore, findings: list[Finding]) -> None:
    requeue: set[int] = set()
    for f in findings:
        if f.kind == "orphan" or f.page_id is None:
            continue
        if f.role == "master":
            if _reupload_master(sessions, store, f):
                f.repaired = "reuploaded"
        elif f.kind == "missing" or f.role in {"derived", "record"}:
            requeue.add(f.page_id)
    for page_id in sorted(requeue):
        if _requeue(sessions, page_id):
            for f in findings:
                if f.page_id == page_id and not f.repaired and f.role != "master":
                    f.repaired = "requeued"


def _reupload_master(sessions: sessionmaker[Session], store: ObjectStore, f: Finding) -> bool:
    with sessions() as s:
        page = s.get_one(Page, f.page_id)
        batch = s.get_one(Batch, page.batch_id)
        path, sha = Path(batch.source) / page.source_name, page.source_sha256
    try:
        data = path.read_bytes()
    except OSError:
        f.detail += "; tệp gốc trong thư mục lô không còn"
        return False
    if sha256_hex(data) != sha:
        f.detail += "; tệp gốc trong thư mục lô đã đổi nội dung"
        return False
    kind = sniff_kind(data[:16]) or ""
    try:
        store.put_bytes(
            f.key,
            data,
            content_type=CONTENT_TYPES.get(kind, "application/octet-stream"),
            metadata={"source-name": path.name, "repaired": "verify"},
        )
    except SohoaError as exc:
        f.detail += f"; tải lại thất bại: {exc.message_vi}"
        return False
    log.info("verify: master of page %s uploaded again", f.page_id)
    return True


def _requeue(sessions: sessionmaker[Session], page_id: int) -> bool:
    """Mark a page to be processed again, unless a clerk approved one of its records."""
    with sessions.begin() as s:
        page = s.get_one(Page, page_id)
        if any(r.version > 1 or r.approved_at is not None for r in page.records):
            return False
        if page.master_key is None or page.status == "failed":
            return False
        page.status = "stored"
    log.info("verify: page %s queued again to rebuild its outputs", page_id)
    return True
