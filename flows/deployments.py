"""Flows of the Prefect deployments in prefect.yaml: intake, backlog, finalise, snapshot.

Thin: each calls one function of pipeline/ with the wired context (flows/wiring.py).

The backlog flow runs the same claim loop as ``sohoa worker``; a process work pool with
``prefect worker start --pool sohoa-process --limit <cores>`` therefore runs at most one
Tesseract per core on the machine, whichever way the pages arrive.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from prefect import flow

from flows.wiring import context, prepare_environment, settings
from pipeline.work.progress import enqueue_batch, finalise_batches, snapshot_progress
from pipeline.work.workloop import WorkerOptions, run_worker
from schemas.models import BookMeta


def queue_folder(folder: Path, meta: BookMeta) -> dict[str, str | None]:
    """Hot-folder ingest for a station with workers: register, store masters, leave the OCR."""
    from pipeline.work.batch import open_batch
    from pipeline.work.intake_checks import stored_and_verified

    ctx = context()
    batch_id = open_batch(ctx.sessions, meta, folder)
    enqueue_batch(ctx, batch_id)
    return stored_and_verified(ctx.sessions, ctx.store, batch_id)


@flow(name="sohoa-intake-hot-folder")
def intake_hot_folder(root: str, settle: float = 10.0) -> dict[str, int]:
    """Take every settled file of the hot folder into batches whose pages wait for workers."""
    from pipeline.work.intake_checks import known_content
    from scanners.hotfolder import HotFolder, take

    prepare_environment(settings())
    hot = HotFolder(Path(root), settle=settle)
    totals = {"done": 0, "failed": 0}

    def handle(found: list[Any]) -> None:
        report = take(
            hot,
            found,
            batches=settings().home_abs / "capture",
            ingest=queue_folder,
            known=lambda sha: known_content(context().sessions, sha),
        )
        totals["done"] += report.done
        totals["failed"] += report.failed

    hot.run(handle, poll=True, interval=min(2.0, settle), once=True, stop=threading.Event())
    return totals


@flow(name="sohoa-process-backlog")
def process_backlog(
    lease_seconds: float = 120.0, max_pages: int | None = None, batch_id: int | None = None
) -> dict[str, int]:
    """Claim and process pages until the backlog is empty (one Tesseract per flow run)."""
    import cv2

    prepare_environment(settings())
    cv2.setNumThreads(1)  # one core per flow run; the worker's --limit sets how many run
    opts = WorkerOptions(
        lease_seconds=lease_seconds, drain=True, max_pages=max_pages, batch_id=batch_id
    )
    stats = run_worker(context(), opts)
    return {"done": stats.done, "failed": stats.failed, "retried": stats.retried}


@flow(name="sohoa-finalise-reviewed")
def finalise_reviewed() -> list[int]:
    """Close the batches whose pages are processed and whose records are all reviewed."""
    return finalise_batches(context().sessions)


@flow(name="sohoa-progress-snapshot")
def progress_snapshot() -> str:
    """Store today's per-phase progress and per-worker throughput in object storage."""
    ctx = context()
    return snapshot_progress(ctx.sessions, ctx.plan, ctx.store)
