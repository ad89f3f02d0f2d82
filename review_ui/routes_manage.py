"""The manager's dashboard with its CSV export, and the admin's user management."""

from __future__ import annotations

import csv
import io
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select, update

from pipeline.accounts import ROLES, AccountError, SignedIn, add_user
from pipeline.dashboard import build_dashboard
from pipeline.db import User, WebSession
from review_ui.charts import throughput_svg
from review_ui.render import render, vn_date
from review_ui.security import require, web

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


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, user: Manager, phase: str = "") -> Response:
    """Progress per phase, agency and book; backlog; throughput; clerks; projected finish."""
    cfg = web(request)
    phase = phase if cfg.plan.by_prefix(phase) or phase == "ngoai-ke-hoach" else ""
    data = build_dashboard(cfg.sessions, cfg.plan, phase=phase)
    return render(
        request,
        "dashboard.html",
        user=user,
        data=data,
        phase=phase,
        phases=cfg.plan.phases,
        chart=Markup(throughput_svg(data.days)),  # noqa: S704 - built from numbers and dates
        columns=BOOK_COLUMNS,
    )


@router.get("/dashboard.csv")
def dashboard_csv(request: Request, user: Manager, phase: str = "") -> Response:
    """The per-book table as CSV (UTF-8 with BOM, so spreadsheet programs read the accents)."""
    cfg = web(request)
    data = build_dashboard(cfg.sessions, cfg.plan, phase=phase)
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow([label for _, label in BOOK_COLUMNS] + ["Hồ sơ chờ lâu nhất từ"])
    for b in data.books:
        out.writerow([getattr(b, k) for k, _ in BOOK_COLUMNS] + [vn_date(b.oldest_review)])
    name = f"tien-do-{phase or 'tat-ca'}-{data.today:%Y%m%d}.csv"
    return Response(
        "\ufeff" + buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
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
    request: Request, uid: int, user: Admin, active: Annotated[bool, Form()] = False
) -> Response:
    """Lock or unlock an account (a locked account's sessions end at once)."""
    if uid == user.user_id and not active:
        return RedirectResponse("/admin/users", status_code=303)
    with web(request).sessions.begin() as s:
        s.execute(update(User).where(User.id == uid).values(active=active))
        if not active:
            s.query(WebSession).filter(WebSession.user_id == uid).delete()
    return RedirectResponse("/admin/users", status_code=303)
