"""Sign-in sessions and CSRF tokens of the desk page (/desk), signed with itsdangerous.

A desk officer signs in once with a desk-scope API key; the browser then holds a session cookie
instead of the key. The cookie is ``<key id>:<token>``, the token a timed itsdangerous signature of
a random nonce made with the key's stored SHA-256 as the secret: nothing but the hash is kept on the
server, every worker can check it without shared state, a token expires after
``Settings.desk_session_minutes``, and revoking the key (`aduan keys revoke`) ends all its sessions at
once. Signing out deletes the cookie.

Every form carries a CSRF token bound to the session's nonce (forms before sign-in: to a random
pre-session cookie, the double-submit pattern). Cookies are HttpOnly, SameSite=Strict, path /desk,
and Secure when the page is served over https.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from serving.db.models import ApiKey
from serving.keys import find_key

SESSION_COOKIE = "aduan_desk_session"
SIGN_IN_CSRF_COOKIE = "aduan_desk_csrf"  # before sign-in: the sign-in form's double-submit token
COOKIE_PATH = "/desk"
DESK_SCOPE = "desk"
_SESSION_SALT = "aduan.desk.session"
_CSRF_SALT = "aduan.desk.csrf"


@dataclass(frozen=True)
class DeskSession:
    key: ApiKey
    nonce: str

    @property
    def csrf_token(self) -> str:
        return URLSafeSerializer(self.key.key_hash, salt=_CSRF_SALT).dumps(self.nonce)

    def csrf_ok(self, token: str | None) -> bool:
        if not token:
            return False
        try:
            nonce = URLSafeSerializer(self.key.key_hash, salt=_CSRF_SALT).loads(token)
        except BadData:
            return False
        return isinstance(nonce, str) and hmac.compare_digest(nonce, self.nonce)


class SignInRefused(Exception):
    """The presented key cannot open a desk session; ``status`` and an Indonesian message say why."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def sign_in(session: Session, presented: str) -> ApiKey:
    """The active desk-scope key row for ``presented``, else SignInRefused (401 unknown, 403 no desk scope)."""
    row = find_key(session, presented.strip()) if presented.strip() else None
    if row is None:
        raise SignInRefused(401, "Kunci API tidak dikenal atau sudah dicabut.")
    if DESK_SCOPE not in row.scope_set:
        raise SignInRefused(403, "Kunci ini tidak punya cakupan desk (buat dengan: aduan keys create --scope desk).")
    return row


def session_cookie_value(key: ApiKey) -> str:
    token = URLSafeTimedSerializer(key.key_hash, salt=_SESSION_SALT).dumps(secrets.token_urlsafe(16))
    return f"{key.id}:{token}"


def read_session(sessions: sessionmaker[Session], value: str | None, max_age_s: int) -> DeskSession | None:
    """The signed-in desk session of a cookie value, or None (absent, forged, expired, key revoked)."""
    key_id, _, token = (value or "").partition(":")
    if not key_id.isdigit() or not token:
        return None
    with sessions() as session:
        row = session.get(ApiKey, int(key_id))
        if row is not None:
            session.expunge(row)
    if row is None or row.revoked_at is not None or DESK_SCOPE not in row.scope_set:
        return None
    try:
        nonce = URLSafeTimedSerializer(row.key_hash, salt=_SESSION_SALT).loads(token, max_age=max_age_s)
    except BadData:
        return None
    return DeskSession(row, nonce) if isinstance(nonce, str) else None


def _cookie(response: Response, request: Request, name: str, value: str, max_age_s: int) -> None:
    response.set_cookie(name, value, max_age=max_age_s, path=COOKIE_PATH, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")


def set_session_cookie(response: Response, request: Request, key: ApiKey, max_age_s: int) -> None:
    _cookie(response, request, SESSION_COOKIE, session_cookie_value(key), max_age_s)
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path=COOKIE_PATH)


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH, httponly=True, samesite="strict")


def sign_in_csrf(request: Request) -> str:
    """The pre-session CSRF token of this browser (the cookie's), or a new one to set."""
    current = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    return current if len(current) >= 32 else secrets.token_urlsafe(32)


def set_sign_in_csrf(response: Response, request: Request, token: str) -> None:
    _cookie(response, request, SIGN_IN_CSRF_COOKIE, token, 3600)


def sign_in_csrf_ok(request: Request, token: str | None) -> bool:
    cookie = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    return bool(token) and len(cookie) >= 32 and hmac.compare_digest(cookie, token or "")
