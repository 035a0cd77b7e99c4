from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, status

from liveshop.accounts.dependencies import CurrentUser, OptionalUser
from liveshop.accounts.models import User
from liveshop.core.db import separate_writing_unit, unit_of_work
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.governance.config import ModerationSettings, get_moderation_settings
from liveshop.promotions import coupon_countdowns, coupon_experiments, coupons, flash_sales
from liveshop.promotions.dependencies import StockEngineDep
from liveshop.promotions.schemas import (
    AdmissionOut,
    CouponCountdownIn,
    CouponCountdownOut,
    CouponExperimentIn,
    CouponExperimentOut,
    CouponIn,
    CouponOut,
    FlashSaleIn,
    FlashSaleOut,
    WalletCouponOut,
)

router = APIRouter(prefix="/api", tags=["promotions"])
ModerationSettingsDep = Annotated[ModerationSettings, Depends(get_moderation_settings)]


@router.post("/flash-sales", status_code=status.HTTP_201_CREATED)
def create_flash_sale(
    body: FlashSaleIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    engine: StockEngineDep,
    moderation_settings: ModerationSettingsDep,
) -> FlashSaleOut:
    """Refused (403) when the room's host is banned, suspended or below the minimum
    credit score; the message says which, with the score and the minimum."""
    sale = flash_sales.create_flash_sale(
        session,
        actor=user,
        body=body,
        engine=engine,
        reference_days=settings.flash_sale_reference_days,
        moderation_settings=moderation_settings,
    )
    return flash_sales.sale_out(session, sale, engine)


@router.get("/flash-sales/{sale_id}")
def get_flash_sale(sale_id: RowId, session: DbSession, engine: StockEngineDep) -> FlashSaleOut:
    return flash_sales.sale_out(session, flash_sales.get_sale(session, sale_id=sale_id), engine)


@router.get("/flash-sales/{sale_id}/admissions")
def flash_sale_admissions(
    sale_id: RowId, session: DbSession, user: OptionalUser
) -> list[AdmissionOut]:
    """The public admission log: who got units, in order, names masked (``b**``).
    The sale's host, its shop, admins and regulators also get user and order ids."""
    return flash_sales.admission_log(session, sale_id=sale_id, viewer=user)


@router.get("/rooms/{room_id}/flash-sales")
def room_flash_sales(
    room_id: RowId, session: DbSession, engine: StockEngineDep
) -> list[FlashSaleOut]:
    return [
        flash_sales.sale_out(session, sale, engine)
        for sale in flash_sales.list_room_sales(session, room_id=room_id)
    ]


@router.post("/coupons", status_code=status.HTTP_201_CREATED)
def create_coupon(body: CouponIn, user: CurrentUser, session: DbSession) -> CouponOut:
    return coupons.coupon_out(coupons.create_coupon(session, actor=user, body=body))


@router.get("/coupons/mine")
def my_coupons(user: CurrentUser, session: DbSession) -> list[WalletCouponOut]:
    return coupons.wallet(session, user=user)


@router.get("/coupons/{coupon_id}")
def get_coupon(coupon_id: RowId, session: DbSession) -> CouponOut:
    return coupons.coupon_out(coupons.get_coupon(session, coupon_id=coupon_id))


@router.get("/coupons/{coupon_id}/offer")
def coupon_offer(coupon_id: RowId, user: CurrentUser, session: DbSession) -> CouponOut:
    """The coupon as the caller is offered it: at their variant's depth when its depth is
    A/B tested, the first call logging the exposure (the room's card asks when it shows)."""
    coupons.get_coupon(session, coupon_id=coupon_id)
    with separate_writing_unit(session) as writer:  # a GET that logs its exposure
        return coupons.offer(writer, user=user, coupon_id=coupon_id)


