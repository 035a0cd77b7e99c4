"""The ASGI application: routers, the error handler, and the hub's lifecycle.

The domains are connected in ``liveshop.wiring`` (the composition root):
``create_app`` fills the registries, the lifespan subscribes the listeners.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from liveshop import __version__
from liveshop.accounts.api import router as accounts_router
from liveshop.accounts.passkeys_api import router as passkeys_router
from liveshop.accounts.password_reset_api import router as password_reset_router
from liveshop.accounts.sign_in_guard import make_sign_in_guard
from liveshop.accounts.totp_api import router as totp_router
from liveshop.analytics.api import router as analytics_router
from liveshop.analytics.platform_events import RecordPlatformSales
from liveshop.assistant.api import router as assistant_router
from liveshop.assistant.responder import warm_up_assistant
from liveshop.auctions.api import router as auctions_router
from liveshop.auctions.bid_fast_path import AuctionBidFastPath
from liveshop.auctions.jobs import run_auction_jobs_forever, run_bid_persister_forever
from liveshop.campaigns.api import router as campaigns_router
from liveshop.campaigns.audiences_api import router as audiences_router
from liveshop.campaigns.commissions import run_commission_jobs_forever
from liveshop.campaigns.experiments_api import router as experiments_router
from liveshop.campaigns.tracking import AttributionTouches, TouchRecorder
from liveshop.catalog.api import router as catalog_router
from liveshop.core.background import BackgroundJobs
from liveshop.core.bus import bus
from liveshop.core.errors import LiveShopError
from liveshop.core.risk import ClientFactsMiddleware
from liveshop.core.security import SecurityHeaders
from liveshop.core.settings import Settings, get_settings
from liveshop.events.api import router as events_router
from liveshop.governance.api import routers as enforcement_routers
from liveshop.governance.regulator_api import router as regulator_router
from liveshop.live.api import router as live_router
from liveshop.live.held_comments_api import router as held_comments_router
from liveshop.live.hub import LiveHub
from liveshop.live.realtime import router as realtime_router
from liveshop.live.relay import make_relay
from liveshop.live.subscribers import KeepServerSend
from liveshop.media.api import callbacks as media_callbacks_router
from liveshop.media.api import router as media_router
from liveshop.media.broadcast import router as media_broadcast_router
from liveshop.notifications.api import router as notifications_router
from liveshop.notifications.jobs import run_notification_jobs_forever
from liveshop.notifications.streams import NotificationStreams
from liveshop.orders.api import router as orders_router
from liveshop.orders.cart_api import router as cart_router
from liveshop.orders.draws_api import router as draws_router
from liveshop.orders.flash_fast_path import FlashSaleBuyFastPath
from liveshop.orders.jobs import run_order_jobs_forever
from liveshop.orders.paging import router as order_paging_router
from liveshop.payments.api import router as payments_router
from liveshop.payments.jobs import deliver_sandbox_notifications_forever, run_payment_jobs_forever
from liveshop.payments.passkey_api import router as payments_passkey_router
from liveshop.payments.room_api import router as payments_room_router
from liveshop.privacy.api import router as privacy_router
from liveshop.privacy.jobs import run_retention_forever
from liveshop.promotions.api import router as promotions_router
from liveshop.recommend.api import router as recommend_router
from liveshop.recommend.fast_path import RecommendationsFastPath
from liveshop.recommend.jobs import run_training_forever
from liveshop.recommend.service import Recommendations
from liveshop.recommend.sessions import RecorderWithSessions
from liveshop.reviews.api import router as reviews_router
from liveshop.risk.api import router as risk_router
from liveshop.search.api import router as search_router
from liveshop.tracking.api import router as tracking_router
from liveshop.tracking.jobs import run_tracking_jobs_forever
from liveshop.web.analytics_pages import router as dashboard_router
from liveshop.web.assistant_pages import router as assistant_pages_router
from liveshop.web.campaign_pages import router as campaign_pages_router
from liveshop.web.cart_pages import router as cart_pages_router
from liveshop.web.coupon_pages import router as coupon_pages_router
from liveshop.web.error_pages import error_page, wants_page
from liveshop.web.login_step_up_pages import router as login_step_up_pages_router
from liveshop.web.media_pages import router as media_pages_router
from liveshop.web.moderation_pages import router as moderation_pages_router
from liveshop.web.notification_pages import router as notification_pages_router
from liveshop.web.order_pages import router as order_pages_router
from liveshop.web.pages import router as pages_router
from liveshop.web.pages import static_files
from liveshop.web.password_pages import router as password_pages_router
from liveshop.web.product_pages import router as product_pages_router
from liveshop.web.risk_pages import router as risk_pages_router
from liveshop.web.search_pages import router as search_pages_router
from liveshop.web.tracking_pages import router as tracking_pages_router
from liveshop.wiring import (
    Subscriptions,
    app_listeners,
    connect_domains,
    domain_listeners,
    start_risk_engine,
)

logger = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 30.0


def settle_garbage_collector() -> None:
    """Move start-up objects out of the collector's sight and collect less often.

    A live room keeps thousands of long-lived connection objects; with the
    default thresholds a full collection walks all of them every few seconds
    and stalls the tick that sends every viewer's frame (tens of milliseconds
    of p99 in ``benchmarks/fanout.py``). Only for a process that serves one app
    for its life (``create_server_app``): frozen objects are never freed, so a
    process that makes many apps (the tests) would keep every one of them, and
    their pooled database connections.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


