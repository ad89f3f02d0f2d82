"""``sohoa scan --watch FOLDER``: the hot folder wired to the database, S3 and the flow."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from rich.console import Console
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.archive.storage import ObjectStore
from pipeline.db.models import Batch, Page
from pipeline.errors import SohoaError
from pipeline.intake.capture import DroppedFile
from scanners.hotfolder import HotFolder, take
from schemas.models import BookMeta

log = logging.getLogger(__name__)
console = Console()


def known_content(sha256: str) -> str | None:
    """Where these bytes were taken before (another batch), or None."""
    from flows.wiring import sessions

    with sessions()() as s:
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


def ingest_folder(folder: Path, meta: BookMeta) -> dict[str, str | None]:
    """Process a hot-folder batch like ``sohoa ingest``; report what is stored."""
    from flows.capture_cli import _print_issues
    from flows.cli import _ingest
    from flows.wiring import context, sessions
    from pipeline.intake.bookcheck import check_book
    from pipeline.work.batch import open_batch

    _ingest(folder, meta)
    batch_id = open_batch(sessions(), meta, folder)
    _print_issues(check_book(sessions(), batch_id, folder))
    ctx = context()
    return stored_and_verified(ctx.sessions, ctx.store, batch_id)


def watch_folder(
    root: Path, meta: BookMeta | None, *, poll: bool, settle: float, once: bool
) -> None:
    """Watch ``root`` until Ctrl+C (or, with ``once``, until nothing is left to take)."""
    from flows.wiring import context, settings

    if not root.is_dir():
        raise SohoaError(f"Không tìm thấy thư mục {root}", reason="no_folder")
    context()  # database, object store up before anything is moved
    hot = HotFolder(root, settle=settle, default_meta=meta)
    batches = settings().home_abs / "capture"
    stop = threading.Event()
    told: set[Path] = set()

    def handle(found: list[DroppedFile]) -> None:
        try:
            report = take(hot, found, batches=batches, ingest=ingest_folder, known=known_content)
        except SohoaError as exc:  # storage down: originals stay, retried next pass
            console.print(f"[red]{exc.message_vi}[/] — tệp gốc giữ nguyên, sẽ thử lại.")
            if once:
                stop.set()
            else:
                stop.wait(30)
            return
        console.print(
            f"Đã nhận {report.done} tệp (chuyển vào done/), lỗi {report.failed} (failed/)"
            + (f", {report.separators} tờ phân cách" if report.separators else "")
        )
        for entry in hot.skipped:
            if entry.path not in told:  # each left-out file is named once, not every pass
                told.add(entry.path)
                console.print(f"[yellow]Bỏ qua {entry.path}: {entry.message_vi}[/]")

    mode = "dò định kỳ" if poll else "theo dõi sự kiện + dò định kỳ"
    console.print(f"Theo dõi {root} ({mode}); Ctrl+C để dừng.")
    try:
        hot.run(handle, poll=poll, interval=2.0 if poll else 10.0, stop=stop, once=once)
    except KeyboardInterrupt:
        console.print("Đã dừng theo dõi.")
