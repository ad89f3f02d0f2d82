"""What the hot folder asks the database before and after it takes a file.

``known_content``: were these bytes taken before? ``stored_and_verified``: is each file of a
batch stored, verified and processed, so that it may leave the hot folder?
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Batch, Page
from pipeline.ports import ObjectStore


def known_content(sessions: sessionmaker[Session], sha256: str) -> str | None:
    """Where these bytes were taken before (another batch), or None."""
    with sessions() as s:
        row = s.execute(
            select(Page.source_name, Batch.id, Batch.book)
            .join(Batch, Batch.id == Page.batch_id)
            .where(Page.source_sha256 == sha256, Page.status != "failed")
            .limit(1)
        ).first()
    return f"tệp {row[0]} của lô {row[1]} (quyển {row[2]})" if row else None


def stored_and_verified(
    sessions: sessionmaker[Session], store: ObjectStore, batch_id: int
) -> dict[str, str | None]:
    """For each source file of a batch: None when stored, verified and processed, else why.

    Verified: every page of the file has its master in object storage, and the checksum
    the store holds matches the file's SHA-256. A page that failed processing sends its
    file to ``failed/`` with the reason too (its master stays stored), so the operator
    sees it at the station.
    """
    out: dict[str, str | None] = {}
    with sessions() as s:
        pages = s.scalars(select(Page).where(Page.batch_id == batch_id)).all()
        rows = [(p.source_sha256, p.master_key, p.status, p.error_message) for p in pages]
    for sha, key, status, error in rows:
        if out.get(sha, None) is not None:
            continue
        if key is None:
            out[sha] = error or "Chưa lưu được bản gốc vào kho lưu trữ"
            continue
        if status == "failed":
            out[sha] = error or "Trang không xử lý được"
            continue
        stat = store.stat(key)
        ok = stat is not None and stat.sha256 == sha
        out[sha] = None if ok else "Bản gốc trong kho lưu trữ bị thiếu hoặc sai lệch"
    return out
