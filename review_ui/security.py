"""Sign-in, roles and CSRF for the web app (every check happens on the server)."""

from __future__ import annotations

import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from threading import Lock
from urllib.parse import quote

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from pipeline.accounts import SignedIn, check_csrf, csrf_token, session_user
from pipeline.phases import PhasePlan
from pipeline.storage import ObjectStore

SESSION_COOKIE = "sohoa_session"
LOGIN_CSRF_COOKIE = "sohoa_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class WebConfig:
    """What the app needs, built once at start-up (settings read at the edge)."""

    sessions: sessionmaker[Session]
    store: ObjectStore
    plan: PhasePlan
    secret: str
    cookie_secure: bool = False
    session_hours: int = 12
    lock_minutes: int = 15


class LoginRequired(Exception):
    """No valid session: the handler sends the browser to the login page."""


class Forbidden(Exception):
    """Signed in, but the role does not allow this page."""


class CsrfFailed(Exception):
    """A POST without the right CSRF token."""


def web(request: Request) -> WebConfig:
    """The app's configuration."""
    return request.app.state.web


def current_user(request: Request) -> SignedIn:
    """The signed-in user; raises :class:`LoginRequired` without a valid session."""
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached
    user = session_user(web(request).sessions, request.cookies.get(SESSION_COOKIE))
    if user is None:
        raise LoginRequired
    request.state.user = user
    return user


def require(role: str):  # type: ignore[no-untyped-def]
    """Dependency: the signed-in user, who must have ``role`` or a higher one."""

    def dependency(user: SignedIn = Depends(current_user)) -> SignedIn:  # noqa: B008
        if not user.has_role(role):
            raise Forbidden
        return user

    return dependency


def login_url(request: Request) -> str:
    """The login page, coming back to the requested page afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def csrf_protect(request: Request) -> None:
    """Every POST carries the session's CSRF token (form field or HTMX header).

    The login form, which has no session yet, carries the random token of its own
    cookie instead (double submit).
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if request.url.path == "/login":
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not (cookie and sent and secrets.compare_digest(cookie, sent)):
            raise CsrfFailed
        return
    token = request.cookies.get(SESSION_COOKIE)
    if not token or not check_csrf(web(request).secret, token, sent):
        raise CsrfFailed


def page_csrf(request: Request) -> str:
    """The CSRF token to put in this page's forms (empty when signed out)."""
    token = request.cookies.get(SESSION_COOKIE)
    return csrf_token(web(request).secret, token) if token else ""


class LoginThrottle:
    """At most ``limit`` failed logins per address and per user name in ``window`` seconds."""

    def __init__(self, limit: int = 5, window: float = 600.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked_for(self, *keys: str) -> float:
        """Seconds until another try is allowed (0: allowed now)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                q[0] + self.window - now
                for k in keys
                if len(q := self._recent(k, now)) >= self.limit
            ]
        return max(waits, default=0.0)

    def failed(self, *keys: str) -> None:
        """Count a failed attempt."""
        now = time.monotonic()
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)

    def succeeded(self, *keys: str) -> None:
        """Forget failures after a good login."""
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)
