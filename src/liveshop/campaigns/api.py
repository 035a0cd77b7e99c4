"""Campaigns, tracking links and QR codes, spend imports, metrics, share links."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.campaigns import (
    access,
    commissions,
    kol_accounts,
    link_experiments,
    links,
    metrics,
    referrals,
    service,
    spend,
)
from liveshop.campaigns.attribution import DEFAULT_WINDOW_DAYS, MAX_WINDOW_DAYS, AttributionModel
from liveshop.campaigns.schemas import (
    CampaignIn,
    CampaignOut,
    KolLineOut,
    LandingExperimentIn,
    LandingExperimentOut,
    LinkIn,
    LinkOut,
    MetricsOut,
    ReferralsOut,
    ShareLinkIn,
    SpendImportOut,
    SpendIn,
)
from liveshop.campaigns.tracking import ATTRIBUTION_COOKIE, cookie_value, new_visitor
from liveshop.core.db import separate_writing_unit
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import InvalidInput

router = APIRouter(tags=["campaigns"])
MAX_SPEND_BYTES = 5_000_000
SPEND_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {"schema": SpendIn.model_json_schema()},
            "text/csv": {"schema": {"type": "string"}},
        }
    }
}
QR_CACHE = "public, max-age=86400"
LinkCode = Annotated[str, Path(pattern=r"^[a-z0-9]{4,16}$", description="a link's code")]


@router.post("/api/campaigns", status_code=status.HTTP_201_CREATED)
def create_campaign(body: CampaignIn, user: CurrentUser, session: DbSession) -> CampaignOut:
    return service.campaign_out(service.create_campaign(session, actor=user, body=body))


@router.get("/api/campaigns")
def list_campaigns(user: CurrentUser, session: DbSession) -> list[CampaignOut]:
    return [service.campaign_out(c) for c in service.list_campaigns(session, actor=user)]


@router.get("/api/campaigns/kol-accounts")
def find_kol_accounts(
    user: CurrentUser, session: DbSession, q: Annotated[str, Query(max_length=40)] = ""
) -> list[dict[str, Any]]:
    """``[{"id", "username"}]``: hosts whose name contains ``q``, to pay as a link's KOL."""
    found = kol_accounts.find_kol_accounts(session, actor=user, name=q)
    return [{"id": account.id, "username": account.username} for account in found]


@router.get("/api/campaigns/kols")
def kol_leaderboard(user: CurrentUser, session: DbSession) -> list[KolLineOut]:
    """The shop's KOLs by attributed GMV (last touch), with their commissions (分)."""
    shop_id = access.shop_to_run_campaigns(session, actor=user)
    return [
        KolLineOut.model_validate(line, from_attributes=True)
        for line in commissions.kol_leaderboard(session, shop_id=shop_id)
    ]


@router.get("/api/campaigns/{campaign_id}")
def get_campaign(campaign_id: RowId, user: CurrentUser, session: DbSession) -> CampaignOut:
    campaign = service.managed_campaign(session, actor=user, campaign_id=campaign_id)
    return service.campaign_out(campaign)


@router.post("/api/campaigns/{campaign_id}/links", status_code=status.HTTP_201_CREATED)
def create_link(
    campaign_id: RowId, body: LinkIn, request: Request, user: CurrentUser, session: DbSession
) -> LinkOut:
    link = links.create_link(session, actor=user, campaign_id=campaign_id, body=body)
    return links.link_out(link, base_url=str(request.base_url))


@router.get("/api/campaigns/{campaign_id}/links")
def campaign_links(
    campaign_id: RowId, request: Request, user: CurrentUser, session: DbSession
) -> list[LinkOut]:
    found = links.campaign_links(session, actor=user, campaign_id=campaign_id)
    return [links.link_out(link, base_url=str(request.base_url)) for link in found]


async def _raw_body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_SPEND_BYTES:
        raise InvalidInput("the file is over 5 MB: split it by month", code="spend_too_large")
    return body


@router.post(
    "/api/campaigns/{campaign_id}/spend",
    status_code=status.HTTP_201_CREATED,
    openapi_extra=SPEND_BODY_DOC,
)
def import_spend(
    campaign_id: RowId,
    request: Request,
    raw: Annotated[bytes, Depends(_raw_body)],
    user: CurrentUser,
    session: DbSession,
    channel: Annotated[str | None, Query(max_length=40)] = None,
) -> SpendImportOut:
    """CSV (``date, channel, impressions, spend`` in minor units, or a Facebook Ads,
    Google Ads or Ocean Engine export) or JSON ``{"rows": [...]}``. A bad row refuses
    the whole import (422 naming the rows); importing a day again replaces it."""
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        rows, source = _json_rows(raw), "json"
    else:
        rows, source = spend.rows_from_csv(_decode(raw), channel=channel)
    return spend.import_spend(
        session, actor=user, campaign_id=campaign_id, rows=rows, source_format=source
    )


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM); Chinese exports are often GB18030."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidInput(
                "the file is neither UTF-8 nor GB18030", code="spend_encoding"
            ) from None


