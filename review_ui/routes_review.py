"""The clerk's screens: the queue, the record view, approval and the page preview."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.archive.storage import MissingObjectError
from pipeline.extract.fields import check_field
from pipeline.review import double
from pipeline.review.accounts import SignedIn
from pipeline.review.approve import approve_record, is_reviewable, lock_for_review, record_status
from pipeline.review.complete import complete
from pipeline.review.grid import page_entries
from pipeline.review.hold import hold_record
from pipeline.review.keying import FORMATION_DATES, is_date_field, keyed_date
from pipeline.review.queue import (
    QueueFilter,
    acquire_lock,
    display_value,
    load_record,
    next_record,
    preview_key,
    queue_choices,
    queue_page,
    release_lock,
)
from pipeline.review.reopen import approved_by, reopen
from pipeline.review.suggest import ethnic_names, explained
from pipeline.work.joining import CannotRegroup, merge_into_previous, split_at
from review_ui.render import render
from review_ui.security import DbId, require, web
from schemas.dossiers import LABELS
from schemas.enums import RecordStatus

router = APIRouter()
Clerk = Annotated[SignedIn, Depends(require("clerk"))]


def _filter(
    phase: str = "",
    agency: str = "",
    book: str = "",
    q: Annotated[str, Query(max_length=100)] = "",
) -> QueueFilter:
    return QueueFilter(phase=phase.strip(), agency=agency.strip(), book=book.strip(), q=q.strip())


Filter = Annotated[QueueFilter, Depends(_filter)]
#: HTTP status of a refused approval, by reason (the rest: 422, fields to fix)
APPROVE_REFUSED = {"read_only": 409, "locked": 409, "conflict": 409, "missing": 404}


def _query(flt: QueueFilter) -> str:
    pairs = (("phase", flt.phase), ("agency", flt.agency), ("book", flt.book), ("q", flt.q))
    params = dict(pairs)
    return urlencode({k: v for k, v in params.items() if v})


@router.get("/review", response_class=HTMLResponse)
def queue(
    request: Request, user: Clerk, flt: Filter, p: Annotated[int, Query(ge=0, le=100000)] = 0
) -> Response:
    """Records waiting for review, oldest first; filters by phase, agency and book."""
    cfg = web(request)
    items, total = queue_page(cfg.sessions, flt, page=p)
    agencies, books = queue_choices(cfg.sessions)
    context = {
        "items": items,
        "total": total,
        "page": p,
        "flt": flt,
        "query": _query(flt),
        "phases": cfg.plan.phases,
        "agencies": agencies,
        "books": books,
    }
    name = "queue_table.html" if request.headers.get("HX-Request") else "queue.html"
    return render(request, name, user=user, **context)


@router.get("/review/next")
def open_next(request: Request, user: Clerk, flt: Filter) -> Response:
    """Open the oldest record nobody else holds (second keyings first: they hold approvals)."""
    again = double.next_to_key(web(request).sessions, user.user_id)
    if again is not None:
        return RedirectResponse(f"/records/{again}/key2", status_code=303)
    rid = next_record(web(request).sessions, flt, user.user_id)
    q = _query(flt)
    if rid is None:
        return RedirectResponse("/review?" + q + ("&" if q else "") + "empty=1", status_code=303)
    return RedirectResponse(f"/records/{rid}" + (f"?{q}" if q else ""), status_code=303)


def _record_page(
    request: Request, user: SignedIn, rid: int, flt: QueueFilter, **extra: object
) -> Response:
    cfg = web(request)
    rec = load_record(cfg.sessions, rid)
    if rec is None:
        return render(request, "error.html", 404, user=user, message="Không có hồ sơ này.")
    lock = None
    reviewable = is_reviewable(rec.status)
    if reviewable:
        lock = acquire_lock(cfg.sessions, rid, user.user_id, minutes=cfg.lock_minutes)
    for f in rec.fields:
        if f.needs_review:
            shown = (display_value(f.name, a, a) for a in f.alternatives if a)
            offered = [(a, "một lần đọc khác của ảnh") for a in shown if a != f.display]
            picks: dict[str, str] = {}
            for value, why in [*offered, *explained(f.name, f.display)]:
                picks.setdefault(value, why)
            f.suggestions = list(picks)[:5]
            f.reasons = picks
    status = int(extra.pop("status", 200))  # type: ignore[call-overload]
    return render(
        request,
        "record.html",
        status,
        user=user,
        rec=rec,
        lock=lock,
        reviewable=reviewable,
        editable=reviewable and bool(lock and lock.ok),
        query=_query(flt),
        ethnic_names=ethnic_names(),
        lock_minutes=cfg.lock_minutes,
        entries=len(page_entries(cfg.sessions, rec.page_id)),
        **extra,
    )


@router.get("/records/{rid}", response_class=HTMLResponse)
def record(request: Request, rid: DbId, user: Clerk, flt: Filter) -> Response:
    """The record beside its page image; opening it locks it for this clerk.

    A record waiting for its second keying opens blind for the second clerk; one waiting for
    arbitration opens with both keyings for an arbiter.
    """
    status = record_status(web(request).sessions, rid)
    if status == RecordStatus.second_keying.value:
        first = double.keyings(web(request).sessions, rid).first_user
        if first != user.user_id:
            return RedirectResponse(f"/records/{rid}/key2", status_code=303)
    if status == RecordStatus.arbitration.value and user.has_role("arbiter"):
        return RedirectResponse(f"/records/{rid}/arbitrate", status_code=303)
    return _record_page(request, user, rid, flt)


@router.post("/records/{rid}/approve")
async def approve(request: Request, rid: DbId, user: Clerk, flt: Filter) -> Response:
    """Validate every field again, store the next version, audit changes, open the next."""
    form = await request.form()
    typed = {k[2:]: str(v) for k, v in form.multi_items() if k.startswith("f_")}
    accepted = {str(v) for k, v in form.multi_items() if k == "accepted"}
    seen = {str(v) for k, v in form.multi_items() if k == "seen"}
    cfg = web(request)
    outcome = await run_in_threadpool(
        approve_record,
        cfg.sessions,
        cfg.store,
        rid,
        user.user_id,
        typed,
        accepted,
        lock_minutes=cfg.lock_minutes,
        seen=seen,
        plan=cfg.plan,
    )
    if not outcome.ok:
        message = outcome.message
        if outcome.errors:  # name the fields to fix, in the form's order
            names = ", ".join(LABELS.get(n, n) for n in outcome.errors)
            message = f"{outcome.message}: {names}"
        return await run_in_threadpool(
            _record_page,
            request,
            user,
            rid,
            flt,
            status=APPROVE_REFUSED.get(outcome.reason, 422),
            errors=outcome.errors,
            message=message,
            typed=typed,
            accepted=accepted,
            seen=seen,
        )
    q = _query(flt)
    return RedirectResponse("/review/next" + (f"?{q}" if q else ""), status_code=303)


@router.post("/records/{rid}/release")
def release(request: Request, rid: DbId, user: Clerk, flt: Filter) -> Response:
    """Give the record back to the queue (skip it: remembered for this clerk), open the next."""
    release_lock(web(request).sessions, rid, user.user_id, skip=True)
    q = _query(flt)
    return RedirectResponse("/review/next" + (f"?{q}" if q else ""), status_code=303)


@router.post("/records/{rid}/hold")
async def hold(request: Request, rid: DbId, user: Clerk, flt: Filter) -> Response:
    """The page cannot be read or must be scanned again: hold its records, open the next."""
    form = await request.form()
    cfg = web(request)
    refused = await run_in_threadpool(
        hold_record,
        cfg.sessions,
        rid,
        user.user_id,
        str(form.get("kind", "")),
        str(form.get("reason", "")),
        lock_minutes=cfg.lock_minutes,
    )
    if refused:
        return await run_in_threadpool(
            _record_page, request, user, rid, flt, status=409, message=refused
        )
    q = _query(flt)
    return RedirectResponse("/review/next" + (f"?{q}" if q else ""), status_code=303)


@router.get("/review/mine", response_class=HTMLResponse)
def mine(request: Request, user: Clerk) -> Response:
    """The records this clerk approved, newest first (each can be reopened)."""
    items = approved_by(web(request).sessions, user.user_id)
    return render(request, "mine.html", user=user, items=items)


@router.post("/records/{rid}/reopen")
async def reopen_record(request: Request, rid: DbId, user: Clerk, flt: Filter) -> Response:
    """Send an approved record back to review (with a reason); it opens for correction."""
    form = await request.form()
    refused = await run_in_threadpool(
        reopen,
        web(request).sessions,
        rid,
        user.user_id,
        manager=user.has_role("manager"),
        reason=str(form.get("reason", "")),
    )
    if refused:
        return await run_in_threadpool(
            _record_page, request, user, rid, flt, status=409, message=refused
        )
    return RedirectResponse(f"/records/{rid}", status_code=303)


@router.post("/records/{rid}/lock")
def renew_lock(request: Request, rid: DbId, user: Clerk) -> Response:
    """Keep the lock while the record stays open (called by the page every few minutes)."""
    cfg = web(request)
    lock = lock_for_review(cfg.sessions, rid, user.user_id, minutes=cfg.lock_minutes)
    return Response(status_code=204 if lock and lock.ok else 409)


def _regroup(request: Request, user: SignedIn, page_id: int, how: str) -> Response:
    cfg = web(request)
    act = split_at if how == "split" else merge_into_previous
    try:
        rid = act(cfg, page_id, user.user_id)
    except CannotRegroup as exc:
        return render(request, "error.html", 409, user=user, message=exc.message_vi)
    return RedirectResponse(f"/records/{rid}" if rid else "/review", status_code=303)


@router.post("/pages/{page_id}/split")
def split(request: Request, page_id: DbId, user: Clerk) -> Response:
    """Start a new document at this page (the machine joined it to the document before)."""
    return _regroup(request, user, page_id, "split")


@router.post("/pages/{page_id}/merge")
def merge(request: Request, page_id: DbId, user: Clerk) -> Response:
    """Join the document starting at this page to the document before it."""
    return _regroup(request, user, page_id, "merge")


@router.get("/check/{name}")
def check(
    request: Request,
    name: Annotated[str, Path(pattern=r"^[a-z_]{1,64}$")],
    user: Clerk,
    v: Annotated[str, Query(max_length=500)] = "",
    year: Annotated[int, Query(ge=0, le=2100)] = 0,
) -> Response:
    """The field's validator on what the clerk typed, as they type.

    Whether it is valid, the value it becomes and why not (the form is checked again on
    approval).
    """
    text = v
    if is_date_field(name):
        text = keyed_date(v, year or None, nearest=name in FORMATION_DATES)
    checked = check_field(name, " ".join(text.split()))
    shown = display_value(name, checked.value, text) if checked.ok else text
    return JSONResponse({"ok": checked.ok, "value": shown, "note": checked.note})


@router.get("/complete/{kind}")
def completions(
    request: Request,
    user: Clerk,
    kind: Literal["place", "name", "ethnic", "nationality"],
    q: Annotated[str, Query(max_length=200)] = "",
    year: Annotated[int | None, Query(ge=1800, le=2100)] = None,
) -> Response:
    """What fits the clerk's typing: units of the book's ``year``, names, listed values."""
    return JSONResponse(complete(kind, q, year=year))


@router.get("/pages/{page_id}/preview")
def page_preview(request: Request, page_id: DbId, user: Clerk) -> Response:
    """The downscaled page image; only keys recorded for a page are ever read."""
    cfg = web(request)
    key = preview_key(cfg.sessions, page_id)
    if not key:
        return Response("Không có ảnh xem trước", status_code=404, media_type="text/plain")
    try:
        data = cfg.store.get_bytes(key)
    except MissingObjectError:
        return Response("Không có ảnh xem trước", status_code=404, media_type="text/plain")
    # a page of a civil-status register is personal data: never kept in a cache
    return Response(data, media_type="image/png", headers={"Cache-Control": "no-store"})
