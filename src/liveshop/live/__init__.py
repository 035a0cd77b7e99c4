"""Live rooms: the real-time hub, chat, likes, questions and host controls."""

from sqlalchemy.orm import Session

from liveshop.core.rooms import RoomFacts, register_room_lookup


def _room_facts(session: Session, room_id: int) -> RoomFacts:
    from liveshop.live.service import get_room  # the service imports this package

    room = get_room(session, room_id=room_id)
    return RoomFacts(id=room.id, host_id=room.host_id, status=room.status.value)


register_room_lookup(_room_facts)
