"""Password hashing (argon2), opaque tokens stored hashed, CSRF tokens, the pages'
security headers and the WebSocket's Origin check."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_hasher = PasswordHasher()
# Verifying against this keeps a login for an unknown user as slow as a wrong password.
_DUMMY_HASH = _hasher.hash("liveshop-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Tokens carry 256 random bits, so a fast hash is enough to store them safely."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token_for(session_token: str, secret_key: str) -> str:
    """A CSRF token bound to the browser session (signed double submit)."""
    return hmac.new(secret_key.encode(), b"csrf:" + session_token.encode(), "sha256").hexdigest()


def is_valid_csrf_token(candidate: str, session_token: str, secret_key: str) -> bool:
    return hmac.compare_digest(candidate, csrf_token_for(session_token, secret_key))


# Scripts only from our own files (web/static/*.js): no inline script, no eval.
# Styles may be inline: templates carry <style> blocks and Plotly injects its own.
# Images and video come from merchants' and streams' own hosts. frame-ancestors
# (and X-Frame-Options for older browsers): the room has one-click buy, so no
# other site may frame it to trick a click.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https: http:; media-src 'self' blob: https: http:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)


def _secure_cookie(header: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    name, value = header
    if name.lower() != b"set-cookie":
        return header
    attributes = [part.strip().lower() for part in value.split(b";")[1:]]
    return header if b"secure" in attributes else (name, value + b"; Secure")


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response, and
    ``Secure`` on every cookie when the request came over HTTPS (uvicorn sets the
    scheme from a trusted proxy's X-Forwarded-Proto) or ``secure_cookies`` says so.

    WebSocket scopes pass straight through: the room's fan-out never sees it.
    """

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure_cookies = secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_secure = self.secure_cookies or scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if is_secure:
                    headers = [_secure_cookie(header) for header in headers]
                present = {name.lower() for name, _value in headers}
                headers += [header for header in SECURITY_HEADERS if header[0] not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


DEFAULT_PORTS = {"http": 80, "https": 443}


def is_allowed_origin(origin: str | None, *, host: str | None, allowed: Collection[str]) -> bool:
    """Whether a browser page of ``origin`` may open a WebSocket to this site.

    No Origin header: not a browser (benchmarks, OBS tools, other servers), which
    no other site can drive, so allowed. Else the Origin must be one of ``allowed``
    (lowercase, no trailing slash) or the site's own: the host and port the request
    was sent to (its Host header). The scheme is not compared, since a TLS proxy in
    front may not say it was HTTPS; a port left out is the Origin scheme's default.
    """
    if origin is None:
        return True
    normalised = origin.strip().rstrip("/").lower()
    if normalised in allowed:
        return True
    if not host:
        return False
    try:
        page = urlsplit(normalised)
        site = urlsplit(f"//{host.strip().lower()}")
        default_port = DEFAULT_PORTS.get(page.scheme)
        if default_port is None or not page.hostname:  # "null", file:, extensions
            return False
        same_port = (page.port or default_port) == (site.port or default_port)
        return page.hostname == site.hostname and same_port
    except ValueError:  # a malformed port is no origin of ours
        return False
