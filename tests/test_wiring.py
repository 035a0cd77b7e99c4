"""One composition root (liveshop.wiring): the app ``liveshop serve`` builds has every
registry filled with its production source and every domain event subscribed (or
named as emitted for outside listeners); nothing registers at import time; the
``liveshop`` command connects the domains too, and not for ``--help``."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import liveshop
from liveshop.core.bus import EventBus
from liveshop.core.rooms import notice_sources, registered_room_lookup
from liveshop.governance.events import FineImposed
from liveshop.privacy import registry
from liveshop.wiring import Subscriptions, connect_domains
from tests.conftest import SECRET_KEY

SOURCE = Path(liveshop.__file__).parent
PROBE_SECONDS = 120
# Functions named register_* that are not registries: they sign people up.
NOT_REGISTRIES = frozenset({"register_viewer", "register_page", "register_submit"})

PRODUCTION_SOURCES: dict[str, Any] = {
    "core.rooms room lookup": "liveshop.live.service.room_facts",
    "core.risk assessor": "OnlineRisk",
    "core.languages": [
        "liveshop.web.templating.request_locale",
        "liveshop.web.i18n.words",
    ],
    "core.experiments source": [
        "liveshop.campaigns.experiments.experiment_facts",
        "liveshop.campaigns.experiments.exposed_variant",
    ],
    "core.rooms notice sources": [
        "liveshop.media.streams.current_stream_notices",
        "liveshop.orders.draws.current_draw_notices",
        "liveshop.payments.red_packets.open_packet_notices",
        "liveshop.promotions.coupons.current_drop_notices",
        "liveshop.promotions.flash_sales.current_sale_notices",
    ],
    "accounts display name check": "liveshop.moderation.names.display_name_allowed",
    "catalog copy checker": "liveshop.moderation.compliance.review_product_copy",
    "catalog listing auditor": "liveshop.governance.listing_audit.audit_listing_decision",
    "promotions shelf lookup": "liveshop.live.shelf.shelved_product_ids",
    "live stream source": "liveshop.media.streams.stream_view",
    "media timeline sources": {
        "auctions": "liveshop.auctions.room_history.room_auction_moments",
        "gifts": "liveshop.payments.room_history.room_gift_moments",
        "red_packets": "liveshop.payments.room_history.room_red_packet_moments",
    },
    "moderation comment evidence": "liveshop.live.moderation_evidence.comment_evidence",
    "moderation after-sales source": "liveshop.orders.moderation_figures.after_sales_figures",
    "moderation order sampling source": "liveshop.orders.moderation_figures.orders_to_sample",
    "moderation review evidence": "liveshop.reviews.governance_hooks.review_evidence",
    "moderation rating source": "liveshop.reviews.governance_hooks.shop_rating_figures",
    "privacy exporters": {
        "account": "liveshop.accounts.privacy_hooks.export_account",
        "behaviour_events": "liveshop.events.privacy_hooks.export_events",
        "campaigns": "liveshop.campaigns.privacy_hooks.export_campaign_data",
        "live": "liveshop.live.privacy_hooks.export_live",
        "moderation": "liveshop.governance.privacy_hooks.export_moderation_data",
        "notifications": "liveshop.notifications.privacy_hooks.export_notifications",
        "orders": "liveshop.orders.privacy_hooks.export_orders",
        "payments": "liveshop.payments.privacy_hooks.export_payments",
        "reviews": "liveshop.reviews.privacy_hooks.export_reviews",
    },
    "privacy erasers": [
        ["addresses", "liveshop.orders.privacy_hooks.erase_addresses", 100],
        ["behaviour_events", "liveshop.events.privacy_hooks.erase_events", 100],
        ["campaigns", "liveshop.campaigns.privacy_hooks.erase_campaign_data", 100],
        ["cart", "liveshop.orders.privacy_hooks.erase_cart", 100],
        ["moderation", "liveshop.governance.privacy_hooks.erase_moderation_data", 100],
        ["notifications", "liveshop.notifications.privacy_hooks.erase_notifications", 100],
        ["payment_methods", "liveshop.payments.privacy_hooks.erase_cards", 100],
        ["recommendations", "liveshop.recommend.privacy_hooks.erase_recommendations", 100],
        ["reviews", "liveshop.reviews.privacy_hooks.erase_reviews", 100],
        ["account", "liveshop.accounts.privacy_hooks.erase_account", 900],
    ],
    "privacy erasure checks": {
        "orders": "liveshop.orders.privacy_hooks.orders_in_flight",
        "payments": "liveshop.payments.privacy_hooks.money_left",
        "shops": "liveshop.catalog.privacy_hooks.shop_owned",
    },
    "privacy withdrawal hooks": {
        "personalised_recommendations": [],
        "marketing_messages": [],
        "stored_cards": ["liveshop.payments.privacy_hooks.remove_cards_on_withdrawal"],
        "location": [],
    },
    "privacy retention purgers": [
        "api_tokens/api_tokens: liveshop.accounts.privacy_hooks.purge_tokens",
        "audit_log/audit_log: liveshop.privacy.retention.prune_audit",
        "behaviour_events/behaviour_events: liveshop.events.privacy_hooks.purge_events",
        "chat_messages/live_chat: liveshop.live.privacy_hooks.purge_chat",
        "consent_records/consents: liveshop.privacy.retention.purge_withdrawn_consents",
        "order_addresses/orders: liveshop.orders.privacy_hooks.anonymise_old_order_addresses",
    ],
}

HUB = "liveshop.live.hub.LiveHub"
SUBSCRIBERS = {
    "liveshop.campaigns.events.RoomReminderPushed": [
        "liveshop.notifications.listeners.NotifyOnDomainEvents.room_reminder_pushed"
    ],
    "liveshop.core.rooms.RoomNotice": [f"{HUB}._on_notice"],
    "liveshop.live.events.AnnouncementPosted": [f"{HUB}._on_announcement"],
    "liveshop.live.events.HeldCommentApproved": [f"{HUB}._on_held_approved"],
    "liveshop.live.events.PinnedChanged": [f"{HUB}._on_pinned"],
    "liveshop.live.events.QuestionChanged": [f"{HUB}._on_question"],
    "liveshop.live.events.RoomStatusChanged": [
        f"{HUB}._on_status",
        "liveshop.media.listeners.DropPublisherOnRoomEnd",
        "liveshop.notifications.listeners.NotifyOnDomainEvents.room_status_changed",
        "liveshop.search.indexer.SearchIndexer.on_room_changed",
    ],
    "liveshop.live.events.ChatLineArrived": [
        "liveshop.assistant.responder.AssistantResponder.on_chat_line"
    ],
    "liveshop.live.events.RoomChanged": ["liveshop.search.indexer.SearchIndexer.on_room_changed"],
    "liveshop.catalog.events.ProductChanged": [
        "liveshop.search.indexer.SearchIndexer.on_product_changed"
    ],
    "liveshop.catalog.events.ShopChanged": [
        "liveshop.search.indexer.SearchIndexer.on_shop_changed"
    ],
    "liveshop.notifications.events.NotificationsPosted": [
        "liveshop.notifications.streams.NotificationStreams.on_posted"
    ],
    "liveshop.live.events.ViewerRestricted": [f"{HUB}._on_restricted"],
    "liveshop.governance.events.FineImposed": ["liveshop.payments.fines.BookFines.imposed"],
    "liveshop.governance.events.FineRevoked": ["liveshop.payments.fines.BookFines.revoked"],
    "liveshop.governance.events.ModerationActionRevoked": [
        "liveshop.live.moderation_actions.ApplyModerationActions.revoked"
    ],
    "liveshop.governance.events.ModerationActionTaken": [
        "liveshop.live.moderation_actions.ApplyModerationActions.taken"
    ],
    "liveshop.governance.events.ReportActioned": [
        "liveshop.reviews.governance_hooks.RemoveReviewsOnReportActioned"
    ],
    "liveshop.governance.events.ProductDelisted": [
        "liveshop.live.moderation_actions.TakeDelistedProductsOffShelves"
    ],
    "liveshop.orders.events.AfterSaleRefunded": [
        "liveshop.campaigns.listeners.RecordConversions.refunded",
        "liveshop.notifications.listeners.NotifyOnDomainEvents.refund_approved",
        "liveshop.payments.jobs.RefundOnAfterSale",
    ],
    "liveshop.tracking.events.ParcelShipped": [
        "liveshop.notifications.listeners.NotifyOnDomainEvents.parcel_shipped"
    ],
    "liveshop.tracking.events.ParcelDelivered": [
        "liveshop.notifications.listeners.NotifyOnDomainEvents.parcel_delivered"
    ],
    "liveshop.tracking.events.ParcelException": [
        "liveshop.notifications.listeners.NotifyOnDomainEvents.parcel_exception"
    ],
    "liveshop.orders.events.AfterSaleRejected": [
        "liveshop.notifications.listeners.NotifyOnDomainEvents.refund_rejected"
    ],
    "liveshop.orders.events.RefusedOrderReconsidered": [
        "liveshop.notifications.listeners.NotifyOnDomainEvents.refused_order_reconsidered"
    ],
    "liveshop.orders.events.OrderPaid": [
        "liveshop.analytics.platform_events.RecordPlatformSales.on_order_paid",
        "liveshop.campaigns.listeners.RecordConversions.paid",
        "liveshop.search.indexer.SearchIndexer.on_order_paid",
    ],
    "liveshop.payments.gifts.GiftSent": [
        "liveshop.analytics.platform_events.RecordPlatformSales.on_gift_sent"
    ],
}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> dict[str, Any]:
    """What the app of ``liveshop serve`` wires, probed in a fresh interpreter."""
    home = tmp_path_factory.mktemp("served")
    (home / "liveshop.db").write_bytes(sqlite_template.read_bytes())
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    env |= {"LIVESHOP_HOME": str(home), "LIVESHOP_SECRET_KEY": SECRET_KEY}
    probe = subprocess.run(
        [sys.executable, "-m", "tests.wiring_probe"],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROBE_SECONDS,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    wired: dict[str, Any] = json.loads(probe.stdout)
    return wired


def test_every_registry_of_the_served_app_holds_its_production_source(
    served: dict[str, Any],
) -> None:
    assert served["registries"] == PRODUCTION_SOURCES


def test_every_domain_event_of_the_served_app_has_a_subscriber(served: dict[str, Any]) -> None:
    outside = set(served["emitted_for_outside_listeners"])
    unheard = [event for event in served["events"] if event not in served["subscribers"]]
    assert sorted(outside) == sorted(unheard)  # each unheard event is documented as such
    assert served["subscribers"] == SUBSCRIBERS
    assert set(served["events"]) == set(SUBSCRIBERS) | outside


def _python_modules() -> list[Path]:
    return sorted(
        path for path in SOURCE.rglob("*.py") if "migrations" not in path.relative_to(SOURCE).parts
    )


def test_nothing_registers_at_import_time_and_every_registry_is_wired() -> None:
    at_import: list[str] = []
    registries: set[str] = set()
    for path in _python_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            call = node.value if isinstance(node, ast.Expr) else None
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Name | ast.Attribute):
                name = call.func.id if isinstance(call.func, ast.Name) else call.func.attr
                if name.startswith("register_"):
                    at_import.append(f"{path.relative_to(SOURCE)}: {name}")
            if isinstance(node, ast.FunctionDef) and node.name.startswith("register_"):
                registries.add(node.name)
    wiring = (SOURCE / "wiring.py").read_text(encoding="utf-8")

    assert at_import == []
    assert [name for name in sorted(registries - NOT_REGISTRIES) if f"{name}(" not in wiring] == []
    assert not list(SOURCE.glob("*_wiring.py"))


def test_connecting_again_changes_nothing_and_listeners_leave_when_cancelled() -> None:
    connect_domains()
    lookup, sources = registered_room_lookup(), notice_sources()
    exporters, erasers = registry.exporters(), registry.erasers()
    connect_domains()
    assert (registered_room_lookup(), notice_sources()) == (lookup, sources)
    assert (registry.exporters(), registry.erasers()) == (exporters, erasers)

    bus, heard = EventBus(), []
    subscriptions = Subscriptions(bus, [(FineImposed, heard.append)])
    fine = FineImposed(
        shop_id=1, amount=100, penalty_id=1, currency="CNY", subject_type="shop", subject_id=1
    )
    bus.publish(fine)
    subscriptions.cancel()
    bus.publish(fine)
    assert heard == [fine]


def test_help_does_not_connect_the_domains() -> None:
    script = (
        "import sys\n"
        "sys.argv = ['liveshop', 'db', '--help']\n"
        "from liveshop.cli import app\n"
        "try:\n"
        "    app()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('wired' if 'liveshop.wiring' in sys.modules else 'not wired')\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("LIVESHOP_")}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip().splitlines()[-1] == "not wired", result.stderr[-2000:]
