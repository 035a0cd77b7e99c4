from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from liveshop.core.dependencies import SettingsDep
from liveshop.promotions.flash_sales import stock_engine_for
from liveshop.promotions.stock_engines import StockEngine


def get_stock_engine(settings: SettingsDep) -> StockEngine:
    return stock_engine_for(settings.redis_url, settings.resolved_database_url())


StockEngineDep = Annotated[StockEngine, Depends(get_stock_engine)]
