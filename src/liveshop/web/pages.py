"""Server-rendered pages. Forms carry a CSRF token bound to the session cookie."""

from __future__ import annotations

import re
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from liveshop.accounts import service as accounts
from liveshop.accounts import sign_in
from liveshop.accounts.dependencies import (
    SESSION_COOKIE,
    ClientAddress,
    OptionalUser,
    SignInGuardDep,
)
from liveshop.accounts.models import User
from liveshop.accounts.schemas import USERNAME_PATTERN
from liveshop.campaigns import referrals
from liveshop.catalog import access as catalog_access
from liveshop.catalog import service as catalog
from liveshop.core.db import unit_of_work
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.core.errors import (
    InvalidInput,
    LiveShopError,
    NotAuthenticated,
    PermissionDenied,
    RateLimited,
)
from liveshop.core.security import csrf_token_for, is_valid_csrf_token, new_token
from liveshop.live import access as live_access
from liveshop.live import service as live
from liveshop.live import shelf_experiments
from liveshop.live.models import RoomStatus
from liveshop.media.recordings import replay_state
from liveshop.payments import access as payments_access
from liveshop.payments.charges import own_payment
from liveshop.payments.context import payment_context
from liveshop.payments.models import OwnerType
from liveshop.payments.settlement import payouts_report
from liveshop.web import i18n
from liveshop.web.feeds import home_feed
from liveshop.web.form_refusals import ASKS_SECOND_FACTOR, form_refusal
from liveshop.web.i18n import N_
from liveshop.web.media_csp import allow_media_connections
from liveshop.web.templating import request_locale, templates_for

HERE = FilePath(__file__).parent
router = APIRouter(include_in_schema=False)

PRE_SESSION_COOKIE = "liveshop_presession"  # CSRF binding for the login and register forms
WELCOME_COOKIE = "liveshop_welcome"  # set by sign-up: the home page greets the newcomer once
MIN_PASSWORD_LENGTH = 8  # the same bounds as the JSON API's Credentials
MAX_PASSWORD_LENGTH = 256
# The sandbox wallet page says no more than this, whether the reference is unknown or the
# payment is someone else's (to them it does not exist).
UNKNOWN_PAYMENT = N_("找不到这笔付款，链接可能已失效")


def static_files() -> StaticFiles:
    return StaticFiles(directory=HERE / "static")


def _render(
    request: Request, name: str, settings: SettingsDep, user: User | None, **context: Any
) -> HTMLResponse:
    binding = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE)
    fresh_binding = None
    if not binding:
        binding = fresh_binding = new_token()
    context |= {
        "user": user,
        "csrf_token": csrf_token_for(binding, settings.resolved_secret_key()),
    }
    response = templates_for(request_locale(request)).TemplateResponse(request, name, context)
    response.headers["Vary"] = "Accept-Language, Cookie"  # the language follows both
    if fresh_binding:
        response.set_cookie(PRE_SESSION_COOKIE, fresh_binding, httponly=True, samesite="lax")
    return response


def login_redirect(path: str) -> Response:
    """A signed-out visitor's way to a page: the login form, which comes back to ``path``."""
    return RedirectResponse(f"/login?next={path}", status_code=303)


def _check_form_csrf(request: Request, settings: SettingsDep, csrf_token: str) -> None:
    binding = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE, "")
    if not binding or not is_valid_csrf_token(csrf_token, binding, settings.resolved_secret_key()):
        raise PermissionDenied("the form expired; reload the page", code="csrf_failed")


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    # Rooms in the recommended order with their reasons, and products picked for the viewer.
    engine = getattr(request.app.state, "recommendations", None)
    welcome = user is not None and request.cookies.get(WELCOME_COOKIE) == "1"
    translate = i18n.translations(request_locale(request)).gettext
    feed = home_feed(session, engine, user, translate=translate)
    page = _render(request, "home.html", settings, user, welcome=welcome, **feed)
    if welcome:  # once, right after sign-up
        page.delete_cookie(WELCOME_COOKIE)
    return page


