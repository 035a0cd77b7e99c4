from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from liveshop.accounts import service, sign_in
from liveshop.accounts.dependencies import (
    SESSION_COOKIE,
    ClientAddress,
    CurrentUser,
    SignInGuardDep,
    bearer_scheme,
)
from liveshop.accounts.schemas import Credentials, LoginIn, LoginOut, UserOut
from liveshop.core.dependencies import DbSession, SettingsDep

router = APIRouter(prefix="/api/auth", tags=["accounts"])


# No request transaction (DbSession) here: the use cases run argon2 between short
# transactions of their own (accounts/sign_in.py).
@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register(
    body: Credentials, settings: SettingsDep, guard: SignInGuardDep, address: ClientAddress
) -> UserOut:
    user = sign_in.register_viewer(
        settings.resolved_database_url(),
        guard=guard,
        username=body.username,
        password=body.password,
        address=address,
    )
    return UserOut.model_validate(user)


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn, settings: SettingsDep, guard: SignInGuardDep, address: ClientAddress
) -> LoginOut:
    """A sign-in the risk checks challenge answers 401 second_factor_required: send
    it again with ``second_factor_code``."""
    answer = None
    if body.second_factor_code is not None:
        answer = sign_in.SecondFactorAnswer(
            code=body.second_factor_code, secret_key=settings.resolved_secret_key()
        )
    user, token = sign_in.log_in(
        settings.resolved_database_url(),
        guard=guard,
        username=body.username,
        password=body.password,
        address=address,
        second_factor=answer,
    )
    return LoginOut(token=token, user=UserOut.model_validate(user))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    request: Request,
    user: CurrentUser,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Response:
    """Revoke the token this request was made with (Bearer or session cookie)."""
    token = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE, "")
    service.revoke_token(session, token=token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", response_model=UserOut)
def me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
