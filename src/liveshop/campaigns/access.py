"""Who may run and read campaigns, links, experiments and audiences.

A campaign, its links, spend, metrics and commissions belong to its shop: the
shop's owner and staff (and admins) act on them; anyone else is told the
campaign does not exist (404), so ids cannot be probed. Experiments belong to
the shop that created them (admins create platform-wide ones). Any user who
may shop may make a share link of a room or a product.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from liveshop.accounts.models import User
from liveshop.campaigns.models import Campaign, Experiment
from liveshop.catalog import service as catalog
from liveshop.catalog.access import can_manage_shop, is_admin, require_shopper
from liveshop.core.errors import NotFound, PermissionDenied


def shop_to_run_campaigns(session: Session, *, actor: User) -> int:
    """The shop the caller runs campaigns for (owner or staff)."""
    shop = catalog.shop_of(session, user=actor)
    if shop is None:
        raise PermissionDenied("campaigns are run by a shop's merchants", code="no_shop")
    return shop.id


def can_manage_campaign(session: Session, *, actor: User, campaign: Campaign) -> bool:
    return can_manage_shop(session, actor=actor, shop_id=campaign.shop_id)


def require_campaign_manager(session: Session, *, actor: User, campaign: Campaign) -> None:
    if not can_manage_campaign(session, actor=actor, campaign=campaign):
        raise NotFound(f"campaign {campaign.id} not found", code="campaign_not_found")


def require_sharer(actor: User) -> None:
    """Share links are for people who take part (not regulators' read-only accounts)."""
    require_shopper(actor)


def shop_to_run_experiments(session: Session, *, actor: User) -> int | None:
    """The caller's shop for a new experiment; None for an admin's platform experiment."""
    if is_admin(actor):
        shop = catalog.shop_of(session, user=actor)
        return shop.id if shop is not None else None
    return shop_to_run_campaigns(session, actor=actor)


def can_read_experiment_results(session: Session, *, actor: User, experiment: Experiment) -> bool:
    if experiment.shop_id is None:
        return is_admin(actor)
    return can_manage_shop(session, actor=actor, shop_id=experiment.shop_id)


def require_experiment_reader(session: Session, *, actor: User, experiment: Experiment) -> None:
    if not can_read_experiment_results(session, actor=actor, experiment=experiment):
        raise NotFound(f"experiment {experiment.id} not found", code="experiment_not_found")


def require_participant(actor: User) -> None:
    """Assignment is for people who shop: a regulator is in no experiment."""
    require_shopper(actor)
