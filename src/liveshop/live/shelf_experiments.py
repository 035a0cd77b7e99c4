"""A/B tests of a room's shelf order: which product each variant's viewers see first.

The room's host attaches one of the experiments of the shop they act for (owner or
staff; ``campaigns`` owns experiments, live reaches them through ``core.experiments``)
with a lead product per variant: a product of that shop on the room's shelf. A viewer
who opens the shelf (``GET /api/rooms/{id}/shelf``, signed in) sees their variant's
lead first, the rest in the host's order; that moment is the exposure, so the
experiment's results compare conversion and GMV per viewer between orders. Anyone
else (signed out, a regulator, the room's host at the console) sees the host's order
and is in no experiment. Until a viewer has been shown a variant of the attached
experiment, the host may change the leads, swap the experiment or detach it; after,
it stays as it is.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.catalog import service as catalog
from liveshop.catalog.access import can_shop
from liveshop.catalog.schemas import ProductOut
from liveshop.core.errors import Conflict, InvalidInput, NotFound
from liveshop.core.experiments import (
    experiment_facts,
    exposed_variant,
    require_unexposed,
    shop_experiment,
)
from liveshop.live import shelf
from liveshop.live.access import can_run_room
from liveshop.live.models import Room
from liveshop.live.schemas import ShelfExperimentIn, ShelfExperimentOut
from liveshop.live.service import controlled_room, get_room


def attach_shelf_experiment(
    session: Session, *, actor: User, room_id: int, body: ShelfExperimentIn
) -> ShelfExperimentOut:
    room = controlled_room(session, actor=actor, room_id=room_id)
    shop_id = _acting_shop_id(session, actor)
    if room.shelf_experiment_id is not None:
        raise Conflict("this room's shelf is already in an experiment", code="shelf_in_experiment")
    return _set_leads(session, room=room, shop_id=shop_id, body=body)


def change_shelf_experiment(
    session: Session, *, actor: User, room_id: int, body: ShelfExperimentIn
) -> ShelfExperimentOut:
    """Attach, or replace the attached experiment or its leads, while no viewer has been
    shown a variant of the one attached (409 ``experiment_exposed`` after)."""
    room = controlled_room(session, actor=actor, room_id=room_id)
    shop_id = _acting_shop_id(session, actor)
    session.refresh(room, with_for_update=True)  # one change at a time
    _require_unexposed(session, room)
    return _set_leads(session, room=room, shop_id=shop_id, body=body)


def detach_shelf_experiment(session: Session, *, actor: User, room_id: int) -> None:
    """The host's order for everyone again, while no viewer has been shown a variant."""
    room = controlled_room(session, actor=actor, room_id=room_id)
    session.refresh(room, with_for_update=True)
    if room.shelf_experiment_id is None:
        raise NotFound("this room's shelf is in no experiment", code="shelf_not_in_experiment")
    _require_unexposed(session, room)
    room.shelf_experiment_id = None
    room.shelf_experiment_leads = None
    session.flush()


def attached_shelf_experiment(session: Session, *, actor: User, room_id: int) -> ShelfExperimentOut:
    """What the host attached (404 ``shelf_not_in_experiment`` when nothing)."""
    room = controlled_room(session, actor=actor, room_id=room_id)
    if room.shelf_experiment_id is None or not room.shelf_experiment_leads:
        raise NotFound("this room's shelf is in no experiment", code="shelf_not_in_experiment")
    facts = experiment_facts(session, room.shelf_experiment_id)
    return ShelfExperimentOut(
        room_id=room.id,
        experiment_id=facts.id,
        leads=room.shelf_experiment_leads,
        exposed=facts.has_exposures,
    )


def _acting_shop_id(session: Session, actor: User) -> int | None:
    shop = catalog.shop_of(session, user=actor)
    return shop.id if shop is not None else None


def _require_unexposed(session: Session, room: Room) -> None:
    require_unexposed(
        session,
        room.shelf_experiment_id,
        why=(
            "viewers have seen this shelf in their variant's order: the experiment stays "
            "attached as it is until the room ends"
        ),
    )


def _set_leads(
    session: Session, *, room: Room, shop_id: int | None, body: ShelfExperimentIn
) -> ShelfExperimentOut:
    facts = shop_experiment(session, body.experiment_id, shop_id=shop_id)
    if set(body.leads) != set(facts.variants):
        raise InvalidInput(
            f"give a lead product for each variant: {', '.join(facts.variants)}",
            code="leads_variants",
        )
    shelved = shelf.shelved_product_ids(session, room.id)
    for variant, product_id in body.leads.items():
        if (
            product_id not in shelved
            or catalog.get_product(session, product_id=product_id).shop_id != shop_id
        ):
            raise InvalidInput(
                f"variant {variant!r}: lead with a product of your shop on this room's shelf",
                code="lead_not_on_shelf",
            )
    room.shelf_experiment_id = facts.id
    room.shelf_experiment_leads = {variant: body.leads[variant] for variant in facts.variants}
    session.flush()
    return ShelfExperimentOut(
        room_id=room.id,
        experiment_id=facts.id,
        leads=room.shelf_experiment_leads,
        exposed=facts.has_exposures,
    )


def is_tested(session: Session, *, room_id: int) -> bool:
    return get_room(session, room_id=room_id).shelf_experiment_id is not None


def shelf_for(session: Session, *, room_id: int, viewer: User | None) -> list[ProductOut]:
    """The shelf as this viewer sees it; a tested shelf logs the viewer's exposure."""
    room = get_room(session, room_id=room_id)
    products = shelf.shelf(session, room_id=room.id)
    leads = room.shelf_experiment_leads
    if (
        room.shelf_experiment_id is None
        or not leads
        or viewer is None
        or not can_shop(viewer)
        or can_run_room(viewer, room=room)  # the host at their console is no viewer
    ):
        return products
    variant = exposed_variant(session, experiment_id=room.shelf_experiment_id, user_id=viewer.id)
    lead = leads.get(variant)
    return sorted(products, key=lambda product: product.id != lead)  # stable: the rest stay


def rooms_testing(session: Session, *, experiment_id: int) -> list[Room]:
    """The rooms whose shelf order ``experiment_id`` varies, newest first."""
    query = select(Room).where(Room.shelf_experiment_id == experiment_id).order_by(Room.id.desc())
    return list(session.scalars(query))
