"""A/B tests of a tracking link's landing page and creative.

Whoever manages the link's campaign attaches one of the shop's experiments with, per
variant, where the link's clicks land (a room, product or coupon of the shop) and the
creative the variant stands for. A click (``GET /l/{code}``) puts the person in their
sticky variant (by user when signed in, else by the attribution cookie's visitor id),
logs the exposure, and lands them on their variant's page; the experiment's results
count the orders they pay after it (a visitor as the user their cookie is later seen
signed in as). Until anyone has been exposed, the landings may change or the
experiment be detached; after, 409 ``experiment_exposed``.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns import experiments, links
from liveshop.campaigns.models import TrackingLink
from liveshop.campaigns.schemas import LandingExperimentIn, LandingExperimentOut, LandingIn
from liveshop.campaigns.service import managed_campaign
from liveshop.catalog.access import can_shop
from liveshop.core.errors import Conflict, InvalidInput, NotFound


def change_landings(
    session: Session, *, actor: User, code: str, body: LandingExperimentIn
) -> LandingExperimentOut:
    """Attach, or change the experiment or its landings, while nobody was exposed."""
    link, shop_id = _managed_link(session, actor=actor, code=code)
    _require_unexposed(session, link)
    try:
        experiment = experiments.get_experiment(session, experiment_id=body.experiment_id)
    except NotFound:
        experiment = None
    if experiment is None or experiment.shop_id != shop_id:  # another shop's: as if absent
        raise NotFound(f"experiment {body.experiment_id} not found", code="experiment_not_found")
    variants = [str(variant["name"]) for variant in experiment.variants]
    if set(body.landings) != set(variants):
        raise InvalidInput(
            f"give a landing for each variant: {', '.join(variants)}", code="landings_variants"
        )
    for landing in body.landings.values():
        links.require_shop_target(session, shop_id=shop_id, actor=actor, target=landing.target)
    link.experiment_id = experiment.id
    link.experiment_landings = {
        variant: {
            "target": body.landings[variant].target,
            "creative": body.landings[variant].creative.strip(),
        }
        for variant in variants
    }
    session.flush()
    return _out(session, link, experiment.id)


def detach_landings(session: Session, *, actor: User, code: str) -> None:
    link, _shop_id = _managed_link(session, actor=actor, code=code)
    if link.experiment_id is None:
        raise NotFound("this link is in no experiment", code="link_not_in_experiment")
    _require_unexposed(session, link)
    link.experiment_id = None
    link.experiment_landings = None
    session.flush()


def attached_landings(session: Session, *, actor: User, code: str) -> LandingExperimentOut:
    link, _shop_id = _managed_link(session, actor=actor, code=code, changing=False)
    if link.experiment_id is None:
        raise NotFound("this link is in no experiment", code="link_not_in_experiment")
    return _out(session, link, link.experiment_id)


def follow(session: Session, *, code: str, visitor: str, user: User | None) -> str:
    """Record a click on the link and say where it lands: the link's target, or the
    clicker's variant's landing when the link is tested (the exposure logged once)."""
    link = links.link_by_code(session, code=code)
    landed_on = _landing_of(session, link=link, visitor=visitor, user=user)
    links.record_click(
        session,
        link=link,
        visitor=visitor,
        user_id=user.id if user is not None else None,
        landed_on=landed_on,
    )
    return links.path_of(landed_on or link.target)


def _landing_of(
    session: Session, *, link: TrackingLink, visitor: str, user: User | None
) -> str | None:
    if link.experiment_id is None or not link.experiment_landings:
        return None
    if user is not None and not can_shop(user):
        return None  # a regulator's click: no experiment, the link's own target
    if user is not None:
        variant = experiments.exposed_variant(session, link.experiment_id, user.id)
    else:
        experiment = experiments.get_experiment(session, experiment_id=link.experiment_id)
        variant = experiments.expose_visitor(session, experiment=experiment, visitor=visitor)
    landing = link.experiment_landings.get(variant)
    return landing["target"] if landing is not None else None


def links_testing(session: Session, *, experiment_id: int) -> list[TrackingLink]:
    """The links whose landing ``experiment_id`` varies, oldest first."""
    query = (
        select(TrackingLink)
        .where(TrackingLink.experiment_id == experiment_id)
        .order_by(TrackingLink.id)
    )
    return list(session.scalars(query))


def _managed_link(
    session: Session, *, actor: User, code: str, changing: bool = True
) -> tuple[TrackingLink, int]:
    link = links.link_by_code(session, code=code)
    if link.campaign_id is None:  # a viewer's share link: no campaign runs a test on it
        raise NotFound("no such link", code="link_not_found")
    campaign = managed_campaign(session, actor=actor, campaign_id=link.campaign_id)
    if changing:
        session.refresh(link, with_for_update=True)  # one change at a time
    return link, campaign.shop_id


def _require_unexposed(session: Session, link: TrackingLink) -> None:
    if link.experiment_id is None:
        return
    if experiments.has_exposures(session, experiment_id=link.experiment_id):
        raise Conflict(
            "people have already landed on their variant's page: the experiment stays "
            "attached as it is (to test other pages, make a new link and experiment)",
            code="experiment_exposed",
        )


def _out(session: Session, link: TrackingLink, experiment_id: int) -> LandingExperimentOut:
    return LandingExperimentOut(
        code=link.code,
        experiment_id=experiment_id,
        landings={
            variant: LandingIn(**landing)
            for variant, landing in (link.experiment_landings or {}).items()
        },
        exposed=experiments.has_exposures(session, experiment_id=experiment_id),
    )
