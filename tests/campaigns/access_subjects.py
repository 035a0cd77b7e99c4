"""Campaigns' objects for the route-access walk (tests/access/routes.py): shop A's
campaign with a link, shop A's experiment, and the redirect's expectation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from liveshop.accounts.models import User
from liveshop.campaigns import audiences, experiments, link_experiments, links, service
from liveshop.campaigns.experiment_schemas import ExperimentIn, VariantIn
from liveshop.campaigns.schemas import CampaignIn, LandingExperimentIn, LinkIn
from liveshop.core.clock import utcnow
from liveshop.live import shelf_experiments
from liveshop.live.schemas import ShelfExperimentIn
from liveshop.privacy.consents import POLICY_VERSIONS, Purpose, grant_consent
from liveshop.promotions import coupon_countdowns, coupon_experiments, coupons
from liveshop.promotions.schemas import CouponCountdownIn, CouponExperimentIn
from tests.access.rules import Expect, Subject
from tests.access.world import ROOM_HOST, SELLER, Made, World
from tests.conftest import Account


@dataclass(frozen=True)
class Followed(Expect):
    """A tracking link answers anyone with a redirect (and records the click)."""

    @property
    def allows(self) -> bool:
        return True

    def matches(self, status: int) -> bool:
        return status == 302


FOLLOWED = Followed("302 to the link's target", frozenset({302}))


def _campaign(world: World) -> Made:
    now = utcnow()
    with world.session() as session:
        seller = session.get_one(User, world.seller.id)
        campaign = service.create_campaign(
            session,
            actor=seller,
            body=CampaignIn(
                name=f"walk {world.number()}",
                channels=["douyin"],
                budget=10_000,
                starts_at=now,
                ends_at=now + timedelta(days=7),
            ),
        )
        link = links.create_link(
            session,
            actor=seller,
            campaign_id=campaign.id,
            body=LinkIn(target=f"product:{world.product}", channel="douyin"),
        )
        return Made(
            ids={"campaign_id": campaign.id, "code": link.code, "product_id": world.product},
            parties={SELLER: world.seller},
        )


def _experiment(world: World) -> Made:
    with world.session() as session:
        experiment = experiments.create_experiment(
            session,
            actor=session.get_one(User, world.seller.id),
            body=ExperimentIn(
                name=f"walk {world.number()}",
                variants=[VariantIn(name="a", weight=1), VariantIn(name="b", weight=1)],
            ),
        )
        return Made(ids={"experiment_id": experiment.id}, parties={SELLER: world.seller})


def _push(world: World) -> Made:
    with world.session() as session:
        for buyer in (world.buyer, world.buyer_b):  # a push reaches only those who accept it
            grant_consent(
                session,
                user_id=buyer.id,
                purpose=Purpose.MARKETING_MESSAGES,
                policy_version=POLICY_VERSIONS[Purpose.MARKETING_MESSAGES],
            )
        push = audiences.send_push(
            session,
            actor=session.get_one(User, world.seller.id),
            user_ids=[world.buyer.id, world.buyer_b.id],
            kind="room_reminder",
            target=f"room:{world.room}",
            message="开播提醒",
            holdout_percent=50,
        )
        return Made(ids={"push_id": push.id}, parties={SELLER: world.seller})


def _tested_coupon(world: World) -> Made:
    """Shop A's fresh coupon (10 off) and shop A's experiment to vary its depth."""
    made = _experiment(world)
    made.ids["coupon_id"] = world.fresh_coupon()
    return made


def coupon_experiment_body(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
    """Depths within the coupon's face (1,000) for the experiment's two variants."""
    return {"experiment_id": made.ids["experiment_id"], "depths": {"a": 500, "b": 1_000}}


def _tested_room(world: World) -> Made:
    """Host A's live room (product A on its shelf) and shop A's experiment."""
    made = _experiment(world)
    return Made(
        ids=made.ids | {"room_id": world.fresh_room(), "product_id": world.product},
        parties={ROOM_HOST: world.host, SELLER: world.seller},
    )


def shelf_experiment_body(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
    """Both variants lead with product A (on the room's shelf)."""
    lead = made.ids["product_id"]
    return {"experiment_id": made.ids["experiment_id"], "leads": {"a": lead, "b": lead}}


def _attached_coupon(world: World) -> Made:
    """Shop A's fresh coupon with shop A's experiment attached to its depth."""
    made = _tested_coupon(world)
    with world.session() as session:
        coupon_experiments.attach_experiment(
            session,
            actor=session.get_one(User, world.seller.id),
            coupon=coupons.get_coupon(session, coupon_id=made.ids["coupon_id"]),
            body=CouponExperimentIn(**coupon_experiment_body(made, None, world)),
        )
    return made


def countdown_body(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
    """A countdown of 30 or 60 seconds for the experiment's two variants."""
    return {"experiment_id": made.ids["experiment_id"], "seconds": {"a": 30, "b": 60}}


def _counting_down_coupon(world: World) -> Made:
    """Shop A's fresh coupon with shop A's experiment attached to its countdown."""
    made = _tested_coupon(world)
    with world.session() as session:
        coupon_countdowns.change_countdown(
            session,
            actor=session.get_one(User, world.seller.id),
            coupon=coupons.get_coupon(session, coupon_id=made.ids["coupon_id"]),
            body=CouponCountdownIn(**countdown_body(made, None, world)),
        )
    return made


def _link_to_test(world: World) -> Made:
    """Shop A's campaign link and shop A's experiment to test its landing page."""
    made = _campaign(world)
    made.ids["experiment_id"] = _experiment(world).ids["experiment_id"]
    return made


def landing_body(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
    """Both variants land on product A (the shop's)."""
    landing = {"target": f"product:{made.ids['product_id']}", "creative": "poster"}
    return {"experiment_id": made.ids["experiment_id"], "landings": {"a": landing, "b": landing}}


def _tested_link(world: World) -> Made:
    """Shop A's campaign link whose landing page is tested."""
    made = _link_to_test(world)
    with world.session() as session:
        link_experiments.change_landings(
            session,
            actor=session.get_one(User, world.seller.id),
            code=str(made.ids["code"]),
            body=LandingExperimentIn(**landing_body(made, None, world)),
        )
    return made


def _attached_room(world: World) -> Made:
    """Host A's live room with shop A's experiment attached to its shelf's order."""
    made = _tested_room(world)
    with world.session() as session:
        shelf_experiments.attach_shelf_experiment(
            session,
            actor=session.get_one(User, world.host.id),
            room_id=made.ids["room_id"],
            body=ShelfExperimentIn(**shelf_experiment_body(made, None, world)),
        )
    return made


CAMPAIGN = Subject("campaign (shop A's, with a link)", _campaign)
EXPERIMENT = Subject("experiment (shop A's)", _experiment)
PUSH = Subject("audience push (shop A's)", _push)
TESTED_ROOM = Subject("room with an experiment to attach (host A's, shop A's)", _tested_room)
TESTED_COUPON = Subject("coupon with an experiment to attach (shop A's)", _tested_coupon)
ATTACHED_ROOM = Subject("room whose shelf order is tested (host A's, shop A's)", _attached_room)
ATTACHED_COUPON = Subject("coupon whose depth is tested (shop A's)", _attached_coupon)
LINK_TO_TEST = Subject("campaign link and experiment (shop A's)", _link_to_test)
TESTED_LINK = Subject("campaign link whose landing is tested (shop A's)", _tested_link)
COUNTDOWN_COUPON = Subject("coupon whose countdown is tested (shop A's)", _counting_down_coupon)


def link_body(made: Made, _caller: Account | None, _world: World) -> dict[str, Any]:
    """A link to shop A's product, on the campaign's channel."""
    return {"target": f"product:{made.ids['product_id']}", "channel": "douyin"}
