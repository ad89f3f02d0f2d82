"""The FastAPI app: server-rendered pages, HTMX vendored, nothing loaded from elsewhere."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from review_ui import routes_auth, routes_manage, routes_review
from review_ui.render import render
from review_ui.security import (
    CsrfFailed,
    Forbidden,
    LoginRequired,
    LoginThrottle,
    WebConfig,
    csrf_protect,
    login_url,
)

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _warm_up() -> None:
    """Load the gazetteer and name lists before the first clerk needs a suggestion."""
    from pipeline.suggest import suggestions

    try:
        suggestions("noi_sinh", "xã Tân Lập, huyện Đan Phượng, Hà Tây")
        suggestions("ho_ten", "Ngyễn Văn A")
    except Exception:  # noqa: BLE001 - a warm-up failure only costs time later
        log.exception("warm-up of suggestions failed")


def create_app(cfg: WebConfig, *, warm_up: bool = True) -> FastAPI:
    """Build the app on a configuration made at the edge (``sohoa serve`` or a test)."""
    app = FastAPI(
        title="sohoa",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.web = cfg
    app.state.throttle = LoginThrottle()
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(routes_auth.router)
    app.include_router(routes_review.router)
    app.include_router(routes_manage.router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = login_url(request)
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, _exc: Forbidden) -> Response:
        msg = "Tài khoản của bạn không có quyền mở trang này."
        return render(request, "error.html", 403, message=msg)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, _exc: CsrfFailed) -> Response:
        msg = "Biểu mẫu đã hết hạn hoặc không hợp lệ. Tải lại trang rồi thử lại."
        return render(request, "error.html", 403, message=msg)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, _exc: RequestValidationError) -> Response:
        return render(request, "error.html", 400, message="Yêu cầu không hợp lệ.")

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        return response

    if warm_up:
        threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    return app
