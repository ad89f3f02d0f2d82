"""The manager's export button: a book's package built in the background, with its progress.

``POST /books/export`` starts ``sohoa export``'s work for one book (the hotich package, or the
archive package with a fonds code) in a thread; ``GET /exports/{job}`` shows a progress bar
(the page refreshes itself every two seconds: no script needed) and, when done, links to the
files, served from the object store where the export stored them. Jobs live in the app's
memory: a restart forgets them (the packages stay in the store, under the book).
"""

from __future__ import annotations

import logging
import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.errors import SohoaError
from pipeline.review.accounts import SignedIn
from review_ui.render import render
from review_ui.security import WebConfig, require, web

log = logging.getLogger(__name__)
router = APIRouter()
Manager = Annotated[SignedIn, Depends(require("manager"))]
#: Jobs kept in memory at most (the oldest finished ones are forgotten first).
MAX_JOBS = 50


@dataclass
class ExportJob:
    """One export running or done."""

    id: str
    book: str
    fmt: str
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str = ""
    files: dict[str, str] = field(default_factory=dict)  # file name → object key

    @property
    def percent(self) -> int:
        """Progress in per cent (PDFs made)."""
        return round(100 * self.done / self.total) if self.total else 0


def _jobs(request: Request) -> dict[str, ExportJob]:
    state = request.app.state
    if not hasattr(state, "exports"):
        state.exports = {}
    jobs: dict[str, ExportJob] = state.exports
    return jobs


def _run(cfg: WebConfig, job: ExportJob, fonds: str) -> None:
    def progress(i: int, n: int) -> None:
        job.done, job.total = i, n

    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-export-") as out:
            keys = _export(cfg, job, fonds, Path(out), progress)
        job.files = {k.rsplit("/", 1)[-1]: k for k in keys}
    except SohoaError as exc:
        job.error = exc.message_vi
    except Exception:  # noqa: BLE001 - shown to the manager; details in the log
        log.exception("export of a book failed")
        job.error = "Lỗi không mong đợi khi xuất gói (xem nhật ký máy chủ)"
    finally:
        job.finished = True


def _export(
    cfg: WebConfig, job: ExportJob, fonds: str, out: Path, progress: Callable[[int, int], None]
) -> list[str]:
    if job.fmt == "archive":
        from pipeline.archive.export_archive import export_archive, file_meta_for

        meta = file_meta_for(cfg.sessions, job.book, fonds=fonds)
        args = (cfg.sessions, cfg.store, cfg.plan, job.book, out, meta)
        return export_archive(*args, progress=progress).keys
    from pipeline.archive.export import export_hotich

    args2 = (cfg.sessions, cfg.store, cfg.plan, job.book, out)
    return export_hotich(*args2, progress=progress).keys


@router.post("/books/export")
def start_export(
    request: Request,
    user: Manager,
    book: Annotated[str, Form(max_length=512)],
    fmt: Annotated[str, Form(max_length=16)] = "hotich",
    fonds: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Start building a book's package; go to its progress page."""
    if fmt not in ("hotich", "archive"):
        msg = "Chọn gói hộ tịch hoặc gói nộp lưu trữ."
        return render(request, "error.html", 400, user=user, message=msg)
    jobs = _jobs(request)
    for old in [j for j in jobs.values() if j.finished][: max(0, len(jobs) - MAX_JOBS + 1)]:
        jobs.pop(old.id, None)
    job = ExportJob(secrets.token_urlsafe(12), book, fmt)
    jobs[job.id] = job
    threading.Thread(target=_run, args=(web(request), job, fonds.strip()), daemon=True).start()
    return RedirectResponse(f"/exports/{job.id}", status_code=303)


@router.get("/exports/{job_id}", response_class=HTMLResponse)
def export_page(request: Request, job_id: str, user: Manager) -> Response:
    """The job's progress bar, then its files."""
    job = _jobs(request).get(job_id)
    if job is None:
        return render(request, "error.html", 404, user=user, message="Không có lượt xuất này.")
    return render(request, "export.html", user=user, job=job)


@router.get("/exports/{job_id}/files/{name}")
def export_file(request: Request, job_id: str, name: str, user: Manager) -> Response:
    """A file of a finished job, read from the object store (only keys the job wrote)."""
    job = _jobs(request).get(job_id)
    key = job.files.get(name) if job else None
    if key is None:
        return Response("Không có tệp này", status_code=404, media_type="text/plain")
    data = web(request).store.get_bytes(key)
    kind = "application/zip" if name.endswith(".zip") else "application/octet-stream"
    if name.endswith(".xlsx"):
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    from review_ui.routes_manage import attachment

    return Response(
        data,
        media_type=kind,
        headers={"Content-Disposition": attachment(name), "Cache-Control": "no-store"},
    )
