"""The register page as one table (issue 20, item 1): every entry beside the page image."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pipeline.review.accounts import SignedIn
from pipeline.review.grid import GridView, approve_grid, load_grid
from review_ui.render import render
from review_ui.security import DbId, require, web

router = APIRouter()
Clerk = Annotated[SignedIn, Depends(require("clerk"))]


def _grid_page(
    request: Request, user: SignedIn, view: GridView | None, status: int = 200, **extra: object
) -> Response:
    if view is None:
        return render(request, "error.html", 404, user=user, message="Trang này không có hồ sơ.")
    return render(
        request,
        "grid.html",
        status,
        user=user,
        view=view,
        rec=view.head,
        lock_minutes=web(request).lock_minutes,
        **extra,
    )


@router.get("/pages/{page_id}/grid", response_class=HTMLResponse)
def grid(request: Request, page_id: DbId, user: Clerk) -> Response:
    """Every entry of a register page as a row, every field as a column, beside the image."""
    cfg = web(request)
    view = load_grid(cfg.sessions, page_id, user.user_id, lock_minutes=cfg.lock_minutes)
    return _grid_page(request, user, view)


@router.post("/pages/{page_id}/grid/lock")
def renew_locks(request: Request, page_id: DbId, user: Clerk) -> Response:
    """Keep the page's entries locked while the grid stays open."""
    cfg = web(request)
    view = load_grid(cfg.sessions, page_id, user.user_id, lock_minutes=cfg.lock_minutes)
    return Response(status_code=204 if view and view.editable else 409)


def _parse(items: list[tuple[str, str]]) -> tuple[dict, dict, dict]:  # type: ignore[type-arg]
    """Cells ``c:<record>:<field>``, and ``accepted`` / ``seen`` values ``<record>:<field>``."""
    cells: dict[int, dict[str, str]] = defaultdict(dict)
    marks: dict[str, dict[int, set[str]]] = {"accepted": defaultdict(set), "seen": defaultdict(set)}
    for key, value in items:
        if key.startswith("c:"):
            _c, rid, name = (key.split(":", 2) + ["", ""])[:3]
            if rid.isdigit():
                cells[int(rid)][name] = value
        elif key in marks:
            rid, _sep, name = value.partition(":")
            if rid.isdigit():
                marks[key][int(rid)].add(name)
    return dict(cells), dict(marks["accepted"]), dict(marks["seen"])


@router.post("/pages/{page_id}/grid")
async def approve_page(request: Request, page_id: DbId, user: Clerk) -> Response:
    """Approve every open entry of the page, or none (the cells to fix are shown)."""
    form = await request.form()
    cells, accepted, seen = _parse([(k, str(v)) for k, v in form.multi_items()])
    cfg = web(request)
    view = await run_in_threadpool(
        load_grid, cfg.sessions, page_id, user.user_id, lock_minutes=cfg.lock_minutes
    )
    if view is None:
        return _grid_page(request, user, None)
    out = await run_in_threadpool(
        approve_grid,
        cfg.sessions,
        cfg.store,
        view,
        user.user_id,
        cells,
        accepted,
        seen,
        plan=cfg.plan,
        lock_minutes=cfg.lock_minutes,
    )
    if not out.ok:
        view = await run_in_threadpool(
            load_grid, cfg.sessions, page_id, user.user_id, lock_minutes=cfg.lock_minutes
        )
        return _grid_page(
            request,
            user,
            view,
            409,
            errors=out.errors,
            message=out.message,
            typed=cells,
            accepted=accepted,
            seen=seen,
        )
    return RedirectResponse("/review/next", status_code=303)
