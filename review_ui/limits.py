"""Outermost ASGI layers: request body caps (before any parsing) and security headers.

Both wrap the whole app, outside Starlette's error middleware, so a refused body is never
buffered and every response — 404, 413, 500 included — carries the same headers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

KB = 1024
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


@dataclass(frozen=True)
class BodyPolicy:
    """How much a request to one path may send: bytes of body and number of form fields."""

    max_bytes: int
    max_fields: int


#: approvals, user forms and the rest are small; sign-in and sign-out smaller still
DEFAULT_POLICY = BodyPolicy(max_bytes=256 * KB, max_fields=300)
ROUTE_POLICIES = {
    "/login": BodyPolicy(max_bytes=16 * KB, max_fields=8),
    "/logout": BodyPolicy(max_bytes=16 * KB, max_fields=8),
}


def route_path(scope: Scope) -> str:
    """The request path as the routes see it: without the app's ``root_path`` prefix."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "").rstrip("/")
    if root and (path == root or path.startswith(root + "/")):
        return path[len(root) :] or "/"
    return path


#: "approve page" in the grid view sends every cell of the page (a register page of 25
#: entries × 24 fields, with their seen/accepted marks, is some 1 800 fields)
GRID_POLICY = BodyPolicy(max_bytes=1024 * KB, max_fields=4000)
_GRID_PATH = re.compile(r"^/pages/\d{1,12}/grid$")


def body_policy(path: str) -> BodyPolicy:
    """The body limits of a request path."""
    path = path.rstrip("/") or "/"
    if _GRID_PATH.match(path):
        return GRID_POLICY
    return ROUTE_POLICIES.get(path, DEFAULT_POLICY)


def too_large_message(limit: int) -> str:
    """What the user reads when a request body is refused."""
    return f"Dữ liệu gửi lên quá lớn (tối đa {limit // KB} kB). Yêu cầu bị từ chối."


async def _reply(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            return value.decode("latin-1").strip()
    return None


class BodyLimit:
    """Refuse a body over its path's limit: by Content-Length at once, else while it streams.

    A chunked body is counted as it arrives; once over the limit the client gets 413, the
    app is told the client left, and whatever the app still sends is dropped.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on with its body counted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_policy(route_path(scope)).max_bytes
        declared = _content_length(scope)
        valid = declared is None or (declared.isascii() and declared.isdigit())  # not "²"
        if declared is not None and (not valid or int(declared) > limit):
            log.info("refused a request body of %s bytes (limit %s)", declared[:20], limit)
            await _reply(send, 413, too_large_message(limit))
            return
        state = {"received": 0, "refused": False, "started": False}

        async def counted_receive() -> Message:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["refused"] = True
                    log.info("refused a streamed request body over %s bytes", limit)
                    if not state["started"]:
                        state["started"] = True
                        await _reply(send, 413, too_large_message(limit))
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # the 413 went out already
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not state["refused"]:
                raise  # the app's own failure (after a refused body it only saw a disconnect)


class SecurityHeaders:
    """Security headers on every response; nothing but static files may be cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to its response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cacheable = route_path(scope).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if cacheable or k.lower() != b"cache-control"
                ]
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                if not cacheable:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
