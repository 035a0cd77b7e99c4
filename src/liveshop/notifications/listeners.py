"""Domain events that become notices. ``liveshop.wiring`` subscribes these.

A room going live only queues a fan-out to its followers (written in batches by
the notification jobs); the other facts each notify one or two people directly.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns.events import RoomReminderPushed
from liveshop.catalog.models import Shop, ShopStaff
from liveshop.catalog.shops import shop_of
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.live.events import RoomStatusChanged
from liveshop.live.models import Room
from liveshop.notifications.centre import Mailing, Notice, notify_users
from liveshop.notifications.fan_out import start_fan_out
from liveshop.notifications.models import NotificationKind
from liveshop.orders.events import (
    AfterSaleRefunded,
    AfterSaleRejected,
    RefusedOrderReconsidered,
)
from liveshop.tracking.events import ParcelDelivered, ParcelException, ParcelShipped

LIVE = "live"


def mailing_for(settings: Settings) -> Mailing:
    return Mailing(site_url=settings.site_url, secret_key=settings.resolved_secret_key())


def queue_go_live_fan_out(session: Session, *, room_id: int) -> None:
    """Followers of the room's host, and of the shop the host owns or acts for."""
    room = session.get(Room, room_id)
    if room is None:
        return
    host = session.get_one(User, room.host_id)
    shop = shop_of(session, user=host)
    start_fan_out(
        session,
        notice=Notice(
            NotificationKind.ROOM_LIVE,
            f"room_live:{room.id}",
            {"host": host.username, "room": room.title},
            f"/rooms/{room.id}",
        ),
        host_id=host.id,
        shop_id=shop.id if shop else None,
    )


def shop_people(session: Session, *, shop_id: int) -> list[int]:
    """The shop's owner and staff: who hears about a parcel in trouble."""
    shop = session.get(Shop, shop_id)
    staff = session.scalars(select(ShopStaff.user_id).where(ShopStaff.shop_id == shop_id)).all()
    return ([shop.owner_id] if shop else []) + list(staff)


class NotifyOnDomainEvents:
    """The listeners, bound to the database and the mail settings."""

    def __init__(self, settings: Settings) -> None:
        self.database_url = settings.resolved_database_url()
        self.settings = settings

    def room_status_changed(self, event: RoomStatusChanged) -> None:
        if event.status != LIVE:
            return
        with unit_of_work(self.database_url) as session:
            queue_go_live_fan_out(session, room_id=event.room_id)

    def room_reminder_pushed(self, event: RoomReminderPushed) -> None:
        """A shop's room reminder: in the treated users' centres, as their preferences
        for the kind allow (one notice per push and user)."""
        with unit_of_work(self.database_url) as session:
            room = session.get(Room, event.room_id)
            if room is None:
                return
            host = session.get_one(User, room.host_id)
            notify_users(
                session,
                user_ids=event.user_ids,
                notice=Notice(
                    NotificationKind.ROOM_PROMOTED,
                    f"room_promoted:{event.push_id}",
                    {"host": host.username, "room": room.title, "message": event.message},
                    f"/rooms/{room.id}",
                ),
                mailing=mailing_for(self.settings),
            )

    def refund_approved(self, event: AfterSaleRefunded) -> None:
        with unit_of_work(self.database_url) as session:
            notify_users(
                session,
                user_ids=[event.buyer_id],
                notice=Notice(
                    NotificationKind.REFUND_DECIDED,
                    f"refund:{event.after_sale_id}",
                    {"decision": "approved", "order": event.order_id, "amount": event.amount},
                    "/orders",
                ),
                mailing=mailing_for(self.settings),
            )

    def refund_rejected(self, event: AfterSaleRejected) -> None:
        self._tell(
            [event.buyer_id],
            Notice(
                NotificationKind.REFUND_DECIDED,
                f"refund:{event.after_sale_id}",
                {"decision": "rejected", "order": event.order_id, "reason": event.reason},
                "/orders",
            ),
        )

    def refused_order_reconsidered(self, event: RefusedOrderReconsidered) -> None:
        """The buyer's appeal cleared an order the risk review had cancelled."""
        params = {"order": event.order_id, "restored": event.restored, "reason": event.reason}
        self._tell(
            [event.buyer_id],
            Notice(
                NotificationKind.ORDER_APPEAL,
                f"order_appeal:{event.order_id}",
                params,
                f"/orders/{event.order_id}",
            ),
        )

    def _tell(self, user_ids: list[int], notice: Notice) -> None:
        with unit_of_work(self.database_url) as session:
            notify_users(
                session, user_ids=user_ids, notice=notice, mailing=mailing_for(self.settings)
            )

    def parcel_shipped(self, event: ParcelShipped) -> None:
        params = {
            "order": event.order_id,
            "carrier": event.carrier,
            "tracking_number": event.tracking_number,
        }
        self._tell(
            [event.buyer_id],
            Notice(
                NotificationKind.ORDER_SHIPPED,
                f"order_shipped:{event.order_id}",
                params,
                f"/orders/{event.order_id}/tracking",
            ),
        )

    def parcel_delivered(self, event: ParcelDelivered) -> None:
        self._tell(
            [event.buyer_id],
            Notice(
                NotificationKind.ORDER_DELIVERED,
                f"order_delivered:{event.order_id}",
                {"order": event.order_id},
                f"/orders/{event.order_id}/tracking",
            ),
        )

    def parcel_exception(self, event: ParcelException) -> None:
        with unit_of_work(self.database_url) as session:
            people = [event.buyer_id, *shop_people(session, shop_id=event.shop_id)]
        self._tell(
            people,
            Notice(
                NotificationKind.PARCEL_EXCEPTION,
                f"parcel_exception:{event.order_id}:{event.description[:40]}",
                {"order": event.order_id, "scan": event.scan},
                f"/orders/{event.order_id}/tracking",
            ),
        )
