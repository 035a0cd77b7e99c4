from __future__ import annotations

from fastapi import APIRouter, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, SettingsDep
from liveshop.promotions import flash_sales
from liveshop.promotions.dependencies import StockEngineDep
from liveshop.promotions.schemas import AdmissionOut, FlashSaleIn, FlashSaleOut

router = APIRouter(prefix="/api", tags=["promotions"])


@router.post("/flash-sales", status_code=status.HTTP_201_CREATED)
def create_flash_sale(
    body: FlashSaleIn,
    user: CurrentUser,
    session: DbSession,
    settings: SettingsDep,
    engine: StockEngineDep,
) -> FlashSaleOut:
    sale = flash_sales.create_flash_sale(
        session,
        actor=user,
        body=body,
        engine=engine,
        reference_days=settings.flash_sale_reference_days,
    )
    return flash_sales.sale_out(session, sale, engine)


@router.get("/flash-sales/{sale_id}")
def get_flash_sale(sale_id: int, session: DbSession, engine: StockEngineDep) -> FlashSaleOut:
    return flash_sales.sale_out(session, flash_sales.get_sale(session, sale_id=sale_id), engine)


@router.get("/flash-sales/{sale_id}/admissions")
def flash_sale_admissions(sale_id: int, session: DbSession) -> list[AdmissionOut]:
    """The public admission log: who got which units, in order."""
    return flash_sales.admission_log(session, sale_id=sale_id)


@router.get("/rooms/{room_id}/flash-sales")
def room_flash_sales(
    room_id: int, session: DbSession, engine: StockEngineDep
) -> list[FlashSaleOut]:
    return [
        flash_sales.sale_out(session, sale, engine)
        for sale in flash_sales.list_room_sales(session, room_id=room_id)
    ]
