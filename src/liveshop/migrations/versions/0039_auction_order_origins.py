"""orders: auction orders placed before the ``auction`` origin carry it

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-07 04:05:00

Until the ``auction`` origin existed the closing job placed an auction's orders as
``checkout`` ones (``orders.origin`` is a plain string column: no schema change came
with the new value). Those orders are the auction's: the one ``auctions.order_id``
names, and a winner's order an unpaid offer to the runner-up replaced there, known
by the key the closing job gave it (``auction-{id}-won`` or ``-offer``) on an order
of the auction's room, for one of its bidders, of its SKU. A buyer's own order under
a look-alike key fails one of these and stays ``checkout``.

Data only; the downgrade leaves them: an ``auction`` origin means what it did.
"""

from __future__ import annotations

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE orders SET origin = 'AUCTION' WHERE origin = 'CHECKOUT' AND ("
        " id IN (SELECT order_id FROM auctions WHERE order_id IS NOT NULL)"
        " OR EXISTS ("
        "   SELECT 1 FROM auctions"
        "   WHERE orders.idempotency_key IN ("
        "     'auction-' || CAST(auctions.id AS VARCHAR(20)) || '-won',"
        "     'auction-' || CAST(auctions.id AS VARCHAR(20)) || '-offer')"
        "   AND orders.room_id = auctions.room_id"
        "   AND EXISTS (SELECT 1 FROM auction_bids WHERE auction_bids.auction_id = auctions.id"
        "     AND auction_bids.bidder_id = orders.buyer_id)"
        "   AND EXISTS (SELECT 1 FROM order_items WHERE order_items.order_id = orders.id"
        "     AND order_items.sku_id = auctions.sku_id)))"
    )


def downgrade() -> None:
    """Nothing to undo: the orders are the auctions' either way."""
