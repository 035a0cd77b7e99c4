"""Orders, after-sales and lucky draws."""

from sqlalchemy.orm import Session

from liveshop.core.rooms import RoomNotice, register_notice_source


def _current_notices(session: Session, room_id: int) -> list[RoomNotice]:
    from liveshop.orders.draws import current_draw_notices  # it imports this package

    return current_draw_notices(session, room_id)


register_notice_source(_current_notices)