def _json_rows(raw: bytes) -> list[Any]:
    try:
        return SpendIn.model_validate_json(raw).rows
    except ValidationError as error:
        problems = []
        for detail in error.errors()[: spend.MAX_ERRORS_SHOWN]:
            location = detail["loc"]
            where = (
                f"row {int(location[1]) + 1}"
                if len(location) > 1 and location[0] == "rows" and isinstance(location[1], int)
                else "body"
            )
            field = location[2] if len(location) > 2 else ""
            problems.append(f"{where} {field}: {detail['msg']}".replace(" :", ":"))
        raise InvalidInput(
            "nothing imported: " + "; ".join(problems), code="spend_rows_invalid"
        ) from None


@router.get("/api/campaigns/{campaign_id}/metrics")
def campaign_metrics(
    campaign_id: RowId,
    user: CurrentUser,
    session: DbSession,
    by: metrics.Dimension = metrics.Dimension.CHANNEL,
    model: AttributionModel = AttributionModel.LAST_TOUCH,
    window_days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = DEFAULT_WINDOW_DAYS,
) -> MetricsOut:
    return metrics.campaign_metrics(
        session,
        actor=user,
        campaign_id=campaign_id,
        by=by,
        model=model,
        window_days=window_days,
    )


@router.post("/api/share-links", status_code=status.HTTP_201_CREATED)
def create_share_link(
    body: ShareLinkIn, request: Request, user: CurrentUser, session: DbSession
) -> LinkOut:
    link = links.share_link(session, sharer=user, target=body.target)
    return links.link_out(link, base_url=str(request.base_url))


@router.get("/api/me/referrals")
def my_referrals(
    request: Request, user: CurrentUser, session: DbSession, settings: SettingsDep
) -> ReferralsOut:
    """The caller's share links: clicks, attributed orders, and the commissions earned
    (pending, settled in the ledger, clawed back by refunds)."""
    return referrals.my_referrals(
        session,
        sharer=user,
        base_url=str(request.base_url),
        commission_bps=settings.share_commission_bps,
    )


@router.get("/api/links/{code}/qr.svg", response_class=Response)
def link_qr_svg(code: LinkCode, request: Request, session: DbSession) -> Response:
    link = links.link_by_code(session, code=code)
    url = links.link_out(link, base_url=str(request.base_url)).url
    return Response(
        links.qr_code(url, kind="svg"),
        media_type="image/svg+xml",
        headers={"Cache-Control": QR_CACHE},
    )


@router.get("/api/links/{code}/qr.png", response_class=Response)
def link_qr_png(code: LinkCode, request: Request, session: DbSession) -> Response:
    link = links.link_by_code(session, code=code)
    url = links.link_out(link, base_url=str(request.base_url)).url
    return Response(
        links.qr_code(url, kind="png"), media_type="image/png", headers={"Cache-Control": QR_CACHE}
    )


@router.get("/api/links/{code}/experiment")
def link_experiment(code: LinkCode, user: CurrentUser, session: DbSession) -> LandingExperimentOut:
    """The landing-page test on the link (its campaign's managers; 404 when none)."""
    return link_experiments.attached_landings(session, actor=user, code=code)


@router.put("/api/links/{code}/experiment")
def change_link_experiment(
    code: LinkCode, body: LandingExperimentIn, user: CurrentUser, session: DbSession
) -> LandingExperimentOut:
    """A/B test where the link's clicks land: per variant a room, product or coupon of
    the shop and a creative; attach, or change while nobody was exposed (else 409)."""
    return link_experiments.change_landings(session, actor=user, code=code, body=body)


@router.delete("/api/links/{code}/experiment", status_code=status.HTTP_204_NO_CONTENT)
def detach_link_experiment(code: LinkCode, user: CurrentUser, session: DbSession) -> None:
    """Every click lands on the link's own target again, while nobody was exposed."""
    link_experiments.detach_landings(session, actor=user, code=code)


@router.get("/l/{code}", include_in_schema=False)
def follow_link(
    code: LinkCode,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> RedirectResponse:
    """Record the click and send the visitor on, with the first-party attribution
    cookie (HttpOnly, SameSite=Lax, Secure when the site is served over TLS)."""
    link = links.link_by_code(session, code=code)
    visitor = _visitor_of(request) or new_visitor()
    with separate_writing_unit(session) as writer:  # a GET that records its click
        path = link_experiments.follow(writer, code=code, visitor=visitor, user=user)
    response = RedirectResponse(path, status_code=status.HTTP_302_FOUND)
    response.set_cookie(
        ATTRIBUTION_COOKIE,
        cookie_value(link.code, visitor),
        max_age=DEFAULT_WINDOW_DAYS * 86_400,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies or request.url.scheme == "https",
        path="/",
    )
    return response


def _visitor_of(request: Request) -> str | None:
    """Keep the visitor id of an earlier link, so one person is one viewer."""
    current = request.cookies.get(ATTRIBUTION_COOKIE, "")
    _code, _, visitor = current.partition(".")
    return visitor if len(visitor) == 16 and visitor.isalnum() else None
