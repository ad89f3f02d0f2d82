"""Work for the scheduled deployments: intake of registered folders, finalisation, snapshots.

Plain functions over the database and the object store; flows/deployments.py schedules them.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import Batch, Page, PageRun, RecordRow
from pipeline.errors import SohoaError
from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore
from pipeline.review.report import phase_status
from pipeline.work import batch as stages
from pipeline.work.batch import Context

log = logging.getLogger(__name__)

SNAPSHOT_PREFIX = "reports/progress"


def enqueue_batch(ctx: Context, batch_id: int) -> dict[str, int]:
    """Register the batch's files and store their masters; workers do the rest.

    Storing the masters here (not in the workers) lets a hot folder move a file away only
    once its original is safe in object storage. Idempotent.
    """
    reg = stages.register_pages(ctx.sessions, ctx.plan, batch_id)
    stored = 0
    for page_id in stages.pending_pages(ctx.sessions, batch_id):
        try:
            stages.store_master(ctx, page_id)
            stored += 1
        except SohoaError as exc:
            if exc.retryable:
                raise
            stages.mark_failed(ctx.sessions, page_id, exc)
    return {"new": reg.new_pages, "known": reg.known_pages, "stored": stored}


def finalise_batches(sessions: sessionmaker[Session]) -> list[int]:
    """Close open batches whose pages are all done and whose records are all reviewed.

    A closed batch (``status = "finalised"``) drops out of the work lists; its records were
    written as ``….v2.json`` by the approvals themselves.
    """
    unfinished = exists().where(
        Page.batch_id == Batch.id, Page.status.not_in(["processed", "failed"])
    )
    unreviewed = exists().where(
        Page.batch_id == Batch.id,
        RecordRow.page_id == Page.id,
        RecordRow.status == "needs_review",
    )
    has_pages = exists().where(Page.batch_id == Batch.id)
    with sessions.begin() as s:
        batches = s.scalars(
            select(Batch).where(Batch.status == "open", has_pages, ~unfinished, ~unreviewed)
        ).all()
        for b in batches:
            b.status = "finalised"
        ids = [b.id for b in batches]
    if ids:
        log.info("finalised batches %s", ids)
    return ids


def throughput(sessions: sessionmaker[Session]) -> dict[str, Any]:
    """Pages done per worker and the mean seconds per page, from the claim log."""
    with sessions() as s:
        rows = s.execute(
            select(PageRun.worker, func.count(), func.avg(PageRun.seconds))
            .where(PageRun.outcome == "done")
            .group_by(PageRun.worker)
        ).all()
        stuck = s.scalar(select(func.count()).select_from(PageRun).where(PageRun.outcome.is_(None)))
    return {
        "workers": {w: {"pages": n, "mean_s": round(float(m or 0), 2)} for w, n, m in rows},
        "open_or_dead_claims": int(stuck or 0),
    }


def snapshot_progress(
    sessions: sessionmaker[Session], plan: PhasePlan, store: ObjectStore, day: date | None = None
) -> str:
    """Store the per-phase progress of ``day`` as JSON in object storage; return its key."""
    day = day or datetime.now(UTC).date()
    doc = {
        "day": day.isoformat(),
        "taken_at": datetime.now(UTC).isoformat(),
        **phase_status(sessions, plan),
        "throughput": throughput(sessions),
    }
    key = f"{SNAPSHOT_PREFIX}/{day.isoformat()}.json"
    data = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    store.put_bytes(key, data, content_type="application/json")
    return key
