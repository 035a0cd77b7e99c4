"""A/B tests of a room's shelf order: which product each variant's viewers see first.

The room's host attaches one of the experiments of the shop they act for (owner or
staff; ``campaigns`` owns experiments, live reaches them through ``core.experiments``)
with a lead product per variant: a product of that shop on the room's shelf. A viewer
who opens the shelf (``GET /api/rooms/{id}/shelf``, signed in) sees their variant's
lead first, the rest in the host's order; that moment is the exposure, so the
experiment's results compare conversion and GMV per viewer between orders. Anyone
else (signed out, a regulator) sees the host's order and is in no experiment.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import can_shop
from liveshop.catalog.schemas import ProductOut
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.experiments import experiment_facts, exposed_variant
from liveshop.live import shelf
from liveshop.live.schemas import ShelfExperimentIn, ShelfExperimentOut
from liveshop.live.service import controlled_room, get_room


def attach_shelf_experiment(
    session: Session, *, actor: User, room_id: int, body: ShelfExperimentIn
) -> ShelfExperimentOut:
    room = controlled_room(session, actor=actor, room_id=room_id)
    shop = catalog.shop_of(session, user=actor)
    try:
        facts = experiment_facts(session, body.experiment_id)
    except NotFound:
        facts = None
    if facts is None or shop is None or facts.shop_id != shop.id:  # not the actor's shop's
        raise NotFound(f"experiment {body.experiment_id} not found", code="experiment_not_found")
    if room.shelf_experiment_id is not None:
        raise Conflict("this room's shelf is already in an experiment", code="shelf_in_experiment")
    if set(body.leads) != set(facts.variants):
        raise InvalidInput(
            f"give a lead product for each variant: {', '.join(facts.variants)}",
            code="leads_variants",
        )
    shelved = shelf.shelved_product_ids(session, room.id)
    for variant, product_id in body.leads.items():
        if (
            product_id not in shelved
            or catalog.get_product(session, product_id=product_id).shop_id != shop.id
        ):
            raise InvalidInput(
                f"variant {variant!r}: lead with a product of your shop on this room's shelf",
                code="lead_not_on_shelf",
            )
    room.shelf_experiment_id = facts.id
    room.shelf_experiment_leads = {variant: body.leads[variant] for variant in facts.variants}
    session.flush()
    return ShelfExperimentOut(
        room_id=room.id, experiment_id=facts.id, leads=room.shelf_experiment_leads
    )


def is_tested(session: Session, *, room_id: int) -> bool:
    return get_room(session, room_id=room_id).shelf_experiment_id is not None


def shelf_for(session: Session, *, room_id: int, viewer: User | None) -> list[ProductOut]:
    """The shelf as this viewer sees it; a tested shelf logs the viewer's exposure."""
    room = get_room(session, room_id=room_id)
    products = shelf.shelf(session, room_id=room.id)
    leads = room.shelf_experiment_leads
    if room.shelf_experiment_id is None or not leads or viewer is None or not can_shop(viewer):
        return products
    variant = exposed_variant(session, experiment_id=room.shelf_experiment_id, user_id=viewer.id)
    lead = leads.get(variant)
    return sorted(products, key=lambda product: product.id != lead)  # stable: the rest stay