@router.get("/rooms/{room_id}", response_class=HTMLResponse)
def room_page(
    room_id: int, request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    room = live.room_out(session, live.get_room(session, room_id=room_id))
    # An A/B tested shelf keeps the order the server gives each viewer (no re-ranking).
    shelf_tested = shelf_experiments.is_tested(session, room_id=room_id)
    replay = replay_state(session, room_id=room_id) if room.status is RoomStatus.ENDED else None
    page = _render(
        request, "room.html", settings, user, room=room, shelf_tested=shelf_tested, replay=replay
    )
    return allow_media_connections(page, settings)


@router.get("/host/rooms/{room_id}", response_class=HTMLResponse)
def host_console(
    room_id: int, request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect(f"/host/rooms/{room_id}")
    room = live.get_room(session, room_id=room_id)
    live_access.require_room_runner(user, room=room)
    questions = live.list_questions(session, room_id=room_id)
    shop = catalog.shop_of(session, user=user)
    return _render(
        request,
        "host.html",
        settings,
        user,
        room=live.room_out(session, room),
        questions=questions,
        shop_id=shop.id if shop else None,
    )


@router.get("/orders", response_class=HTMLResponse)
def my_orders_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    if user is None:
        return login_redirect("/orders")
    return _render(request, "orders.html", settings, user)


@router.get("/merchant", response_class=HTMLResponse)
def merchant_console(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/merchant")
    if not catalog_access.can_open_shop(user):
        raise PermissionDenied("only merchants open the merchant console", code="wrong_role")
    shop = catalog.shop_of(session, user=user)
    return _render(request, "merchant.html", settings, user, shop=shop)


@router.get("/wallet", response_class=HTMLResponse)
def wallet_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/wallet")
    shared = (  # what the viewer's share links earned (a regulator shares nothing)
        referrals.my_referrals(
            session,
            sharer=user,
            base_url=str(request.base_url),
            commission_bps=settings.share_commission_bps,
        )
        if catalog_access.can_shop(user)
        else None
    )
    return _render(request, "wallet.html", settings, user, referrals=shared)


@router.get("/earnings", response_class=HTMLResponse)
def earnings_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/earnings")
    payments_access.require_earner(user)
    shop = catalog.shop_of(session, user=user) if catalog_access.can_open_shop(user) else None
    payouts = payouts_report(session, owner_type=OwnerType.SHOP, owner_id=shop.id) if shop else []
    return _render(request, "earnings.html", settings, user, shop=shop, payouts=payouts)


@router.get("/account/security", response_class=HTMLResponse)
def security_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/account/security")
    shown = session.get_one(User, user.id).display_name  # the cached user may be stale
    return _render(request, "security.html", settings, user, display_name=shown)


@router.get("/sandbox/wallet/{reference}", response_class=HTMLResponse)
def sandbox_wallet_page(
    reference: Annotated[str, Path(max_length=120)],
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
    back: Annotated[str, Query(alias="return", max_length=500)] = "/orders",
) -> Response:
    """The sandbox's stand-in for a third-party wallet's checkout page: the payer's
    alone (to anyone else the payment does not exist, as on the approval itself)."""
    if user is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return login_redirect(quote(here))
    gateway = payment_context(settings).gateway
    try:
        approval = gateway.read_wallet_reference(reference)
        own_payment(session, buyer=user, payment_id=approval.payment_id)
    except LiveShopError as error:
        response = _render(
            request, "sandbox_wallet.html", settings, user, approval=None, error=UNKNOWN_PAYMENT
        )
        response.status_code = error.status_code
        return response
    return _render(
        request,
        "sandbox_wallet.html",
        settings,
        user,
        approval=approval,
        error=None,
        back=_safe_next(back),
    )


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    return _render(request, "login.html", settings, user, mode="login", error=None)


@router.get("/register", response_class=HTMLResponse)
def register_page(request: Request, settings: SettingsDep, user: OptionalUser) -> Response:
    return _render(request, "login.html", settings, user, mode="register", error=None)


def _safe_next(target: str) -> str:
    """Only same-site paths: never an open redirect (browsers read a backslash as a
    slash, so "/\\evil.example" would leave the site too)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(character) < 0x20 for character in target):
        return "/"
    return target


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    settings: SettingsDep,
    guard: SignInGuardDep,
    address: ClientAddress,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    second_factor_code: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    _check_form_csrf(request, settings, csrf_token)
    answer = None
    if second_factor_code.strip():
        answer = sign_in.SecondFactorAnswer(
            code=second_factor_code.strip(), secret_key=settings.resolved_secret_key()
        )
    try:
        _user, token = sign_in.log_in(
            settings.resolved_database_url(),
            guard=guard,
            username=username,
            password=password,
            address=address,
            second_factor=answer,
        )
    except sign_in.SecondFactorRequired as required:  # the factors the account has
        from liveshop.web.login_step_up_pages import step_up_page  # it builds on this module

        return step_up_page(request, settings, required.step_up, next_path=_safe_next(next))
    except (NotAuthenticated, RateLimited, *sign_in.RISK_REFUSALS) as error:
        message, values = form_refusal(error)
        response = _render(
            request,
            "login.html",
            settings,
            None,
            mode="login",
            error=message,
            error_values=values,
            ask_second_factor=error.code in ASKS_SECOND_FACTOR,
            username=username,
        )
        response.status_code = error.status_code
        response.headers.update(error.headers())
        return response
    remember_reader(request, settings, user_id=_user.id)
    return _signed_in(token, _safe_next(next))


@router.post("/register", response_class=HTMLResponse)
def register_submit(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    guard: SignInGuardDep,
    address: ClientAddress,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
    display_name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    _check_form_csrf(request, settings, csrf_token)
    try:
        if not re.fullmatch(USERNAME_PATTERN, username):
            raise InvalidInput(
                "the username needs 3-40 letters, digits, _ or -", code="bad_username"
            )
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise InvalidInput(
                f"the password needs {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
                code="bad_password",
            )
        user = sign_in.register_viewer(
            settings.resolved_database_url(),
            guard=guard,
            username=username,
            password=password,
            address=address,
            display_name=display_name,
        )
    except LiveShopError as error:
        session.rollback()
        message, values = form_refusal(error)
        response = _render(
            request,
            "login.html",
            settings,
            None,
            mode="register",
            error=message,
            error_values=values,
            username=username,
            display_name=display_name,
        )
        response.status_code = error.status_code
        response.headers.update(error.headers())
        return response
    remember_reader(request, settings, user_id=user.id)  # before this request's own writes
    signed_in = _signed_in(accounts.issue_token(session, user=user), _safe_next(next))
    signed_in.set_cookie(WELCOME_COOKIE, "1", httponly=True, samesite="lax", max_age=600)
    return signed_in


def remember_reader(request: Request, settings: SettingsDep, *, user_id: int) -> None:
    """The language of the page a person signs in, signs up or switches on is the one
    their mail is written in (its own short transaction, as a sign-in's are)."""
    with unit_of_work(settings.resolved_database_url()) as session:
        accounts.remember_locale(session, user_id=user_id, locale=request_locale(request))


def _signed_in(token: str, target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", max_age=30 * 86400)
    response.delete_cookie(PRE_SESSION_COOKIE)
    return response


@router.get("/locale")
def choose_language(
    settings: SettingsDep,
    user: OptionalUser,
    to: Annotated[str, Query(max_length=10)],
    next: Annotated[str, Query(max_length=500)] = "/",
) -> Response:
    """The footer's language switch: remembers the choice in a cookie (it outranks the
    browser's Accept-Language) and, for a signed-in person, on the account (their mail's
    language), then goes back to the page. A GET link, as PyPI's is: it works on every
    page, error pages included, and changes nothing but the language."""
    response = RedirectResponse(_safe_next(next), status_code=303)
    if to in i18n.LOCALES:
        if user is not None:
            with unit_of_work(settings.resolved_database_url()) as session:
                accounts.remember_locale(session, user_id=user.id, locale=to)
        response.set_cookie(
            i18n.LOCALE_COOKIE,
            to,
            max_age=i18n.LOCALE_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
        )
    return response


@router.post("/logout")
def logout_submit(
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()],
) -> Response:
    _check_form_csrf(request, settings, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.revoke_token(session, token=token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
