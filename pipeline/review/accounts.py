"""Accounts of the web UI: roles, argon2 password hashes, sign-in sessions, CSRF tokens.

Framework-free: the CLI (``sohoa users add``) and the web app both use it.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from pipeline.db.models import User, WebSession, aware
from pipeline.errors import SohoaError

#: roles in increasing order of rights; a role may do what every lower role may
ROLES = ("operator", "clerk", "arbiter", "manager", "admin")
ROLE_LABELS = {
    "operator": "Cán bộ quét",
    "clerk": "Công chức hộ tịch",
    "arbiter": "Cán bộ phân xử (nhập hai lần)",
    "manager": "Quản lý",
    "admin": "Quản trị",
}
MIN_PASSWORD_CHARS = 10
USERNAME_MIN, USERNAME_MAX = 2, 64
USERNAME_EXTRA = frozenset("0123456789._-")
USERNAME_RULE = (
    "Tên đăng nhập không hợp lệ: từ 2 đến 64 ký tự, chỉ gồm chữ cái (có dấu được), "
    "chữ số và các dấu . _ -"
)

_hasher = PasswordHasher()
# verified against when the user does not exist, so timing does not tell who exists
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(SohoaError):
    """A bad account request (unknown role, weak password, name taken)."""

    reason = "bad_account"


@dataclass(frozen=True)
class SignedIn:
    """The user behind a valid session (what a request handler needs)."""

    user_id: int
    username: str
    role: str
    session_id: int
    token: str

    def has_role(self, role: str) -> bool:
        """True when this user's role is ``role`` or above."""
        return role_rank(self.role) >= role_rank(role)


def role_rank(role: str) -> int:
    """Position of a role in :data:`ROLES` (-1 when unknown)."""
    return ROLES.index(role) if role in ROLES else -1


def hash_password(password: str) -> str:
    """Argon2id hash of a password (NFC first, so one typed password has one form)."""
    return _hasher.hash(unicodedata.normalize("NFC", password))


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored_hash``; constant work when there is no hash."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, unicodedata.normalize("NFC", password))
    except (VerificationError, InvalidHashError):
        return False


def valid_username(name: str) -> bool:
    """2–64 characters, each a letter (Vietnamese included, in NFC), an ASCII digit, . _ or -.

    Checked where every account is created (CLI and web), so no name carries markup,
    blanks, control or look-alike combining characters.
    """
    return (
        unicodedata.is_normalized("NFC", name)
        and USERNAME_MIN <= len(name) <= USERNAME_MAX
        and all(c.isalpha() or c in USERNAME_EXTRA for c in name)
    )


def add_user(sessions: sessionmaker[Session], username: str, role: str, password: str) -> int:
    """Create a user; return its id.

    Raises:
        AccountError: unknown role, a name outside :func:`valid_username`, password shorter
            than 10 characters, or name taken.
    """
    username = unicodedata.normalize("NFC", username.strip())
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}")
    if not valid_username(username):
        raise AccountError(USERNAME_RULE)
    if len(password) < MIN_PASSWORD_CHARS:
        raise AccountError(f"Mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự")
    with sessions.begin() as s:
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise AccountError(f"Tên đăng nhập {username} đã có")
        user = User(username=username, role=role, password_hash=hash_password(password))
        s.add(user)
        s.flush()
        return user.id


def authenticate(sessions: sessionmaker[Session], username: str, password: str) -> int | None:
    """Id of the active user with this name and password, else None."""
    username = unicodedata.normalize("NFC", username.strip())
    with sessions() as s:
        user = s.scalar(select(User).where(User.username == username))
    ok = verify_password(user.password_hash if user else None, password)
    return user.id if ok and user is not None and user.active else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(sessions: sessionmaker[Session], user_id: int, *, hours: int) -> str:
    """Open a session for a user; return the random token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with sessions.begin() as s:
        s.execute(delete(WebSession).where(WebSession.expires_at < now))
        s.add(
            WebSession(
                token_hash=_token_hash(token),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return token


def session_user(sessions: sessionmaker[Session], token: str | None) -> SignedIn | None:
    """The signed-in user of a cookie token, or None (unknown, expired, inactive)."""
    if not token or len(token) > 128:
        return None
    with sessions() as s:
        row = s.execute(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == _token_hash(token))
        ).first()
    if row is None:
        return None
    ws, user = row
    if aware(ws.expires_at) < datetime.now(UTC) or not user.active:
        return None
    return SignedIn(user.id, user.username, user.role, ws.id, token)


def end_session(sessions: sessionmaker[Session], token: str | None) -> None:
    """Forget a session (logout)."""
    if token:
        with sessions.begin() as s:
            s.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))
