"""The composition root: how the domains are connected to each other, in one place.

A domain owns its tables and never imports the domains above it (see
docs/architecture.md, "Layers"). When a lower domain needs something only a
higher one knows, it keeps a registry (a hook) and the higher domain's function
is registered here; when a higher domain must act on a lower one's change, it
subscribes to the lower one's domain event here. Nothing else registers or
subscribes across domains, and nothing does it at import time.

Three entry points, each safe to call again (the tests make many apps):

- :func:`connect_domains` fills every registry. ``create_app`` (so ``liveshop
  serve`` and the demo), the ``liveshop`` command and the tests call it.
- :func:`domain_listeners` lists the bus subscribers that need only the
  settings; the app's lifespan subscribes them for its life, and the CLI for the
  command's.
- :func:`app_listeners` lists those that need the running app (the hub, the
  platform-sales recorder); the lifespan subscribes them.

Every domain event has a subscriber below, or is named in
:data:`EMITTED_FOR_OUTSIDE_LISTENERS` (``tests/test_wiring.py`` checks both).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from liveshop.accounts import privacy_hooks as accounts_privacy
from liveshop.accounts.display_names import register_display_name_check
from liveshop.analytics.platform_events import RecordPlatformSales
from liveshop.assistant.responder import AssistantResponder
from liveshop.auctions.room_history import room_auction_moments
from liveshop.campaigns import experiments as campaigns_experiments
from liveshop.campaigns import privacy_hooks as campaigns_privacy
from liveshop.campaigns.events import RoomReminderPushed
from liveshop.campaigns.listeners import RecordConversions
from liveshop.catalog import privacy_hooks as catalog_privacy
from liveshop.catalog.copy_review import register_copy_checker
from liveshop.catalog.listing import register_listing_auditor
from liveshop.core.bus import DomainEvent, EventBus
from liveshop.core.experiments import register_experiment_source
from liveshop.core.languages import register_languages
from liveshop.core.risk import register_risk_assessor
from liveshop.core.rooms import register_notice_source, register_room_lookup
from liveshop.core.settings import Settings, get_settings
from liveshop.events import privacy_hooks as events_privacy
from liveshop.governance import privacy_hooks as moderation_privacy
from liveshop.governance.events import (
    FineImposed,
    FineRevoked,
    ModerationActionRevoked,
    ModerationActionTaken,
    ProductDelisted,
    ReportActioned,
)
from liveshop.governance.inspections import register_order_sampling_source
from liveshop.governance.listing_audit import audit_listing_decision
from liveshop.governance.models import ReportTarget
from liveshop.governance.reports import register_evidence_source
from liveshop.governance.scores import register_after_sales_source, register_rating_source
from liveshop.live import privacy_hooks as live_privacy
from liveshop.live import service as live_service
from liveshop.live import shelf
from liveshop.live.events import RoomStatusChanged
from liveshop.live.hub import LiveHub
from liveshop.live.moderation_actions import (
    ApplyModerationActions,
    TakeDelistedProductsOffShelves,
)
from liveshop.live.moderation_evidence import comment_evidence
from liveshop.live.streams import register_stream_source
from liveshop.media import streams as media_streams
from liveshop.media.listeners import DropPublisherOnRoomEnd
from liveshop.media.timeline_sources import register_timeline_source
from liveshop.moderation.compliance import review_product_copy
from liveshop.moderation.names import display_name_allowed
from liveshop.notifications import privacy_hooks as notifications_privacy
from liveshop.notifications.events import NotificationsPosted
from liveshop.notifications.listeners import NotifyOnDomainEvents
from liveshop.notifications.streams import NotificationStreams
from liveshop.orders import moderation_figures
from liveshop.orders import privacy_hooks as orders_privacy
from liveshop.orders.draws import current_draw_notices
from liveshop.orders.events import (
    AfterSaleRefunded,
    AfterSaleRejected,
    OrderPaid,
    RefusedOrderReconsidered,
)
from liveshop.payments import privacy_hooks as payments_privacy
from liveshop.payments.fines import BookFines
from liveshop.payments.gifts import GiftSent
from liveshop.payments.jobs import RefundOnAfterSale
from liveshop.payments.red_packets import open_packet_notices
from liveshop.payments.room_history import room_gift_moments, room_red_packet_moments
from liveshop.privacy.consents import Purpose
from liveshop.privacy.registry import (
    per_user,
    register_eraser,
    register_erasure_check,
    register_exporter,
    register_withdrawal_hook,
)
from liveshop.privacy.retention import (
    DataClass,
    prune_audit,
    purge_withdrawn_consents,
    register_purger,
)
from liveshop.promotions.access import register_shelf_lookup
from liveshop.promotions.coupons import current_drop_notices
from liveshop.promotions.flash_sales import current_sale_notices
from liveshop.recommend import privacy_hooks as recommend_privacy
from liveshop.reviews import governance_hooks as reviews_governance
from liveshop.reviews import privacy_hooks as reviews_privacy
from liveshop.search.database_engine import DatabaseEngine
from liveshop.search.engines import use_search_engine
from liveshop.search.indexer import SearchIndexer
from liveshop.search.tantivy_engine import tantivy_engine_at
from liveshop.tracking.events import ParcelDelivered, ParcelException, ParcelShipped
from liveshop.web import i18n
from liveshop.web.templating import request_locale

Listener = tuple[type[DomainEvent], Callable[[Any], None]]

ACCOUNTS_ERASED_LAST = 900  # the account is anonymised after every other domain used it

# accounts sits below privacy: its hooks take (session, user id); adapted once, here.
EXPORT_ACCOUNT = per_user(accounts_privacy.export_account)
ERASE_ACCOUNT = per_user(accounts_privacy.erase_account)

logger = logging.getLogger(__name__)

# Domain events no subscriber in this process needs, and why they are published.
EMITTED_FOR_OUTSIDE_LISTENERS: dict[type[DomainEvent], str] = {}


def connect_domains(settings: Settings | None = None) -> None:
    """Fill every registry with its production source. Registering again replaces
    the same function, so calling this twice changes nothing."""
    _connect_risk(settings or get_settings())
    _connect_search(settings or get_settings())
    _connect_rooms()
    _connect_experiments()
    _connect_languages()
    _connect_catalog()
    _connect_moderation()
    _connect_privacy()
    _connect_retention()


def _connect_risk(settings: Settings) -> None:
    """The risk engine behind core.risk: login, payments, orders, grabs and flash-sale
    buys ask it; one engine per home, database and Redis (connecting again keeps it)."""
    from liveshop.risk.online import online_risk  # its engine loads NumPy when first used

    register_risk_assessor(online_risk(settings), on_error=settings.risk_on_error)


def start_risk_engine(settings: Settings) -> None:
    """Build the risk engine at start-up (the app's lifespan), not on the first
    assessment: its model loaded and an in-process state rebuilt from the journal's
    last day. A failure is logged and the first assessment tries again (the guarded
    paths fail safe meanwhile); it never stops the app from starting."""
    from liveshop.risk.online import online_risk

    try:
        online_risk(settings).start()
    except Exception:
        logger.exception("the risk engine did not start; the first assessment will retry")


def _connect_search(settings: Settings) -> None:
    """The full-text engine search asks: Tantivy (an index per database, under the
    home) or the database's own; one Tantivy engine per directory (connecting again
    keeps it, and its open indexes)."""
    if settings.search_engine == "tantivy":
        use_search_engine(tantivy_engine_at(settings.search_index_path()))
    else:
        use_search_engine(DatabaseEngine())


def _connect_languages() -> None:
    # The pages' language rule and catalogues, for what the domains word when it is read
    # (notices, a parcel's scans): their APIs answer in the language their pages are in.
    register_languages(request_locale, i18n.words)


def _connect_experiments() -> None:
    # campaigns' experiments, for the mechanics of lower packages they vary (coupon depth)
    register_experiment_source(
        campaigns_experiments.experiment_facts, campaigns_experiments.exposed_variant
    )


def _connect_rooms() -> None:
    # What packages beside live may know of a room, and what is on screen in it now.
    register_room_lookup(live_service.room_facts)
    register_notice_source(current_draw_notices)  # orders: lucky draws
    register_notice_source(current_sale_notices)  # promotions: flash sales
    register_notice_source(current_drop_notices)  # promotions: coupon drops
    register_notice_source(open_packet_notices)  # payments: red packets
    register_shelf_lookup(shelf.shelved_product_ids)  # promotions' goods rule reads live's shelf
    register_stream_source(media_streams.stream_view)  # media: the room's video, if any
    register_notice_source(media_streams.current_stream_notices)  # media: live or offline
    # What media's replay timeline reads from domains it may not import.
    register_timeline_source("gifts", room_gift_moments)  # payments
    register_timeline_source("red_packets", room_red_packet_moments)  # payments
    register_timeline_source("auctions", room_auction_moments)  # auctions


def _connect_catalog() -> None:
    register_copy_checker(review_product_copy)  # moderation's advertising-law check
    register_display_name_check(display_name_allowed)  # moderation's text filter, for names
    register_listing_auditor(audit_listing_decision)  # moderation's audit log


def _connect_moderation() -> None:
    register_evidence_source(ReportTarget.COMMENT, comment_evidence)  # live's stored chat
    register_after_sales_source(moderation_figures.after_sales_figures)  # orders
    register_order_sampling_source(moderation_figures.orders_to_sample)  # orders
    register_evidence_source(ReportTarget.REVIEW, reviews_governance.review_evidence)  # reviews
    register_rating_source(reviews_governance.shop_rating_figures)  # reviews: the shop score


def _connect_privacy() -> None:
    """Each domain's part of ``GET /api/me/export`` and of erasing an account."""
    register_exporter("account", EXPORT_ACCOUNT)
    register_exporter("orders", orders_privacy.export_orders)
    register_exporter("payments", payments_privacy.export_payments)
    register_exporter("live", live_privacy.export_live)
    register_exporter("behaviour_events", events_privacy.export_events)
    register_exporter("campaigns", campaigns_privacy.export_campaign_data)
    register_exporter("moderation", moderation_privacy.export_moderation_data)
    register_exporter("reviews", reviews_privacy.export_reviews)
    register_exporter("notifications", notifications_privacy.export_notifications)

    register_erasure_check("orders", orders_privacy.orders_in_flight)
    register_erasure_check("payments", payments_privacy.money_left)
    register_erasure_check("shops", catalog_privacy.shop_owned)

    register_eraser("behaviour_events", events_privacy.erase_events)
    register_eraser("campaigns", campaigns_privacy.erase_campaign_data)
    register_eraser("addresses", orders_privacy.erase_addresses)
    register_eraser("cart", orders_privacy.erase_cart)
    register_eraser("payment_methods", payments_privacy.erase_cards)
    register_eraser("moderation", moderation_privacy.erase_moderation_data)
    register_eraser("reviews", reviews_privacy.erase_reviews)
    register_eraser("notifications", notifications_privacy.erase_notifications)
    register_eraser("recommendations", recommend_privacy.erase_recommendations)
    register_eraser("account", ERASE_ACCOUNT, order=ACCOUNTS_ERASED_LAST)

    register_withdrawal_hook(
        "payment_methods",
        Purpose.STORED_CARDS.value,
        payments_privacy.remove_cards_on_withdrawal,
    )


