"""Who is calling: a Bearer token (API) or the session cookie (pages, with CSRF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from liveshop.accounts.models import User
from liveshop.accounts.service import token_cache, user_for_token
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import SettingsDep
from liveshop.core.errors import NotAuthenticated, PermissionDenied
from liveshop.core.security import is_valid_csrf_token
from liveshop.core.settings import Settings

SESSION_COOKIE = "liveshop_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(auto_error=False, description="a token from POST /api/auth/login")


def _user_for(settings: Settings, token: str) -> User | None:
    """Looked up in a short transaction of its own, so that an endpoint that does
    not touch the database (or does it in its own units of work) holds no
    transaction, and on SQLite no write lock, while it awaits."""
    database_url = settings.resolved_database_url()
    user = token_cache.get(database_url, token)
    if user is None:
        with unit_of_work(database_url) as session:
            user = user_for_token(session, token=token)
        if user is not None:
            token_cache.put(database_url, token, user)
    return user


def optional_user(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User | None:
    if credentials is not None:
        user = _user_for(settings, credentials.credentials)
        if user is None:
            raise NotAuthenticated("the token is invalid, expired or revoked", code="bad_token")
        return user
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    user = _user_for(settings, cookie)
    if user is None:
        return None
    if request.method not in SAFE_METHODS:
        candidate = request.headers.get(CSRF_HEADER, "")
        if not is_valid_csrf_token(candidate, cookie, settings.resolved_secret_key()):
            raise PermissionDenied("missing or wrong CSRF token", code="csrf_failed")
    return user


def current_user(user: Annotated[User | None, Depends(optional_user)]) -> User:
    if user is None:
        raise NotAuthenticated("log in first: send Authorization: Bearer <token>")
    return user


CurrentUser = Annotated[User, Depends(current_user)]
OptionalUser = Annotated[User | None, Depends(optional_user)]
