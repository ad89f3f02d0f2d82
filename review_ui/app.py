"""The FastAPI app: server-rendered pages, HTMX vendored, nothing loaded from elsewhere."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp

from review_ui import exports, routes_auth, routes_double, routes_grid, routes_manage, routes_review
from review_ui import help as help_routes
from review_ui.limits import BodyLimit, SecurityHeaders
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


def _warm_up() -> None:
    """Load the gazetteer and name lists before the first clerk needs a suggestion."""
    from pipeline.review.complete import complete
    from pipeline.review.suggest import suggestions

    try:
        suggestions("noi_sinh", "xã Tân Lập, huyện Đan Phượng, Hà Tây")
        suggestions("ho_ten", "Ngyễn Văn A")
        complete("place", "tan lap")  # the units written in full, folded for completion
        complete("name", "nguyen van a")
    except Exception:  # noqa: BLE001 - a warm-up failure only costs time later
        log.exception("warm-up of suggestions failed")


HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    404: "Không có trang này.",
    405: "Trang này không nhận kiểu yêu cầu đó.",
    413: "Dữ liệu gửi lên quá lớn.",
}
SERVER_ERROR = "Máy chủ gặp lỗi khi xử lý yêu cầu. Thử lại sau; nếu vẫn lỗi, báo quản trị."


class ReviewApp(FastAPI):
    """FastAPI with the body caps and security headers outside everything else."""

    def build_middleware_stack(self) -> ASGIApp:
        """Wrap the whole stack, Starlette's error middleware included."""
        return SecurityHeaders(BodyLimit(super().build_middleware_stack()))


def _error_page(request: Request, status: int, message: str, **headers: str) -> Response:
    try:
        resp: Response = render(request, "error.html", status, message=message)
    except Exception:  # noqa: BLE001 - the error page must not fail in turn
        log.exception("rendering the error page failed")
        resp = PlainTextResponse(message, status_code=status)
    resp.headers.update(headers)
    return resp


def _static(app: FastAPI) -> None:
    """The static files, and the icon browsers ask for on their own (a 404 is console noise)."""

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(STATIC / "favicon.svg", media_type="image/svg+xml")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def create_app(cfg: WebConfig, *, warm_up: bool = True) -> FastAPI:
    """Build the app on a configuration made at the edge (``sohoa serve`` or a test)."""
    app = ReviewApp(
        title="sohoa",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_protect)],
    )
    app.state.web = cfg
    app.state.throttle = LoginThrottle()

    _static(app)
    app.include_router(routes_auth.router)
    app.include_router(routes_review.router)
    app.include_router(routes_grid.router)
    app.include_router(routes_double.router)
    app.include_router(help_routes.router)
    app.include_router(routes_manage.router)
    app.include_router(exports.router)

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
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            return _error_page(request, 404, "Không có hồ sơ hoặc trang này.")
        return _error_page(request, 400, HTTP_MESSAGES[400])

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = HTTP_MESSAGES.get(exc.status_code, "Không xử lý được yêu cầu.")
        return _error_page(request, exc.status_code, message, **(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, ClientDisconnect):  # a refused body ends as a disconnect
            log.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return _error_page(request, 500, SERVER_ERROR)

    if warm_up:
        threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
    return app
