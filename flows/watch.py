"""``sohoa scan --watch FOLDER``: the hot folder wired to the database, S3 and the flow."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flows.cli_common import console, ingest_and_check
from pipeline.errors import SohoaError

if TYPE_CHECKING:
    from pipeline.ports import DroppedFile
    from schemas.models import BookMeta

log = logging.getLogger(__name__)


def known_content(sha256: str) -> str | None:
    """Where these bytes were taken before (another batch), or None."""
    from flows.wiring import sessions
    from pipeline.work.intake_checks import known_content as known_in

    return known_in(sessions(), sha256)


def ingest_folder(folder: Path, meta: BookMeta) -> dict[str, str | None]:
    """Process a hot-folder batch like ``sohoa ingest``; report what is stored."""
    from flows.wiring import context
    from pipeline.work.intake_checks import stored_and_verified

    batch_id, _ = ingest_and_check(folder, meta)
    ctx = context()
    return stored_and_verified(ctx.sessions, ctx.store, batch_id)


def watch_folder(
    root: Path, meta: BookMeta | None, *, poll: bool, settle: float, once: bool
) -> None:
    """Watch ``root`` until Ctrl+C (or, with ``once``, until nothing is left to take)."""
    from flows.wiring import context, settings
    from scanners.hotfolder import HotFolder, take

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
