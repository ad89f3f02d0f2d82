"""The batch flow: sequences the stages of pipeline.batch as Prefect tasks.

Tasks pass page ids and file paths, never images or clients; the work lives
in pipeline/ and ocr/. Only retryable errors (storage, network) are retried.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from flows.wiring import context, settings
from pipeline import batch as stages
from pipeline.errors import SohoaError
from pipeline.manifest import write_batch_manifests


def _retry_if_retryable(_task: Any, _run: Any, state: Any) -> bool:
    try:
        state.result()
    except SohoaError as exc:
        return exc.retryable
    except Exception:  # noqa: BLE001 - unknown errors are not retried
        return False
    return False


def _guard(page_id: int, fn: Any, *args: Any) -> Any:
    """Run a stage; a non-retryable error fails this page only, the batch goes on."""
    try:
        return fn(*args)
    except SohoaError as exc:
        if exc.retryable:
            raise
        stages.mark_failed(context().sessions, page_id, exc)
        return None


RETRY = {
    "retries": 4,
    "retry_delay_seconds": [2, 5, 15, 30],
    "retry_condition_fn": _retry_if_retryable,
}


@task(name="register-pages")
def register_task(batch_id: int) -> list[int]:
    """Register the folder's files as pages; return the ids still to process."""
    stages.register_pages(context().sessions, context().plan, batch_id)
    return stages.pending_pages(context().sessions, batch_id)


@task(name="store-master", **RETRY)
def store_master_task(page_id: int) -> int | None:
    """Store the untouched original."""
    key = _guard(page_id, stages.store_master, context(), page_id)
    return page_id if key else None


@task(name="ocr-page", **RETRY)
def ocr_task(page_id: int | None) -> str | None:
    """Clean, OCR and extract one page; return the result file."""
    if page_id is None:
        return None
    path = _guard(page_id, stages.process_page, context(), page_id)
    return str(path) if path else None


@task(name="store-outputs", **RETRY)
def store_outputs_task(page_id: int, result_path: str | None) -> list[int]:
    """Store records, OCR text and hOCR; write database rows."""
    if result_path is None:
        return []
    return _guard(page_id, stages.store_outputs, context(), page_id, Path(result_path)) or []


@task(name="write-manifests", **RETRY)
def manifests_task(batch_id: int) -> list[str]:
    """Rewrite the per-book manifests (every object with SHA-256 and size)."""
    return write_batch_manifests(context().sessions, context().store, batch_id)


@flow(name="sohoa-process-batch", log_prints=False)
def process_batch(batch_id: int) -> dict[str, int]:
    """Register, store, OCR, extract and store the outputs of every page of a batch."""
    page_ids = register_task(batch_id)
    outputs = []
    for pid in page_ids:
        stored = store_master_task.submit(pid)
        result = ocr_task.submit(stored)
        outputs.append(store_outputs_task.submit(pid, result))
    records = [rid for f in outputs for rid in f.result()]
    manifests_task(batch_id)
    return {"pages": len(page_ids), "records": len(records)}


def run_batch(batch_id: int) -> dict[str, int]:
    """Run the flow with a thread pool sized to the machine (one Tesseract per core)."""
    runner = ThreadPoolTaskRunner(max_workers=settings().workers)
    return process_batch.with_options(task_runner=runner)(batch_id)
