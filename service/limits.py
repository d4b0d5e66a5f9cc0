"""What every response and request of the service goes through: a limit on the size of a request's body (413 past
it, checked on the declared length before anything is read and on the bytes as they arrive, so a body without a
length cannot pass it either) and the security headers of every response."""

from __future__ import annotations

import json
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["API_CACHE_CONTROL", "DEFAULT_MAX_UPLOAD_BYTES", "REPORT_CSP", "SECURITY_HEADERS", "Guard"]

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


class _TooLarge(HTTPException):
    """Raised while the body is read: an HTTP error, so that the body's parser passes it on as the 413 it is."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"the request is larger than {max_bytes / 2**20:g} MB; send a smaller file (wfm serve --max-upload-mb)"


class Guard:
    """ASGI middleware: 413 for a body larger than `max_bytes`; the security headers on every response, and a
    strict content security policy on the service's own HTML; `Cache-Control: no-store` on the API's answers."""

    def __init__(self, app: ASGIApp, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
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
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                if api and not any(k.lower() == b"cache-control" for k, _ in given):
                    headers.append((b"cache-control", API_CACHE_CONTROL.encode()))
                kind = dict(given).get(b"content-type", b"")
                if kind.startswith(b"text/html") and not scope.get("path", "").startswith(("/docs", "/redoc")):
                    headers.append((b"content-security-policy", REPORT_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except _TooLarge:
            if not started:
                await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": _too_large(self.max_bytes)}).encode()
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
        headers.append((b"cache-control", API_CACHE_CONTROL.encode()))
        start: dict[str, Any] = {"type": "http.response.start", "status": 413, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})


_SET = {k.encode() for k in SECURITY_HEADERS}
