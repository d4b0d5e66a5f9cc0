"""The web pages' sessions: signing in with an API token gives the browser a random session cookie (HttpOnly,
SameSite=Strict); the store keeps only its SHA-256, with its user, a CSRF token its forms must carry, and its
expiry. The token itself is never kept by the browser, and never accepted in a URL."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from service.store import Store, User, WebSession, hash_token

__all__ = ["SESSION_COOKIE", "SESSION_HOURS", "Viewer", "close_session", "open_session", "same_token", "viewer_for"]

SESSION_COOKIE = "wfm_session"
#: How long a sign-in lasts (a working day and some).
SESSION_HOURS = 12


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: the signed-in user and the CSRF token of their session."""

    user: User
    csrf: str

    @property
    def role(self) -> str:
        return self.user.role


def open_session(store: Store, user: User) -> str:
    """A new session of `user`: the cookie's value (kept by the browser only; the store keeps its hash). Expired
    sessions of anyone are removed on the way."""
    cookie = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with store.session() as session:
        session.execute(delete(WebSession).where(WebSession.expires_at < now))
        session.add(
            WebSession(
                id=hash_token(cookie),
                user_id=user.id,
                csrf=secrets.token_urlsafe(32),
                created_at=now,
                expires_at=now + timedelta(hours=SESSION_HOURS),
            )
        )
    return cookie


def viewer_for(store: Store, cookie: str | None) -> Viewer | None:
    """The viewer of the session whose cookie is `cookie`, or None (no cookie, an unknown or expired session, a
    user no longer active)."""
    if not cookie:
        return None
    with store.sessions() as session:
        found = session.get(WebSession, hash_token(cookie))
        if found is None or _aware(found.expires_at) < datetime.now(UTC):
            return None
        user = session.get(User, found.user_id)
        if user is None or not user.active:
            return None
        session.expunge(user)
        return Viewer(user, found.csrf)


def close_session(store: Store, cookie: str | None) -> None:
    """Sign out: the session of `cookie` is deleted (its cookie is worth nothing from now on)."""
    if cookie:
        with store.session() as session:
            session.execute(delete(WebSession).where(WebSession.id == hash_token(cookie)))


def same_token(given: str | None, expected: str) -> bool:
    """Whether a form's CSRF token is the session's (compared in constant time)."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back