@router.post("/coupons/{coupon_id}/experiment", status_code=status.HTTP_201_CREATED)
def attach_coupon_experiment(
    coupon_id: RowId, body: CouponExperimentIn, user: CurrentUser, session: DbSession
) -> CouponExperimentOut:
    """A/B test the coupon's depth (its shop's merchant, before its first grab): one of
    the shop's experiments, with each variant's depth, none beyond the coupon's face."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    return coupon_experiments.attach_experiment(session, actor=user, coupon=coupon, body=body)


@router.get("/coupons/{coupon_id}/experiment")
def coupon_experiment(
    coupon_id: RowId, user: CurrentUser, session: DbSession
) -> CouponExperimentOut:
    """The experiment attached to the coupon's depth (its shop's merchant; 404 when none)."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    return coupon_experiments.attached_experiment(session, actor=user, coupon=coupon)


@router.put("/coupons/{coupon_id}/experiment")
def change_coupon_experiment(
    coupon_id: RowId, body: CouponExperimentIn, user: CurrentUser, session: DbSession
) -> CouponExperimentOut:
    """Attach, or change the depths or the experiment, while no viewer has been offered a
    variant of the one attached (409 ``experiment_exposed`` after)."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    return coupon_experiments.change_experiment(session, actor=user, coupon=coupon, body=body)


@router.delete("/coupons/{coupon_id}/experiment", status_code=status.HTTP_204_NO_CONTENT)
def detach_coupon_experiment(coupon_id: RowId, user: CurrentUser, session: DbSession) -> None:
    """One depth for everyone again, while no viewer has been offered a variant (else 409)."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    coupon_experiments.detach_experiment(session, actor=user, coupon=coupon)


@router.get("/coupons/{coupon_id}/countdown-experiment")
def coupon_countdown_experiment(
    coupon_id: RowId, user: CurrentUser, session: DbSession
) -> CouponCountdownOut:
    """The experiment attached to the coupon's countdown (its shop's merchant; 404: none)."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    return coupon_countdowns.attached_countdown(session, actor=user, coupon=coupon)


@router.put("/coupons/{coupon_id}/countdown-experiment")
def change_coupon_countdown_experiment(
    coupon_id: RowId, body: CouponCountdownIn, user: CurrentUser, session: DbSession
) -> CouponCountdownOut:
    """A/B test how long a viewer has to grab the coupon once shown it (its shop's
    merchant, before its first grab): attach, or change while no viewer has been shown a
    variant (409 ``experiment_exposed`` after)."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    return coupon_countdowns.change_countdown(session, actor=user, coupon=coupon, body=body)


@router.delete("/coupons/{coupon_id}/countdown-experiment", status_code=status.HTTP_204_NO_CONTENT)
def detach_coupon_countdown_experiment(
    coupon_id: RowId, user: CurrentUser, session: DbSession
) -> None:
    """The coupon's own window for everyone again, while no viewer was shown a variant."""
    coupon = coupons.get_coupon(session, coupon_id=coupon_id)
    coupon_countdowns.detach_countdown(session, actor=user, coupon=coupon)


@router.post("/coupons/{coupon_id}/grab", status_code=status.HTTP_201_CREATED)
async def grab_coupon(
    coupon_id: RowId, user: CurrentUser, settings: SettingsDep
) -> WalletCouponOut:
    """A crowd's route too: one worker thread from the first query to the commit
    (see orders.api.buy_flash_sale for why)."""
    return await asyncio.to_thread(_grab, settings.resolved_database_url(), user, coupon_id)


def _grab(database_url: str, user: User, coupon_id: int) -> WalletCouponOut:
    with unit_of_work(database_url) as session:
        held = coupons.grab_coupon(session, user=user, coupon_id=coupon_id)
        coupon = coupons.get_coupon(session, coupon_id=coupon_id)
        return WalletCouponOut(
            id=held.id,
            coupon=coupon_experiments.at_depth(coupons.coupon_out(coupon), held.depth),
            order_id=None,
            claimed_at=held.claimed_at,
        )


@router.get("/rooms/{room_id}/coupons")
def room_coupon_drops(room_id: RowId, session: DbSession) -> list[CouponOut]:
    return coupons.room_drops(session, room_id=room_id)
