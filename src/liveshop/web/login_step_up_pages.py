"""The sign-in's second step in the browser: a right password that the risk checks
step up shows the factors the account has (the authenticator app's code, a passkey,
a code sent by email); ``POST /login/verify`` answers the challenge and signs in.

Like the sign-in form, no request transaction here: ``login_step_up.finish_login``
commits a wrong answer in its own unit of work before refusing it."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from liveshop.accounts import login_challenges, login_step_up, sign_in
from liveshop.accounts.dependencies import ClientAddress, SignInGuardDep
from liveshop.accounts.login_challenges import ChallengeAnswer, Factor, StepUp
from liveshop.accounts.webauthn_challenges import relying_party
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import SettingsDep
from liveshop.core.errors import LiveShopError
from liveshop.web.form_refusals import form_refusal
from liveshop.web.i18n import N_
from liveshop.web.pages import (
    _check_form_csrf,
    _render,
    _safe_next,
    _signed_in,
    remember_reader,
)

router = APIRouter(include_in_schema=False)

MAX_CREDENTIAL_CHARS = 20_000  # a passkey assertion is a few kilobytes of JSON
# A wrong answer, in the user's words; the challenge stays and the page asks again.
STEP_UP_MESSAGES = {
    "wrong_second_factor": N_("验证未通过：验证码不正确、已过期，或通行密钥未通过，请重试"),
    "no_passkey_challenge": N_("通行密钥验证已过期，请重试"),
    "factor_unavailable": N_("该账号不能使用这种验证方式"),
}
# The sign-in is over (expired, used, or too many wrong answers): start again.
START_AGAIN_MESSAGES = {
    "login_challenge_invalid": N_("本次登录已过期或已完成，请重新输入密码"),
    "second_factor_locked": N_("验证错误次数过多，本次登录已锁定，请稍后重新登录"),
}


def step_up_page(
    request: Request,
    settings: SettingsDep,
    step_up: StepUp,
    *,
    next_path: str,
    error: str | None = None,
) -> Response:
    """The second step's page (401: the visitor is not signed in yet)."""
    response = _render(
        request,
        "login_step_up.html",
        settings,
        None,
        step_up=step_up,
        factors=[factor.value for factor in step_up.factors],
        next_path=next_path,
        error=error,
        code_minutes=login_challenges.EMAIL_CODE_MINUTES,
    )
    response.status_code = 401
    return response


def _start_again(request: Request, settings: SettingsDep, error: LiveShopError) -> Response:
    message, values = (
        (START_AGAIN_MESSAGES[error.code], {})
        if error.code in START_AGAIN_MESSAGES
        else form_refusal(error)
    )
    response = _render(
        request,
        "login.html",
        settings,
        None,
        mode="login",
        error=message,
        error_values=values,
    )
    response.status_code = error.status_code
    return response


def _credential(text: str) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}  # not an assertion: refused as a wrong one
    return parsed if isinstance(parsed, dict) else {}


@router.post("/login/verify", response_class=HTMLResponse)
def login_verify_submit(
    request: Request,
    settings: SettingsDep,
    guard: SignInGuardDep,
    address: ClientAddress,
    csrf_token: Annotated[str, Form()],
    login_challenge: Annotated[str, Form(min_length=20, max_length=100)],
    factor: Annotated[Factor, Form()],
    next: Annotated[str, Form(max_length=500)] = "/",
    code: Annotated[str, Form(max_length=12)] = "",
    credential: Annotated[str, Form(max_length=MAX_CREDENTIAL_CHARS)] = "",
) -> Response:
    _check_form_csrf(request, settings, csrf_token)
    target = _safe_next(next)
    answer = ChallengeAnswer(factor=factor, code=code.strip(), credential=_credential(credential))
    rp = relying_party(
        rp_id=settings.webauthn_rp_id,
        origin=settings.webauthn_origin,
        request_url=str(request.base_url),
    )
    try:
        _user, token = login_step_up.finish_login(
            settings.resolved_database_url(),
            token=login_challenge,
            answer=answer,
            secret_key=settings.resolved_secret_key(),
            rp=rp,
            guard=guard,
            address=address,
        )
    except (login_challenges.LoginChallengeInvalid, sign_in.SecondFactorLocked) as error:
        return _start_again(request, settings, error)
    except LiveShopError as error:
        try:
            with unit_of_work(settings.resolved_database_url(), writes=False) as session:
                step_up = login_challenges.step_up_of(session, token=login_challenge)
        except login_challenges.LoginChallengeInvalid as over:
            return _start_again(request, settings, over)
        message = STEP_UP_MESSAGES.get(error.code, error.message)
        return step_up_page(request, settings, step_up, next_path=target, error=message)
    remember_reader(request, settings, user_id=_user.id)
    return _signed_in(token, target)
