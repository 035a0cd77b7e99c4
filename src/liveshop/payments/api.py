"""Saved payment methods over HTTP (the card vault behind them)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from liveshop.accounts.dependencies import CurrentUser
from liveshop.core.dependencies import DbSession, RowId, SettingsDep
from liveshop.payments import methods
from liveshop.payments.schemas import CardIn, PaymentMethodOut
from liveshop.payments.vault import MasterKey

router = APIRouter(prefix="/api", tags=["payments"])


@router.post("/payment-methods", status_code=status.HTTP_201_CREATED)
def add_payment_method(
    body: CardIn, user: CurrentUser, session: DbSession, settings: SettingsDep, response: Response
) -> PaymentMethodOut:
    method, created = methods.add_payment_method(
        session, user=user, body=body, master=MasterKey(settings.resolved_vault_master_key())
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return methods.method_out(method)


@router.get("/payment-methods")
def list_payment_methods(user: CurrentUser, session: DbSession) -> list[PaymentMethodOut]:
    return [methods.method_out(m) for m in methods.list_payment_methods(session, user=user)]


@router.delete("/payment-methods/{method_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_payment_method(method_id: RowId, user: CurrentUser, session: DbSession) -> None:
    methods.remove_payment_method(session, user=user, method_id=method_id)


@router.post("/payment-methods/{method_id}/default")
def make_default(method_id: RowId, user: CurrentUser, session: DbSession) -> PaymentMethodOut:
    return methods.method_out(methods.make_default(session, user=user, method_id=method_id))
