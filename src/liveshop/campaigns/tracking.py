"""Attribution touches recorded behind requests: the cookie ``/l/{code}`` sets, or an
``X-Attribution: <code>`` header, marks a request as the link's.

The middleware only reads two headers and appends to an in-memory buffer (no
query, no thread); repeats of the same visitor, caller, link, kind and
room within ``REPEAT_SECONDS`` are dropped there. A task flushes the buffer every
``FLUSH_SECONDS``: it resolves the callers' tokens through accounts' cached
lookups and writes the touches in one transaction, off the request path. The
flash-sale fast path answers before this middleware, and WebSockets pass it
untouched, so neither pays anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Receive, Scope, Send

from liveshop.accounts.dependencies import SESSION_COOKIE, user_for_token_cached
from liveshop.campaigns.models import Touch, TouchKind, TrackingLink
from liveshop.core.clock import utcnow
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings

logger = logging.getLogger(__name__)

ATTRIBUTION_COOKIE = "ls_attr"
ATTRIBUTION_HEADER = b"x-attribution"
FLUSH_SECONDS = 2.0
REPEAT_SECONDS = 1_800.0  # one visit per visitor, link and room per half hour
MAX_BUFFERED = 50_000  # beyond this a burst's touches are dropped, never the requests
ROOM_PATH = re.compile(r"^/(?:api/)?rooms/([1-9][0-9]{0,17})$")
SKIPPED_PREFIXES = ("/static/", "/vendor/", "/l/", "/healthz", "/metrics", "/api/links/")
ANONYMOUS_VISITOR = "anonymous"
CODE_PATTERN = re.compile(r"^[a-z0-9]{4,16}$")
VISITOR_PATTERN = re.compile(r"^[a-f0-9]{16,32}$")


def new_visitor() -> str:
    return secrets.token_hex(8)


def cookie_value(code: str, visitor: str) -> str:
    return f"{code}.{visitor}"


def parse_attribution(value: str, *, credential: str | None) -> tuple[str, str] | None:
    """``code`` or ``code.visitor`` -> (code, visitor); a bare code's visitor is derived
    from the caller's credential (or ``anonymous``)."""
    code, _, visitor = value.strip().partition(".")
    if not CODE_PATTERN.match(code):
        return None
    if not VISITOR_PATTERN.match(visitor):
        visitor = (
            hashlib.sha256(credential.encode()).hexdigest()[:16]
            if credential
            else ANONYMOUS_VISITOR
        )
    return code, visitor


@dataclass(frozen=True, slots=True)
class PendingTouch:
    code: str
    visitor: str
    credential: str | None
    kind: TouchKind
    room_id: int | None
    at: datetime


class TouchRecorder:
    """The buffer the middleware fills and a task flushes to the database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database_url = settings.resolved_database_url()
        self.pending: list[PendingTouch] = []
        # A repeat is the same caller too: the visitor's first call once signed in must
        # reach the database, or their anonymous click is never linked to their account.
        self.recent: dict[tuple[str, str, str | None, TouchKind, int | None], float] = {}
        self.task: asyncio.Task[None] | None = None
        # One flush at a time: a caller's flush (a test, stop) waits for the task's write
        # in flight, so what was buffered before it is in the database when it returns.
        self.flushing = asyncio.Lock()

    def note(self, touch: PendingTouch) -> None:
        key = (touch.code, touch.visitor, touch.credential, touch.kind, touch.room_id)
        now = time.monotonic()
        last = self.recent.get(key)
        if last is not None and now - last < REPEAT_SECONDS:
            return
        if len(self.pending) >= MAX_BUFFERED:
            return
        self.recent[key] = now
        self.pending.append(touch)

    async def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
            self.task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                logger.exception("attribution touches could not be written")

    async def flush(self) -> int:
        """Write what is buffered; returns how many touches were written."""
        async with self.flushing:
            return await self._flush()

    async def _flush(self) -> int:
        batch, self.pending = self.pending, []
        if not batch:
            self._forget_old()
            return 0
        users: dict[str, int | None] = {}
        for credential in {touch.credential for touch in batch if touch.credential}:
            user = await user_for_token_cached(self.settings, credential)
            users[credential] = user.id if user is not None else None
        return await asyncio.to_thread(self._write, batch, users)

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - REPEAT_SECONDS
        self.recent = {key: at for key, at in self.recent.items() if at >= cutoff}

    def _write(self, batch: list[PendingTouch], users: dict[str, int | None]) -> int:
        with unit_of_work(self.database_url) as session:
            codes = {touch.code for touch in batch}
            link_ids = {
                code: link_id
                for code, link_id in session.execute(
                    select(TrackingLink.code, TrackingLink.id).where(TrackingLink.code.in_(codes))
                ).tuples()
            }
            rows = [
                Touch(
                    link_id=link_ids[touch.code],
                    visitor=touch.visitor,
                    user_id=users.get(touch.credential) if touch.credential else None,
                    kind=touch.kind,
                    room_id=touch.room_id,
                    at=touch.at,
                )
                for touch in batch
                if touch.code in link_ids
            ]
            session.add_all(rows)
            _link_visitors_to_users(session, rows)
            return len(rows)


def _link_visitors_to_users(session: Session, rows: list[Touch]) -> None:
    """A visitor seen signed in: their earlier anonymous touches are theirs too."""
    known = {
        row.visitor: row.user_id
        for row in rows
        if row.user_id is not None and row.visitor != ANONYMOUS_VISITOR
    }
    for visitor, user_id in known.items():
        session.execute(
            update(Touch)
            .where(Touch.visitor == visitor, Touch.user_id.is_(None))
            .values(user_id=user_id)
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class AttributionTouches:
    """ASGI middleware: note a touch for requests that carry an attribution code."""

    def __init__(self, app: ASGIApp, recorder: TouchRecorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            with contextlib.suppress(Exception):  # attribution never fails a request
                self._note(scope)
        await self.app(scope, receive, send)

    def _note(self, scope: Scope) -> None:
        path: str = scope.get("path", "")
        if path.startswith(SKIPPED_PREFIXES):
            return
        cookies = _cookies(_header(scope, b"cookie"))
        value = _header(scope, ATTRIBUTION_HEADER) or cookies.get(ATTRIBUTION_COOKIE)
        if not value:
            return
        credential = _credential(scope, cookies)
        parsed = parse_attribution(value, credential=credential)
        if parsed is None:
            return
        room = ROOM_PATH.match(path) if scope.get("method") in ("GET", "HEAD") else None
        self.recorder.note(
            PendingTouch(
                code=parsed[0],
                visitor=parsed[1],
                credential=credential,
                kind=TouchKind.VISIT if room else TouchKind.CALL,
                room_id=int(room.group(1)) if room else None,
                at=utcnow(),
            )
        )


def _cookies(header: str | None) -> dict[str, str]:
    """The two cookies this middleware reads (a plain split: SimpleCookie cost 50 us)."""
    found: dict[str, str] = {}
    if not header or ATTRIBUTION_COOKIE not in header:
        return found
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name in (ATTRIBUTION_COOKIE, SESSION_COOKIE):
            found[name] = value.strip('"')
    return found


def _credential(scope: Scope, cookies: dict[str, str]) -> str | None:
    authorization = _header(scope, b"authorization")
    if authorization:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token:
            return token
    return cookies.get(SESSION_COOKIE)