def create_server_app() -> FastAPI:
    """The app as ``liveshop serve`` and the demo run it: the one app of its process."""
    return create_app(owns_process=True)


def create_app(settings: Settings | None = None, *, owns_process: bool = False) -> FastAPI:
    settings = settings or get_settings()
    connect_domains(settings)
    touches = TouchRecorder(settings)  # campaigns' attribution touches, written behind

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        settings.resolved_vault_master_key()  # a missing or malformed key fails at start
        if settings.vault_master_key is None:
            logger.warning(
                "the card vault's master key is a generated file in %s; production must set "
                "LIVESHOP_VAULT_MASTER_KEY",
                settings.home,
            )
        # The recorder also notes each viewer's actions for this session's recommendations
        # (in Redis when configured, so that every worker sees them).
        app.state.recommendations = Recommendations.from_settings(settings)
        app.state.recorder = RecorderWithSessions(
            settings.event_store_path(),
            settings.resolved_secret_key(),
            app.state.recommendations.activity,
        )
        app.state.hub = LiveHub(
            database_url=settings.resolved_database_url(),
            relay=make_relay(settings.redis_url),
            tick_seconds=settings.tick_seconds,
            comments_per_frame=settings.comments_per_frame,
            counters_flush_seconds=settings.counters_flush_seconds,
        )
        await app.state.recorder.start()
        app.state.touches = touches
        await touches.start()
        await app.state.hub.start()
        loop = asyncio.get_running_loop()
        # Their blocking work runs in the jobs' own threads, so that the shutdown waits
        # for it (a cancelled task's thread would run on past it, on the database).
        jobs = BackgroundJobs()
        in_thread = jobs.in_thread
        for job in (
            run_order_jobs_forever(settings, in_thread=in_thread),
            deliver_sandbox_notifications_forever(settings, in_thread=in_thread),
            run_payment_jobs_forever(settings, in_thread=in_thread),
            run_retention_forever(settings, in_thread=in_thread),
            run_notification_jobs_forever(settings, in_thread=in_thread),
            run_tracking_jobs_forever(settings, in_thread=in_thread),
            run_auction_jobs_forever(settings, in_thread=in_thread),
            # on the Redis bid engine (settings.redis_url), the bids stream reaches SQL here
            run_bid_persister_forever(settings, in_thread=in_thread),
            run_commission_jobs_forever(settings, in_thread=in_thread),
            run_training_forever(
                settings,
                interval_seconds=settings.recommend_train_minutes * 60,
                in_thread=in_thread,
            ),
            # The risk engine's model loads and its rolling state is rebuilt from the
            # journal now, beside the first requests (an assessment meanwhile waits for
            # it): a day's journal takes seconds, which health checks must not wait for.
            in_thread(start_risk_engine, settings),
            # jieba's dictionary (about a second) loads now, not in the first search
            in_thread(warm_up_assistant),  # jieba, pinyin, the model
        ):
            jobs.start(job)
        sales = RecordPlatformSales(app.state.recorder, loop=loop)
        app.state.platform_sales = sales
        app.state.notification_streams = NotificationStreams(loop)
        subscriptions = Subscriptions(
            bus,
            [
                *domain_listeners(settings),
                *app_listeners(
                    hub=app.state.hub, sales=sales, streams=app.state.notification_streams
                ),
            ],
        )
        if owns_process:
            settle_garbage_collector()

        async def shut_down() -> None:
            subscriptions.cancel()
            app.state.notification_streams.shut()
            await jobs.stop()  # cancelled, and their threads' work finished (bounded)
            await app.state.hub.stop()
            await asyncio.to_thread(sales.close)  # its last sales reach the recorder's flush
            await app.state.recorder.stop()
            await touches.stop()

        try:
            yield
        finally:
            try:  # a stop that waits on a dead connection must not hold the process forever
                await asyncio.wait_for(shut_down(), SHUTDOWN_SECONDS)
            except TimeoutError:
                logger.error(
                    "shutting down took over %s s; stopped without the rest", SHUTDOWN_SECONDS
                )

    app = FastAPI(
        title="LiveShop",
        version=__version__,
        description="Live-commerce platform: live rooms, chat, likes, questions and host controls.",
        lifespan=lifespan,
    )
    app.dependency_overrides[get_settings] = lambda: settings
    app.state.sign_in_guard = make_sign_in_guard(settings)
    # Innermost: the recommendation GETs, answered before the router, still pass every
    # middleware below (the security headers, the campaigns' touches), as routed.
    app.add_middleware(RecommendationsFastPath)
    # The pages' security headers: the other fast paths (flash-sale buy, auction bid)
    # answer outside them (JSON, no page to protect); WebSockets pass them untouched.
    app.add_middleware(SecurityHeaders, secure_cookies=settings.secure_cookies)
    app.add_middleware(KeepServerSend)
    # Inside the campaigns' touches: a bid carrying an attribution code counts as a
    # touch, as it did through the router (a few microseconds).
    app.add_middleware(AuctionBidFastPath)
    # Outside the pages' headers, inside the flash-sale fast path: a buy never pays for it.
    app.add_middleware(AttributionTouches, recorder=touches)
    app.add_middleware(FlashSaleBuyFastPath)
    # Outermost: every path's risk request knows the client's device and address.
    app.add_middleware(ClientFactsMiddleware)

    @app.exception_handler(LiveShopError)
    async def liveshop_error(request: Request, error: LiveShopError) -> Response:
        if wants_page(request):  # a browser on a page route gets a page, not JSON
            return error_page(request, error.status_code)
        return JSONResponse(
            {"detail": error.message, "code": error.code},
            status_code=error.status_code,
            headers=error.headers(),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        if wants_page(request):
            return error_page(request, error.status_code)
        return await http_exception_handler(request, error)

    @app.exception_handler(Exception)
    async def server_error(request: Request, _error: Exception) -> Response:
        # Starlette logs the exception and re-raises it after this answer.
        if wants_page(request):
            return error_page(request, 500)
        return JSONResponse(
            {"detail": "internal server error", "code": "internal_error"}, status_code=500
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
        # Never echo the input back: it may be a card number, a CVC or a password.
        errors = [
            {key: value for key, value in detail.items() if key != "input"}
            for detail in error.errors()
        ]
        return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/metrics", tags=["ops"], response_class=PlainTextResponse)
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.include_router(accounts_router)
    app.include_router(password_reset_router)
    app.include_router(totp_router)
    app.include_router(passkeys_router)
    app.include_router(catalog_router)
    app.include_router(orders_router)
    app.include_router(order_paging_router)
    app.include_router(cart_router)
    app.include_router(draws_router)
    app.include_router(promotions_router)
    app.include_router(auctions_router)
    app.include_router(reviews_router)
    app.include_router(notifications_router)
    app.include_router(tracking_router)
    app.include_router(payments_router)
    app.include_router(payments_passkey_router)
    app.include_router(payments_room_router)
    app.include_router(privacy_router)
    app.include_router(regulator_router)
    for router in enforcement_routers:
        app.include_router(router)
    app.include_router(live_router)
    app.include_router(media_router)
    app.include_router(media_callbacks_router)
    app.include_router(media_broadcast_router)
    app.include_router(held_comments_router)
    app.include_router(risk_router)
    app.include_router(risk_pages_router)
    app.include_router(realtime_router)
    app.include_router(events_router)
    app.include_router(analytics_router)
    app.include_router(search_router)
    app.include_router(assistant_router)
    app.include_router(recommend_router)
    app.include_router(campaigns_router)
    app.include_router(experiments_router)
    app.include_router(audiences_router)
    app.include_router(dashboard_router)
    app.include_router(campaign_pages_router)
    app.include_router(pages_router)
    app.include_router(moderation_pages_router)
    app.include_router(product_pages_router)
    app.include_router(cart_pages_router)
    app.include_router(coupon_pages_router)
    app.include_router(media_pages_router)
    app.include_router(search_pages_router)
    app.include_router(assistant_pages_router)
    app.include_router(notification_pages_router)
    app.include_router(tracking_pages_router)
    app.include_router(order_pages_router)
    app.include_router(password_pages_router)
    app.include_router(login_step_up_pages_router)
    app.mount("/static", static_files(), name="static")
    return app
