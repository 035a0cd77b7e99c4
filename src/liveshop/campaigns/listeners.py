"""What campaigns do when orders change (subscribed in ``liveshop.wiring``)."""

from __future__ import annotations

from liveshop.campaigns.attribution import record_conversion, record_refund
from liveshop.campaigns.commissions import claw_back_commission, open_commission
from liveshop.core.db import unit_of_work
from liveshop.orders.events import AfterSaleRefunded, OrderPaid


class RecordConversions:
    """OrderPaid: keep the paid order and open a KOL's or sharer's commission if a link
    earned it (sharers at ``share_commission_bps``).
    AfterSaleRefunded: lower the order's net, cancel a pending commission or claw back
    the refunded share of a settled one. Each in a
    short transaction of its own, after the order's commit."""

    def __init__(self, database_url: str, *, share_commission_bps: int = 0) -> None:
        self.database_url = database_url
        self.share_commission_bps = share_commission_bps

    def paid(self, event: OrderPaid) -> None:
        with unit_of_work(self.database_url) as session:
            record_conversion(session, event=event)
            open_commission(
                session, order_id=event.order_id, share_commission_bps=self.share_commission_bps
            )

    def refunded(self, event: AfterSaleRefunded) -> None:
        with unit_of_work(self.database_url) as session:
            record_refund(session, event=event)
            claw_back_commission(
                session, order_id=event.order_id, after_sale_id=event.after_sale_id
            )
