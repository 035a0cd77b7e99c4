"""Who is calling: a Bearer token (API) or the session cookie (pages, with CSRF).

Authentication runs in the event loop: a token in the cache costs no thread and
no query. Tokens not in the cache are looked up in batches, one query in one
worker thread for all the tokens that arrived meanwhile, so a crowd released at
once (a flash sale) costs a few queries rather than one thread hop and one
query per person.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from liveshop.accounts.models import User
from liveshop.accounts.service import token_cache, users_for_tokens
from liveshop.accounts.sign_in_guard import SignInGuard
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import SettingsDep
from liveshop.core.errors import NotAuthenticated, PermissionDenied
from liveshop.core.security import is_valid_csrf_token
from liveshop.core.settings import Settings

SESSION_COOKIE = "liveshop_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKENS_PER_QUERY = 500  # one IN list; far below PostgreSQL's 65,535 parameters

bearer_scheme = HTTPBearer(auto_error=False, description="a token from POST /api/auth/login")


class TokenLookups:
    """Cache misses of one database, gathered while a query runs, then looked up together.

    Bound to the event loop that created it (its futures belong to that loop).
    """

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self._waiting: dict[str, asyncio.Future[User | None]] = {}
        self._draining: asyncio.Task[None] | None = None

    async def user_for(self, token: str) -> User | None:
        waiting = self._waiting.get(token)
        if waiting is None:
            waiting = asyncio.get_running_loop().create_future()
            self._waiting[token] = waiting
            if self._draining is None:
                self._draining = asyncio.create_task(self._drain())
        # Shielded: a caller that goes away must not cancel the others' answer.
        return await asyncio.shield(waiting)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch = dict(list(self._waiting.items())[:TOKENS_PER_QUERY])
                for token in batch:
                    del self._waiting[token]
                try:
                    users = await asyncio.to_thread(self._look_up, list(batch))
                except Exception as error:  # every waiter gets the failure, none hangs
                    for future in batch.values():
                        if not future.done():
                            future.set_exception(error)
                    continue
                for token, future in batch.items():
                    if not future.done():
                        future.set_result(users.get(token))
        finally:
            self._draining = None

    def _look_up(self, tokens: list[str]) -> dict[str, User]:
        with unit_of_work(self.database_url, writes=False) as session:
            users = users_for_tokens(session, tokens=tokens)
        for token, user in users.items():
            token_cache.put(self.database_url, token, user)
        return users


_lookups: dict[tuple[asyncio.AbstractEventLoop, str], TokenLookups] = {}


async def user_for_token_cached(settings: Settings, token: str) -> User | None:
    """The token's user: from the cache in the event loop, else from a batched query.

    Each lookup runs in a short transaction of its own, so that an endpoint that
    does not touch the database (or does it in its own units of work) holds no
    transaction, and on SQLite no write lock, while it awaits.
    """
    database_url = settings.resolved_database_url()
    user = token_cache.get(database_url, token)
    if user is not None:
        return user
    key = (asyncio.get_running_loop(), database_url)
    lookups = _lookups.get(key)
    if lookups is None:
        for stale in [known for known in _lookups if known[0].is_closed()]:
            del _lookups[stale]
        lookups = _lookups[key] = TokenLookups(database_url)
    return await lookups.user_for(token)


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer`` header (as HTTPBearer reads it), or None."""
    authorization = request.headers.get("authorization")
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials:
        return None
    return credentials


async def caller(request: Request, settings: Settings, token: str | None) -> User | None:
    """The caller from a bearer ``token`` (None: none sent) or the session cookie."""
    if token is not None:
        user = await user_for_token_cached(settings, token)
        if user is None:
            raise NotAuthenticated("the token is invalid, expired or revoked", code="bad_token")
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    user = await user_for_token_cached(settings, cookie)
    if user is None:
        return None
    if request.method not in SAFE_METHODS:
        candidate = request.headers.get(CSRF_HEADER, "")
        if not is_valid_csrf_token(candidate, cookie, settings.resolved_secret_key()):
            raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")
    return user


async def required_caller(request: Request, settings: Settings) -> User:
    """For routes that read the request themselves: the caller, or NotAuthenticated."""
    user = await caller(request, settings, bearer_token(request))
    if user is None:
        raise NotAuthenticated("log in first: send Authorization: Bearer <token>")
    return user


async def optional_user(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User | None:
    return await caller(
        request, settings, credentials.credentials if credentials is not None else None
    )


async def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("log in first: send Authorization: Bearer <token>")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]


def client_address(request: Request) -> str:
    """The caller's address: the peer, or what a trusted proxy said in X-Forwarded-For
    (uvicorn's proxy headers, trusted from LIVESHOP_FORWARDED_ALLOW_IPS, set it)."""
    return request.client.host if request.client else "unknown"


def sign_in_guard(request: Request) -> SignInGuard:
    guard: SignInGuard = request.app.state.sign_in_guard
    return guard


ClientAddress = Annotated[str, Depends(client_address)]
SignInGuardDep = Annotated[SignInGuard, Depends(sign_in_guard)]
