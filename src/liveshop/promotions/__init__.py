"""Flash sales, coupons and prices."""

from sqlalchemy.orm import Session

from liveshop.core.rooms import RoomNotice, register_notice_source


def _current_notices(session: Session, room_id: int) -> list[RoomNotice]:
    from liveshop.promotions.coupons import current_drop_notices  # they import this package
    from liveshop.promotions.flash_sales import current_sale_notices

    return current_sale_notices(session, room_id) + current_drop_notices(session, room_id)


register_notice_source(_current_notices)