def _connect_retention() -> None:
    register_purger(DataClass.BEHAVIOUR_EVENTS, "behaviour_events", events_privacy.purge_events)
    register_purger(DataClass.CHAT_MESSAGES, "live_chat", live_privacy.purge_chat)
    register_purger(DataClass.API_TOKENS, "api_tokens", accounts_privacy.purge_tokens)
    register_purger(
        DataClass.ORDER_ADDRESSES, "orders", orders_privacy.anonymise_old_order_addresses
    )
    register_purger(DataClass.CONSENT_RECORDS, "consents", purge_withdrawn_consents)
    register_purger(DataClass.AUDIT_LOG, "audit_log", prune_audit)


def domain_listeners(settings: Settings) -> list[Listener]:
    """The subscribers that need only the settings: a domain acting on another's change."""
    database_url = settings.resolved_database_url()
    in_the_room = ApplyModerationActions(database_url)
    fines = BookFines(database_url)
    conversions = RecordConversions(
        database_url, share_commission_bps=settings.share_commission_bps
    )
    notify = NotifyOnDomainEvents(settings)
    return [
        (AfterSaleRefunded, RefundOnAfterSale(settings)),  # payments: money back to the card
        (AfterSaleRefunded, conversions.refunded),  # campaigns: net GMV, commission cancelled
        (OrderPaid, conversions.paid),  # campaigns: attribution, KOL and sharer commissions
        (ModerationActionTaken, in_the_room.taken),  # live: stop the room, silence the user
        (ModerationActionRevoked, in_the_room.revoked),  # live: let the user talk again
        (FineImposed, fines.imposed),  # payments: the fine in the ledger
        (FineRevoked, fines.revoked),  # payments: the fine reversed
        (ProductDelisted, TakeDelistedProductsOffShelves(database_url)),  # live: off shelves
        (ReportActioned, reviews_governance.RemoveReviewsOnReportActioned(database_url)),
        (RoomStatusChanged, notify.room_status_changed),  # notifications: followers' fan-out
        (RoomStatusChanged, DropPublisherOnRoomEnd(settings)),  # media: an ended room's video
        (AfterSaleRefunded, notify.refund_approved),  # notifications: tell the buyer
        (AfterSaleRejected, notify.refund_rejected),  # notifications: tell the buyer why
        (RefusedOrderReconsidered, notify.refused_order_reconsidered),  # the buyer: reopened?
        (RoomReminderPushed, notify.room_reminder_pushed),  # notifications: the pushed users
        (ParcelShipped, notify.parcel_shipped),  # notifications: the buyer
        (ParcelDelivered, notify.parcel_delivered),  # notifications: the buyer
        (ParcelException, notify.parcel_exception),  # notifications: buyer and shop
        *SearchIndexer(database_url).listeners(),  # search: products, rooms, shops, sales
    ]


def app_listeners(
    *, hub: LiveHub, sales: RecordPlatformSales, streams: NotificationStreams
) -> list[Listener]:
    """The subscribers that need the running app: the hub turns room events into
    frames; paid orders and gifts become platform behaviour events; new notices reach
    their users' open pages."""
    return [
        *hub.bus_listeners(),
        (NotificationsPosted, streams.on_posted),
        (OrderPaid, sales.on_order_paid),
        (GiftSent, sales.on_gift_sent),
        *AssistantResponder(hub).listeners(),  # assistant: off the fan-out path
    ]


class Subscriptions:
    """Listeners subscribed to a bus until :meth:`cancel`."""

    def __init__(self, bus: EventBus, listeners: Sequence[Listener]) -> None:
        self.bus = bus
        self.listeners = list(listeners)
        for event_type, handler in self.listeners:
            bus.subscribe(event_type, handler)

    def cancel(self) -> None:
        for event_type, handler in self.listeners:
            self.bus.unsubscribe(event_type, handler)
        self.listeners = []
