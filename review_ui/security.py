"""Sign-in, roles and CSRF for the web app (every check happens on the server)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Path, Request
from sqlalchemy.orm import Session, sessionmaker

from pipeline.phases import PhasePlan
from pipeline.ports import ObjectStore
from pipeline.review.accounts import SignedIn, session_user
from review_ui.limits import body_policy, route_path

SESSION_COOKIE = "sohoa_session"
LOGIN_CSRF_COOKIE = "sohoa_login_csrf"
CSRF_FIELD = "csrf_token"


def csrf_token(secret: str, token: str) -> str:
    """The CSRF token of a session: an HMAC of its cookie token under the app secret."""
    return hmac.new(secret.encode(), b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def check_csrf(secret: str, token: str, sent: str | None) -> bool:
    """True when ``sent`` is the CSRF token of session ``token``."""
    return bool(sent) and hmac.compare_digest(csrf_token(secret, token), sent or "")


CSRF_HEADER = "X-CSRF-Token"
#: database ids are signed 64-bit integers; anything else is no record (404, not a crash)
MAX_ID = 2**63 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_ID)]

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


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
    #: peers whose ``proxy_header`` names the client (none: the socket peer is the client)
    trusted_proxies: tuple[IpNetwork, ...] = ()
    proxy_header: str = "X-Forwarded-For"


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
    path = route_path(request.scope).rstrip("/") or "/"
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form(max_fields=body_policy(path).max_fields, max_files=0)
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if path == "/login":
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


def parse_proxies(text: str) -> tuple[IpNetwork, ...]:
    """``"10.0.0.1, 10.1.0.0/16"`` → networks (raises ValueError on a bad entry)."""
    return tuple(
        ipaddress.ip_network(p.strip(), strict=False) for p in text.split(",") if p.strip()
    )


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address, an IPv4-mapped IPv6 one (``::ffff:10.0.0.1``) as plain IPv4."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


def client_address(request: Request) -> str:
    """The client's address: the socket peer, or what a trusted proxy says it forwarded.

    The proxy header is read only when the peer is a configured trusted proxy; of its
    comma-separated hops, the right-most one that is not itself a trusted proxy is the client
    (hops further left were written by the client and prove nothing).
    """
    peer = request.client.host if request.client else ""
    cfg = web(request)

    def trusted(addr: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> bool:
        return addr is not None and any(addr in net for net in cfg.trusted_proxies)

    peer_ip = _ip(peer)
    if peer_ip is not None:
        peer = str(peer_ip)  # one spelling per client (throttle key)
    if not trusted(peer_ip):
        return peer or "?"
    hops = [h.strip() for v in request.headers.getlist(cfg.proxy_header) for h in v.split(",")]
    for hop in reversed(hops):
        addr = _ip(hop)
        if addr is None:
            return peer  # a garbled header: count the proxy itself
        if not trusted(addr):
            return str(addr)
    return peer


def account_key(username: str) -> str:
    """One throttle key per account however its name was typed (NFC, case, blanks)."""
    return unicodedata.normalize("NFC", username).strip().casefold()


@dataclass
class _Failures:
    count: int
    last: float


@dataclass(frozen=True)
class Backoff:
    """Delays after failures: ``free`` failures cost nothing, then 2 s, 4 s, 8 s … ``cap``."""

    free: int
    cap: float

    def delay(self, count: int) -> float:
        """Seconds to wait after ``count`` failures."""
        if count <= self.free:
            return 0.0
        return min(self.cap, 2.0 ** min(count - self.free, 30))


class LoginThrottle:
    """Progressive back-off of failed logins, never a hard lock.

    Three counters per attempt: the pair (account, client address) backs off steeply (up to
    ``pair.cap``), so guessing from one place soon costs minutes per try; the account alone
    backs off mildly (up to ``account.cap``), so guessing from many places is slowed while
    its owner, elsewhere, waits seconds at most; the client address alone, across accounts,
    backs off mildly too (``address``), so one place trying one password on many accounts
    (spraying) is slowed while colleagues behind the same address wait seconds at most.

    An attempt is counted when it starts (:meth:`reserve`, under the lock), not when its
    slow password check ends, so parallel requests get no more tries than sequential ones;
    a good login takes its attempt back (:meth:`succeeded`). Entries are forgotten
    ``forget`` seconds after their last attempt, and the table never holds more than
    ``max_entries``.
    """

    def __init__(
        self,
        *,
        pair: Backoff = Backoff(free=4, cap=600.0),  # noqa: B008 - frozen
        account: Backoff = Backoff(free=20, cap=30.0),  # noqa: B008 - frozen
        address: Backoff = Backoff(free=20, cap=30.0),  # noqa: B008 - frozen
        forget: float = 3600.0,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pair, self.account, self.address = pair, account, address
        self.forget, self.max_entries = forget, max_entries
        self._clock = clock
        self._entries: OrderedDict[tuple[str, ...], _Failures] = OrderedDict()
        self._lock = Lock()

    def _rules(self, username: str, address: str) -> list[tuple[tuple[str, ...], Backoff]]:
        name = account_key(username)
        return [
            (("pair", name, address), self.pair),
            (("account", name), self.account),
            (("address", address), self.address),
        ]

    def _wait(self, username: str, address: str, now: float) -> float:
        """Seconds to wait; the caller holds the lock."""
        waits = [
            f.last + rule.delay(f.count) - now
            for key, rule in self._rules(username, address)
            if (f := self._entries.get(key)) is not None and now - f.last < self.forget
        ]
        return max([0.0, *waits])

    def _count(self, username: str, address: str, now: float) -> None:
        """Count one attempt on every key; the caller holds the lock."""
        for key, _rule in self._rules(username, address):
            f = self._entries.pop(key, None)
            if f is None or now - f.last >= self.forget:
                f = _Failures(0, now)
            f.count, f.last = f.count + 1, now
            self._entries[key] = f  # most recent last
        self._prune(now)

    def blocked_for(self, username: str, address: str) -> float:
        """Seconds until this account may be tried again from this address (0: now)."""
        with self._lock:
            return self._wait(username, address, self._clock())

    def reserve(self, username: str, address: str) -> float:
        """Count an attempt before its password is checked, or refuse it.

        Returns 0 when the attempt may go on (it is counted as failed until
        :meth:`succeeded` says otherwise), else the seconds to wait (nothing counted).
        """
        now = self._clock()
        with self._lock:
            wait = self._wait(username, address, now)
            if wait <= 0:
                self._count(username, address, now)
            return wait

    def failed(self, username: str, address: str) -> None:
        """Count a failed attempt that was not reserved."""
        with self._lock:
            self._count(username, address, self._clock())

    def succeeded(self, username: str, address: str) -> None:
        """After a good login: forget this account's failures, take back the address's try."""
        rules = self._rules(username, address)
        with self._lock:
            for key, _rule in rules[:2]:
                self._entries.pop(key, None)
            f = self._entries.get(rules[2][0])
            if f is not None:
                f.count -= 1
                if f.count <= 0:
                    del self._entries[rules[2][0]]

    def __len__(self) -> int:
        return len(self._entries)

    def _prune(self, now: float) -> None:
        """Drop forgotten entries (oldest first), then the oldest beyond the size bound."""
        while self._entries:
            key, f = next(iter(self._entries.items()))
            if now - f.last < self.forget and len(self._entries) <= self.max_entries:
                break
            del self._entries[key]
