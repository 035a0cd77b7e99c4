from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials

from liveshop.accounts import display_names, login_challenges, login_step_up, service, sign_in
from liveshop.accounts.dependencies import (
    SESSION_COOKIE,
    ClientAddress,
    CurrentUser,
    SignInGuardDep,
    bearer_scheme,
)
from liveshop.accounts.mail import Relay
from liveshop.accounts.models import User
from liveshop.accounts.passkeys_api import RelyingPartyDep
from liveshop.accounts.schemas import (
    DisplayNameIn,
    EmailCodeSentOut,
    LoginAnswerIn,
    LoginChallengeIn,
    LoginIn,
    LoginOut,
    RegistrationIn,
    UserOut,
)
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.core.languages import ReaderWords

router = APIRouter(prefix="/api/auth", tags=["accounts"])


# No request transaction (DbSession) here: the use cases run argon2 between short
# transactions of their own (accounts/sign_in.py).
@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register(
    body: RegistrationIn, settings: SettingsDep, guard: SignInGuardDep, address: ClientAddress
) -> UserOut:
    user = sign_in.register_viewer(
        settings.resolved_database_url(),
        guard=guard,
        username=body.username,
        password=body.password,
        address=address,
        display_name=body.display_name,
    )
    return UserOut.model_validate(user)


def step_up_body(error: sign_in.SecondFactorRequired) -> dict[str, Any]:
    """The 401 of a right password the risk checks step up: the challenge's token and
    the factors the account has (a wrong password's 401 names none)."""
    return {
        "detail": error.message,
        "code": error.code,
        "login_challenge": error.step_up.token,
        "factors": [factor.value for factor in error.step_up.factors],
        "email_hint": error.step_up.email_hint,
    }


@router.post("/login", response_model=LoginOut)
def login(
    body: LoginIn, settings: SettingsDep, guard: SignInGuardDep, address: ClientAddress
) -> Response:
    """A sign-in the risk checks challenge answers 401 second_factor_required with a
    ``login_challenge`` and the ``factors`` that answer it (``/login/verify``); with
    an authenticator app, sending it again with ``second_factor_code`` works too."""
    answer = None
    if body.second_factor_code is not None:
        answer = sign_in.SecondFactorAnswer(
            code=body.second_factor_code, secret_key=settings.resolved_secret_key()
        )
    try:
        user, token = sign_in.log_in(
            settings.resolved_database_url(),
            guard=guard,
            username=body.username,
            password=body.password,
            address=address,
            second_factor=answer,
        )
    except sign_in.SecondFactorRequired as error:
        return JSONResponse(step_up_body(error), status_code=error.status_code)
    return JSONResponse(LoginOut(token=token, user=UserOut.model_validate(user)).model_dump())


@router.post("/login/email-code", status_code=status.HTTP_202_ACCEPTED)
def send_login_email_code(
    body: LoginChallengeIn,
    session: DbSession,
    settings: SettingsDep,
    background: BackgroundTasks,
    words: ReaderWords,
) -> EmailCodeSentOut:
    """Email a six-digit code for the sign-in (10 minutes, once); one a minute, three a
    sign-in (429)."""
    mail = login_challenges.email_code(
        session, token=body.login_challenge, secret_key=settings.resolved_secret_key()
    )
    relay = Relay(settings.smtp_host, settings.smtp_port, settings.mail_from)
    background.add_task(login_challenges.send_login_code, mail, relay=relay, words=words)
    return EmailCodeSentOut(
        sent_to=login_challenges.mask_email(mail.recipient),
        resend_after_seconds=login_challenges.RESEND_SECONDS,
    )


@router.post("/login/passkey-options")
def login_passkey_options(
    body: LoginChallengeIn, session: DbSession, settings: SettingsDep, rp: RelyingPartyDep
) -> dict[str, Any]:
    """Options for ``navigator.credentials.get``, bound to this sign-in (2 minutes, once)."""
    return login_challenges.passkey_options(
        session, token=body.login_challenge, rp=rp, secret_key=settings.resolved_secret_key()
    )


@router.post("/login/verify")
def verify_login(
    body: LoginAnswerIn,
    settings: SettingsDep,
    rp: RelyingPartyDep,
    guard: SignInGuardDep,
    address: ClientAddress,
) -> LoginOut:
    """Answer the sign-in's challenge with one factor: ``code`` for totp or email,
    ``credential`` for passkey. A right answer makes this client known for the account."""
    user, token = login_step_up.finish_login(
        settings.resolved_database_url(),
        token=body.login_challenge,
        answer=body.answer(),
        secret_key=settings.resolved_secret_key(),
        rp=rp,
        guard=guard,
        address=address,
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


@router.put("/me/display-name", response_model=UserOut)
def set_my_display_name(body: DisplayNameIn, user: CurrentUser, session: DbSession) -> UserOut:
    """Set the name other people see (昵称), or clear it with null or blank: 422
    display_name_too_long, display_name_invalid, or display_name_refused by the filter."""
    own = session.get_one(User, user.id)  # the cached user is detached
    return UserOut.model_validate(
        display_names.set_display_name(session, user=own, display_name=body.display_name)
    )
