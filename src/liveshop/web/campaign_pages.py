"""Campaign pages: the campaigns list with the KOL leaderboard, a campaign's dashboard
(metrics table and Plotly charts, the definitions, the link builder with QR codes),
and an experiment's results. Figures come from the campaigns services; the page's
script only draws charts and posts the link builder's form to the JSON API."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from liveshop.accounts.dependencies import OptionalUser
from liveshop.campaigns import access, commissions, experiments, links, metrics, service
from liveshop.campaigns.links import parse_target
from liveshop.campaigns.metrics import Dimension
from liveshop.campaigns.models import TargetKind
from liveshop.campaigns.schemas import GOALS, KNOWN_CHANNELS
from liveshop.catalog import service as catalog
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.core.errors import NotFound
from liveshop.live import service as live
from liveshop.promotions import coupon_experiments, coupons
from liveshop.web.analytics_pages import PLOTLY_PATH
from liveshop.web.i18n import N_
from liveshop.web.pages import _render, login_redirect

router = APIRouter(include_in_schema=False)

LABELS = {
    "impressions": N_("曝光"),
    "clicks": N_("点击"),
    "ctr": N_("点击率 CTR"),
    "visits": N_("进房"),
    "viewers": N_("观众（去重）"),
    "orders": N_("订单"),
    "conversion_rate": N_("转化率"),
    "gmv": N_("成交额 GMV（元）"),
    "refunds": N_("退款（元）"),
    "net_gmv": N_("净成交额（元）"),
    "spend": N_("花费（元）"),
    "cpc": N_("单次点击成本 CPC（元）"),
    "cpa": N_("单笔订单成本 CPA（元）"),
    "roas": N_("广告回报 ROAS"),
    "roi": N_("投资回报 ROI"),
}
CHANNEL_LABELS = {
    "douyin": N_("抖音"),
    "wechat": N_("微信"),
    "weibo": N_("微博"),
    "xiaohongshu": N_("小红书"),
    "tiktok": "TikTok",
    "instagram": "Instagram",
    "facebook": "Facebook",
    "share": N_("观众分享"),
}
GOAL_LABELS = {
    "awareness": N_("品牌曝光"),
    "traffic": N_("引流"),
    "room_visits": N_("直播间进房"),
    "sales": N_("销售"),
    "followers": N_("涨粉"),
}
TARGET_KIND_LABELS = {
    TargetKind.ROOM: N_("直播间"),
    TargetKind.PRODUCT: N_("商品"),
    TargetKind.COUPON: N_("优惠券"),
}
# campaigns.metrics.DEFINITIONS, as the page's people read them
DEFINITIONS = {
    "impressions": N_("广告被展示的次数，来自导入的花费数据"),
    "clicks": N_("推广链接被打开的次数"),
    "ctr": N_("点击 ÷ 曝光"),
    "visits": N_("带着链接归因进入直播间或打开直播间的次数"),
    "viewers": N_("点击或进房的去重访客数"),
    "orders": N_("归因到链接的已支付订单（线性归因时一笔订单按比例分摊）"),
    "conversion_rate": N_("订单 ÷ 观众（去重）"),
    "gmv": N_("归因订单的实付金额"),
    "refunds": N_("归因订单至今的退款金额"),
    "net_gmv": N_("成交额 − 退款"),
    "spend": N_("导入的广告花费"),
    "cpc": N_("花费 ÷ 点击"),
    "cpa": N_("花费 ÷ 订单"),
    "roas": N_("成交额 ÷ 花费"),
    "roi": N_("（成交额 − 花费）÷ 花费"),
}
MONEY = frozenset({"gmv", "refunds", "net_gmv", "spend", "cpc", "cpa"})
PERCENT = frozenset({"ctr", "conversion_rate"})


def shown(column: str, value: object) -> str:
    """A figure as people read it: yuan for money, percent for rates, – for none."""
    if value is None:
        return "–"
    if column in MONEY and isinstance(value, int | float):
        return f"{value / 100:,.2f}"
    if column in PERCENT and isinstance(value, int | float):
        return f"{value * 100:.2f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def channel_label(channel: str) -> str:
    """A known channel by its name (a msgid, translated where it is shown); a merchant's
    own channel as they wrote it."""
    return CHANNEL_LABELS.get(channel, channel)


def target_name(session: Session, target: str) -> tuple[str, str | None]:
    """Where a link leads as people know it: its kind (a msgid: "商品", "直播间") and
    its name ("保温杯"), None once it was deleted."""
    kind, target_id = parse_target(target)
    try:
        if kind is TargetKind.PRODUCT:
            name = catalog.get_product(session, product_id=target_id).title
        elif kind is TargetKind.ROOM:
            name = live.get_room(session, room_id=target_id).title
        else:
            name = coupons.get_coupon(session, coupon_id=target_id).name
    except NotFound:
        return TARGET_KIND_LABELS[kind], None
    return TARGET_KIND_LABELS[kind], name


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns_page(
    request: Request, session: DbSession, settings: SettingsDep, user: OptionalUser
) -> Response:
    if user is None:
        return login_redirect("/campaigns")
    shop_id = access.shop_to_run_campaigns(session, actor=user)
    return _render(
        request,
        "campaigns.html",
        settings,
        user,
        campaigns=service.list_campaigns(session, actor=user),
        leaderboard=commissions.kol_leaderboard(session, shop_id=shop_id),
        channels=KNOWN_CHANNELS,
        goals=GOALS,
        goal_labels=GOAL_LABELS,
        channel_label=channel_label,
        shown=shown,
    )


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign_page(
    campaign_id: RowId,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    if user is None:
        return login_redirect(f"/campaigns/{campaign_id}")
    campaign = service.managed_campaign(session, actor=user, campaign_id=campaign_id)
    base_url = str(request.base_url)
    by_channel = metrics.campaign_metrics(
        session, actor=user, campaign_id=campaign.id, by=Dimension.CHANNEL
    )
    return _render(
        request,
        "campaign.html",
        settings,
        user,
        campaign=campaign,
        report=by_channel,
        columns=list(LABELS),
        labels=LABELS,
        definitions=DEFINITIONS,
        links=[
            (out, target_name(session, out.target))
            for out in (
                links.link_out(link, base_url=base_url)
                for link in links.campaign_links(session, actor=user, campaign_id=campaign.id)
            )
        ],
        channel_label=channel_label,
        shown=shown,
        plotly_path=PLOTLY_PATH,
    )


@router.get("/experiments/{experiment_id}", response_class=HTMLResponse)
def experiment_page(
    experiment_id: RowId,
    request: Request,
    session: DbSession,
    settings: SettingsDep,
    user: OptionalUser,
) -> Response:
    if user is None:
        return login_redirect(f"/experiments/{experiment_id}")
    results = experiments.results(session, actor=user, experiment_id=experiment_id)
    shop_id = experiments.get_experiment(session, experiment_id=experiment_id).shop_id
    return _render(
        request,
        "experiment.html",
        settings,
        user,
        results=results,
        can_change=coupon_experiments.can_test_coupons(session, actor=user, shop_id=shop_id),
        testable_coupons=coupon_experiments.testable_coupons(session, actor=user, shop_id=shop_id),
        plotly_path=PLOTLY_PATH,
    )
