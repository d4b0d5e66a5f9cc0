"""What every response and request of the service goes through: a limit on the size of a request's body (413 past
it, checked on the declared length before anything is read and on the bytes as they arrive, so a body without a
length cannot pass it either), the caller's token checked before a request's body is read (401), and the
security headers of every response."""

from __future__ import annotations

import json
from typing import Any

from anyio import to_thread
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "API_CACHE_CONTROL",
    "DEFAULT_MAX_UPLOAD_BYTES",
    "NO_TOKEN",
    "PAGE_CSP",
    "REPORT_CSP",
    "SECURITY_HEADERS",
    "UNKNOWN_TOKEN",
    "Guard",
    "bearer_token",
]

#: The largest request body by default: two years of per-ticket history of a large centre as CSV.
DEFAULT_MAX_UPLOAD_BYTES = 256 * 2**20
#: Sent with every response. The reports are self-contained HTML (inline styles and images, no scripts).
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
#: Sent with the answers of the API (`/api/...`) that set no caching of their own: they hold a centre's data,
#: fetched with a token, which no browser or proxy on the way should keep.
API_CACHE_CONTROL = "no-store"
#: For HTML the service makes (reports); the interactive API docs (/docs) load their own scripts and keep none.
REPORT_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'"
#: For the web pages: their scripts, styles and pictures from the service only, no inline script or style, forms
#: sent to the service only.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)


#: The 401 answers: no token (or not as `Authorization: Bearer TOKEN`), and a token of no active user.
NO_TOKEN = "give Authorization: Bearer TOKEN (wfm users add)"
UNKNOWN_TOKEN = "unknown or revoked token"
#: The 401 answer to a page's form sent without a session (before its body is read).
SIGNED_OUT = "sign in first (/signin): the session has ended or was never opened"
#: Methods whose request is read without a body: their token is checked by the routes alone.
_BODILESS = ("GET", "HEAD", "OPTIONS")
#: The only route under /api that needs no token.
_OPEN = "/api/health"


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header (the scheme in any case), or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


class _TooLarge(HTTPException):
    """Raised while the body is read: an HTTP error, so that the body's parser passes it on as the 413 it is."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"the request is larger than {max_bytes / 2**20:g} MB; send a smaller file (wfm serve --max-upload-mb)"


class Guard:
    """ASGI middleware: 413 for a body larger than `max_bytes`; 401 for a request with a body under /api whose
    token is missing or unknown, or to a page without a session, before the body is read (the routes check the
    token or session again, the role, and a page's CSRF token); the
    security headers on every response, and a strict content security policy on the service's own HTML;
    `Cache-Control: no-store` on the API's answers."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or [])
        declared = given.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        path = scope.get("path", "")
        if scope.get("method", "GET") not in _BODILESS and path.startswith("/api/") and path != _OPEN:
            refusal = await self._token_refusal(scope, given.get(b"authorization"))
            if refusal is not None:
                await self._answer(send, 401, refusal, [(b"www-authenticate", b"Bearer"), (b"connection", b"close")])
                return
        elif scope.get("method", "GET") not in _BODILESS and not path.startswith(("/api/", "/signin")):
            if not await self._signed_in(scope, given.get(b"cookie")):  # a page's form: its session first
                extra = [(b"connection", b"close")]
                if given.get(b"hx-request") == b"true":  # a page's HTMX form: the whole page goes to the sign-in page
                    extra.append((b"hx-redirect", b"/signin"))
                await self._answer(send, 401, SIGNED_OUT, extra)
                return
        received = 0
        started = False
        api = scope.get("path", "").startswith("/api/")

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                given = message.get("headers", [])
                headers = [(k, v) for k, v in given if k.lower() not in _SET]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if api or k not in _PAGE]
                if not api:  # a page's forms send their origin (checked against CSRF), to the service only
                    headers += [(k.encode(), v.encode()) for k, v in _PAGE.items()]
                if api and not any(k.lower() == b"cache-control" for k, _ in given):
                    headers.append((b"cache-control", API_CACHE_CONTROL.encode()))
                kind = dict(given).get(b"content-type", b"")
                own = any(k.lower() == b"content-security-policy" for k, _ in given)  # a report a page serves
                if kind.startswith(b"text/html") and not own and not path.startswith(("/docs", "/redoc")):
                    policy = REPORT_CSP if api else PAGE_CSP  # a plan's report is under /api
                    headers.append((b"content-security-policy", policy.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    @staticmethod
    async def _token_refusal(scope: Scope, authorization: bytes | None) -> str | None:
        """Why the request's token is refused (`NO_TOKEN`, `UNKNOWN_TOKEN`), or None where it is an active user's
        (or where the app keeps no store to ask)."""
        token = bearer_token(authorization.decode("latin-1") if authorization is not None else None)
        if token is None:
            return NO_TOKEN
        app = scope.get("app")
        store = getattr(getattr(app, "state", None), "store", None)
        if store is None:
            return None
        user = await to_thread.run_sync(store.user_for_token, token)
        return UNKNOWN_TOKEN if user is None else None

    @staticmethod
    async def _signed_in(scope: Scope, cookie: bytes | None) -> bool:
        """Whether the request carries the session cookie of a signed-in user (or the app keeps no store)."""
        from http.cookies import SimpleCookie

        from service.web.sessions import SESSION_COOKIE, viewer_for

        store = getattr(getattr(scope.get("app"), "state", None), "store", None)
        if store is None:
            return True
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load((cookie or b"").decode("latin-1"))
        except Exception:  # a malformed Cookie header: no session
            return False
        morsel = jar.get(SESSION_COOKIE)
        return morsel is not None and await to_thread.run_sync(viewer_for, store, morsel.value) is not None

    async def _refuse(self, send: Send) -> None:
        await self._answer(send, 413, _too_large(self.max_bytes), [(b"connection", b"close")])

    @staticmethod
    async def _answer(send: Send, code: int, detail: str, extra: list[tuple[bytes, bytes]]) -> None:
        """An error answer `{"detail": detail}` with the security headers, sent before the body is read."""
        body = json.dumps({"detail": detail}).encode()
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *extra,
        ]
        headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        headers.append((b"cache-control", API_CACHE_CONTROL.encode()))
        start: dict[str, Any] = {"type": "http.response.start", "status": code, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})


_SET = {k.encode() for k in SECURITY_HEADERS}
#: The pages' own: `no-referrer` would make the browser send `Origin: null` with their forms, so they say
#: `same-origin` (the address goes to the service's own pages only).
_PAGE = {"referrer-policy": "same-origin"}
