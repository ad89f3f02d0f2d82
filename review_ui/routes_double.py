"""Blind double keying in the browser (issue 20, item 3): the second keying, the arbiter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.review import double
from pipeline.review.accounts import SignedIn
from pipeline.review.double_review import arbitrate, key_second
from pipeline.review.queue import acquire_lock, load_record
from review_ui.render import render
from review_ui.security import DbId, require, web
from schemas.dossiers import LABELS
from schemas.enums import RecordStatus

router = APIRouter()
Clerk = Annotated[SignedIn, Depends(require("clerk"))]
Arbiter = Annotated[SignedIn, Depends(require("arbiter"))]


def _keying_page(
    request: Request, user: SignedIn, rid: int, mode: str, status: int = 200, **extra: object
) -> Response:
    """The key fields alone beside the page image: blank (second keying) or both keyings."""
    cfg = web(request)
    rec = load_record(cfg.sessions, rid)
    want = RecordStatus.second_keying if mode == "key2" else RecordStatus.arbitration
    if rec is None or rec.status != want.value:
        return render(request, "error.html", 404, user=user, message="Hồ sơ không chờ việc này.")
    k = double.keyings(cfg.sessions, rid)
    if mode == "key2" and k.first_user == user.user_id:
        msg = "Bạn đã nhập lần thứ nhất hồ sơ này; lần hai phải do người khác nhập."
        return render(request, "error.html", 403, user=user, message=msg)
    lock = acquire_lock(cfg.sessions, rid, user.user_id, minutes=cfg.lock_minutes)
    if not lock.ok:
        msg = f"Hồ sơ đang được {lock.holder or 'người khác'} mở."
        return render(request, "error.html", 409, user=user, message=msg)
    keys = [f for f in rec.fields if f.name in double.KEY_FIELDS]
    return render(
        request,
        "keying.html",
        status,
        user=user,
        rec=rec,
        keys=keys,
        mode=mode,
        k=k,
        first=dict(k.first.get("values") or {}),
        **extra,
    )


@router.get("/review/next-keying")
def next_keying(request: Request, user: Clerk) -> Response:
    """The oldest record waiting for a second keying by someone else than its first clerk."""
    rid = double.next_to_key(web(request).sessions, user.user_id)
    return RedirectResponse(f"/records/{rid}/key2" if rid else "/review", status_code=303)


@router.get("/records/{rid}/key2", response_class=HTMLResponse)
def key2_form(request: Request, rid: DbId, user: Clerk) -> Response:
    """The key fields, blank: the second clerk keys them from the image alone."""
    return _keying_page(request, user, rid, "key2")


@router.post("/records/{rid}/key2")
async def key2(request: Request, rid: DbId, user: Clerk) -> Response:
    """Compare with the first keying: agreement approves, disagreement goes to an arbiter."""
    form = await request.form()
    typed = {k[2:]: str(v) for k, v in form.multi_items() if k.startswith("f_")}
    cfg = web(request)
    out = await run_in_threadpool(
        key_second, cfg.sessions, cfg.store, rid, user.user_id, typed, plan=cfg.plan
    )
    if not out.ok:
        return await run_in_threadpool(
            _keying_page, request, user, rid, "key2", 409, message=out.message
        )
    return RedirectResponse("/review/next", status_code=303)


@router.get("/arbitration", response_class=HTMLResponse)
def arbitration_list(request: Request, user: Arbiter) -> Response:
    """Records whose two keyings differ."""
    cfg = web(request)
    ids = double.waiting_arbitration(cfg.sessions)
    records = [r for rid in ids if (r := load_record(cfg.sessions, rid))]
    return render(request, "arbitration.html", user=user, records=records)


@router.get("/records/{rid}/arbitrate", response_class=HTMLResponse)
def arbitrate_form(request: Request, rid: DbId, user: Arbiter) -> Response:
    """Both keyings side by side; the arbiter keys the value the page says."""
    return _keying_page(request, user, rid, "arbitrate")


@router.post("/records/{rid}/arbitrate")
async def arbitrate_post(request: Request, rid: DbId, user: Arbiter) -> Response:
    """Approve the record with the arbiter's values for the key fields."""
    form = await request.form()
    typed = {k[2:]: str(v) for k, v in form.multi_items() if k.startswith("f_")}
    cfg = web(request)
    out = await run_in_threadpool(
        arbitrate, cfg.sessions, cfg.store, rid, user.user_id, typed, plan=cfg.plan
    )
    if not out.ok:
        named = ", ".join(f"{LABELS.get(n, n)}: {why}" for n, why in out.errors.items())
        message = f"{out.message} — {named}" if named else out.message
        return await run_in_threadpool(
            _keying_page, request, user, rid, "arbitrate", 409, message=message
        )
    return RedirectResponse("/arbitration", status_code=303)
