"""Login, logout and the home page."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from pipeline.review.accounts import SignedIn, authenticate, end_session, start_session
from review_ui.render import render
from review_ui.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    LoginThrottle,
    client_address,
    current_user,
    safe_next,
    web,
)

log = logging.getLogger(__name__)
router = APIRouter()


def _login_page(request: Request, next_url: str, error: str = "", status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    resp = render(
        request, "login.html", status, login_csrf=token, next_url=next_url, error=error, user=None
    )
    resp.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=web(request).cookie_secure,
        path="/login",
    )
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
    """The login page."""
    return _login_page(request, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    next_url: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    """Check the password; on success open a session and go where the user was heading."""
    cfg = web(request)
    address = client_address(request)
    throttle: LoginThrottle = request.app.state.throttle
    wait = throttle.reserve(username, address)  # counted now: parallel guesses gain nothing
    if wait > 0:
        later = f"{int(wait) + 1} giây" if wait < 60 else f"khoảng {int(wait // 60) + 1} phút"
        msg = f"Đăng nhập sai nhiều lần liên tiếp. Thử lại sau {later}."
        resp = _login_page(request, safe_next(next_url), msg, 429)
        resp.headers["Retry-After"] = str(int(wait) + 1)
        return resp
    user_id = authenticate(cfg.sessions, username, password)
    if user_id is None:
        log.info("failed login")  # no name or address in the log (personal data)
        return _login_page(request, safe_next(next_url), "Sai tên đăng nhập hoặc mật khẩu.", 401)
    throttle.succeeded(username, address)
    token = start_session(cfg.sessions, user_id, hours=cfg.session_hours)
    resp = RedirectResponse(safe_next(next_url), status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=cfg.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=cfg.cookie_secure,
        path="/",
    )
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session."""
    end_session(web(request).sessions, request.cookies.get(SESSION_COOKIE))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@router.get("/", response_class=HTMLResponse)
def home(request: Request, user: Annotated[SignedIn, Depends(current_user)]) -> Response:
    """Start page: what this role can open."""
    return render(request, "home.html", user=user)
