"""The manager's dashboard with its CSV export, and the admin's user management."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select, update

from pipeline.archive.csvsafe import write_rows
from pipeline.db.models import User, WebSession
from pipeline.phases import OUTSIDE_PREFIX, PhasePlan
from pipeline.review.accounts import ROLES, AccountError, SignedIn, add_user
from pipeline.review.dashboard import build_dashboard
from pipeline.review.hold import held_pages, release_hold
from pipeline.review.stuck import agencies, failed_pages, held_locks
from review_ui.charts import plan_svg, throughput_svg
from review_ui.render import render, vn_date
from review_ui.security import DbId, require, web

router = APIRouter()
Manager = Annotated[SignedIn, Depends(require("manager"))]
Admin = Annotated[SignedIn, Depends(require("admin"))]

BOOK_COLUMNS = (
    ("phase", "Giai đoạn"),
    ("agency", "Cơ quan"),
    ("book_type", "Loại sổ"),
    ("book", "Quyển"),
    ("inventory_pages", "Trang theo kiểm kê"),
    ("scanned_pages", "Trang đã quét"),
    ("extracted_pages", "Trang đã trích xuất"),
    ("done_pages", "Trang đã duyệt và lưu"),
    ("failed_pages", "Trang lỗi"),
    ("records", "Hồ sơ"),
    ("approved_records", "Hồ sơ cán bộ đã duyệt"),
    ("records_to_review", "Hồ sơ chờ duyệt"),
    ("fields_to_review", "Trường chờ duyệt"),
)


def known_phase(plan: PhasePlan, phase: str) -> bool:
    """Whether ``phase`` names a phase of the plan (or the outside-the-plan bucket)."""
    return plan.by_prefix(phase) is not None or phase == OUTSIDE_PREFIX


def attachment(filename: str) -> str:
    """A Content-Disposition value that cannot be broken out of.

    An ASCII fallback (accents dropped, anything but letters, digits, ``.``, ``_`` and ``-``
    replaced) for old clients, and the full name as RFC 5987 ``filename*``.
    """
    ascii_name = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name.encode("ascii", "ignore").decode())
    fallback = ascii_name or "tep.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, user: Manager, phase: str = "") -> Response:
    """Progress per phase, agency and book; backlog; throughput; clerks; projected finish."""
    cfg = web(request)
    phase = phase if known_phase(cfg.plan, phase) else ""
    data = build_dashboard(cfg.sessions, cfg.plan, phase=phase)
    return render(
        request,
        "dashboard.html",
        user=user,
        data=data,
        phase=phase,
        phases=cfg.plan.phases,
        chart=Markup(throughput_svg(data.days)),  # noqa: S704 - built from numbers and dates
        plan_charts=[(c, Markup(plan_svg(c))) for c in data.curves],  # noqa: S704 - same
        columns=BOOK_COLUMNS,
        held=held_pages(cfg.sessions),
        agencies=agencies(data.books),
        failed=failed_pages(cfg.sessions),
        locks=held_locks(cfg.sessions),
    )


@router.post("/pages/{page_id}/release-hold")
def release_held_page(request: Request, page_id: DbId, user: Manager) -> Response:
    """The page was scanned again (or can be read after all): its records go back to review."""
    release_hold(web(request).sessions, page_id, user.user_id)
    return RedirectResponse("/dashboard#held", status_code=303)


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, user: Manager, phase: str = "") -> Response:
    """The per-book table as CSV (UTF-8 with BOM, so spreadsheet programs read the accents).

    Cells that a spreadsheet would run as formulas are neutralised; ``phase`` must be one of
    the plan's (or empty for all).
    """
    cfg = web(request)
    if phase and not known_phase(cfg.plan, phase):
        return render(request, "error.html", 400, user=user, message="Không có giai đoạn này.")
    data = build_dashboard(cfg.sessions, cfg.plan, phase=phase)
    header = [label for _, label in BOOK_COLUMNS] + ["Hồ sơ chờ lâu nhất từ"]
    rows = [
        [getattr(b, k) for k, _ in BOOK_COLUMNS] + [vn_date(b.oldest_review)] for b in data.books
    ]
    name = f"tien-do-{phase or 'tat-ca'}-{data.today:%Y%m%d}.csv"
    return Response(
        write_rows([header, *rows]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(name)},
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users(request: Request, user: Admin, error: str = "", done: str = "") -> Response:
    """The accounts."""
    with web(request).sessions() as s:
        rows = list(s.scalars(select(User).order_by(User.username)))
    return render(request, "users.html", user=user, rows=rows, roles=ROLES, error=error, done=done)


@router.post("/admin/users")
def create_user(
    request: Request,
    user: Admin,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form()],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    """Add an account."""
    try:
        add_user(web(request).sessions, username, role, password)
    except AccountError as exc:
        with web(request).sessions() as s:
            rows = list(s.scalars(select(User).order_by(User.username)))
        return render(
            request, "users.html", 400, user=user, rows=rows, roles=ROLES, error=exc.message_vi
        )
    return RedirectResponse("/admin/users?done=1", status_code=303)


@router.post("/admin/users/{uid}/active")
def set_active(
    request: Request, uid: DbId, user: Admin, active: Annotated[bool, Form()] = False
) -> Response:
    """Lock or unlock an account (a locked account's sessions end at once)."""
    if uid == user.user_id and not active:
        return RedirectResponse("/admin/users", status_code=303)
    with web(request).sessions.begin() as s:
        s.execute(update(User).where(User.id == uid).values(active=active))
        if not active:
            s.query(WebSession).filter(WebSession.user_id == uid).delete()
    return RedirectResponse("/admin/users", status_code=303)
