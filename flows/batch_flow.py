"""The batch flow: sequences the stages of pipeline.work.batch as Prefect tasks.

Tasks pass ids, never images or clients; the work lives in pipeline/ and ocr/. Every
page is processed under a claim (pipeline/work/claims.py), whatever started it: the flow runs
the same claim loop as ``sohoa worker``, restricted to its batch. A page that fails fails
alone; only retryable errors (storage, database) are retried, with back-off, and when
they outlast the retries the flow stops with :class:`StorageUnavailable`, pages queued.
"""

from __future__ import annotations

from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from flows.wiring import context, context_for, settings
from pipeline.archive.manifest import write_batch_manifests
from pipeline.work import batch as stages
from pipeline.work import claims
from pipeline.work.joining import join_documents
from pipeline.work.workloop import WorkerOptions, run_worker


@task(name="register-pages")
def register_task(batch_id: int) -> int:
    """Register the folder's files as pages; return how many are still to process."""
    stages.register_pages(context().sessions, context().plan, batch_id)
    return claims.backlog(context().sessions, batch_id)


@task(name="work-pages")
def work_task(batch_id: int, slot: int, force_kind: str | None = None) -> dict[str, int]:
    """One claim loop over the batch's pages, like a station's worker, until none are left.

    Pages are claimed through the same table ``sohoa worker`` uses, so an ingest and any
    number of workers on one backlog process every page exactly once; pages another
    worker holds are waited for (and taken over if its lease runs out). ``force_kind``
    forces one document kind on every page (``sohoa ingest --schema``).
    """
    opts = WorkerOptions(
        batch_id=batch_id,
        # short: a rerun after a crash takes over the crashed run's pages within 30 s
        lease_seconds=30.0,
        drain=True,
        idle_poll=1.0,
        give_up=True,
        retry_delays=settings().retry_delays,
    )
    worker = f"{claims.worker_name()}:ingest{slot}"
    stats = run_worker(context_for(force_kind), opts, worker=worker)
    return {"done": stats.done, "failed": stats.failed, "retried": stats.retried}


@task(name="join-documents", retries=4, retry_delay_seconds=[2, 5, 15, 30])
def join_task(batch_id: int) -> int:
    """Join documents over several pages (a letter's signer page, a register's right page).

    The claim loops already join when a batch's last page is read; this run makes sure
    (it changes nothing when they did).
    """
    return join_documents(context(), batch_id)


@task(name="write-manifests", retries=4, retry_delay_seconds=[2, 5, 15, 30])
def manifests_task(batch_id: int) -> list[str]:
    """Rewrite the per-book manifests (every object with SHA-256 and size)."""
    return write_batch_manifests(context().sessions, context().store, batch_id)


@flow(name="sohoa-process-batch", log_prints=False)
def process_batch(batch_id: int, workers: int = 1, force_kind: str | None = None) -> dict[str, int]:
    """Register, store, OCR, extract and store the outputs of every page of a batch.

    ``force_kind`` forces one document kind on every page instead of detecting it.
    """
    pending = register_task(batch_id)
    slots = range(max(1, min(workers, pending)))
    loops = [work_task.submit(batch_id, i, force_kind) for i in slots]
    done = [f.result() for f in loops]
    join_task(batch_id)
    manifests_task(batch_id)
    return {"pages": pending, **{k: sum(d[k] for d in done) for k in ("done", "failed")}}


def run_batch(batch_id: int, *, schema: str | None = None) -> dict[str, int]:
    """Run the flow with one claim loop per core (one Tesseract each)."""
    workers = settings().workers
    runner = ThreadPoolTaskRunner(max_workers=workers)
    return process_batch.with_options(task_runner=runner)(batch_id, workers, schema)
