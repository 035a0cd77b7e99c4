"""Stream keys and the media server's callbacks, over the API (no media server needed):
the host's key lets its room publish; a wrong, rotated or another room's key, a bad
callback secret, and an ended room are refused with 403 and change nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from liveshop.accounts.models import Role
from liveshop.core.db import unit_of_work
from liveshop.core.settings import Settings
from liveshop.media.models import RoomStream, StreamStatus
from liveshop.media.naming import callback_secret
from tests.conftest import SECRET_KEY, Account, MakeAccount

SECRET = callback_secret(SECRET_KEY)


def _room(client: TestClient, host: Account, title: str = "直播间") -> int:
    response = client.post("/api/rooms", json={"title": title}, headers=host.headers)
    assert response.status_code == 201, response.text
    room_id: int = response.json()["id"]
    return room_id


def _key(client: TestClient, host: Account, room_id: int) -> str:
    response = client.post(f"/api/rooms/{room_id}/stream-key", headers=host.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ingest_url"] == "rtmp://127.0.0.1:1935/live"
    stream_key: str = body["stream_key"]
    return stream_key


def _publish(client: TestClient, stream_key: str, *, clientid: str = "7", secret: str = SECRET):
    name, _, query = stream_key.partition("?")
    key = query.removeprefix("key=")
    return client.post(
        f"/api/media/on-publish?secret={secret}",
        data={"app": "live", "name": name, "key": key, "clientid": clientid, "call": "publish"},
    )


def _stream_row(settings: Settings, room_id: int) -> tuple[StreamStatus, str | None] | None:
    with unit_of_work(settings.resolved_database_url()) as session:
        row = session.scalars(select(RoomStream).where(RoomStream.room_id == room_id)).first()
        return (row.status, row.publisher) if row else None


def test_the_hosts_key_publishes_and_the_room_shows_its_playlist(
    client: TestClient, make_account: MakeAccount, settings: Settings
) -> None:
    host = make_account(Role.HOST)
    room_id = _room(client, host)
    room = client.get(f"/api/rooms/{room_id}").json()
    assert (room["stream_status"], room["playback_url"]) == ("offline", None)
    stream_key = _key(client, host, room_id)
    assert stream_key.startswith(f"room-{room_id}?key=")
    assert len(stream_key) > 40

    assert _publish(client, stream_key, clientid="11").status_code == 200
    room = client.get(f"/api/rooms/{room_id}").json()
    assert room["stream_status"] == "live"
    assert room["playback_url"] == f"http://127.0.0.1:8088/hls/room-{room_id}.m3u8"
    assert _stream_row(settings, room_id) == (StreamStatus.LIVE, "11")

    # the end of an older connection does not take the newer one offline
    done = {"app": "live", "name": f"room-{room_id}", "call": "publish_done"}
    old = client.post(f"/api/media/on-publish-done?secret={SECRET}", data=done | {"clientid": "3"})
    assert old.json() == {"offline": False}
    ended = client.post(
        f"/api/media/on-publish-done?secret={SECRET}", data=done | {"clientid": "11"}
    )
    assert ended.json() == {"offline": True}
    room = client.get(f"/api/rooms/{room_id}").json()
    assert (room["stream_status"], room["playback_url"]) == ("offline", None)


def test_wrong_rotated_and_other_rooms_keys_are_refused(
    client: TestClient, make_account: MakeAccount, settings: Settings
) -> None:
    host, other_host = make_account(Role.HOST), make_account(Role.HOST)
    room_id, other_room = _room(client, host), _room(client, other_host)
    first = _key(client, host, room_id)
    second = _key(client, host, room_id)  # rotates: the first stops working
    other_key = _key(client, other_host, other_room)
    name = f"room-{room_id}"
    other_secret = other_key.partition("?key=")[2]

    assert _publish(client, first).status_code == 403
    assert _publish(client, f"{name}?key=wrong-key").status_code == 403
    assert _publish(client, f"{name}?key={other_secret}").status_code == 403
    assert _publish(client, f"{name}?key=").status_code == 403
    assert _publish(client, f"room-999999?key={other_secret}").status_code == 403
    assert _publish(client, second, secret="not-the-secret").status_code == 403
    assert _stream_row(settings, room_id) == (StreamStatus.OFFLINE, None)

    assert _publish(client, second).status_code == 200
    assert _stream_row(settings, room_id) == (StreamStatus.LIVE, "7")


def test_only_the_rooms_host_gets_a_key_and_an_ended_room_takes_no_video(
    client: TestClient, make_account: MakeAccount, settings: Settings
) -> None:
    host, stranger = make_account(Role.HOST), make_account(Role.HOST)
    room_id = _room(client, host)
    refused = client.post(f"/api/rooms/{room_id}/stream-key", headers=stranger.headers)
    assert refused.status_code == 403
    assert _stream_row(settings, room_id) is None
    assert client.post(f"/api/rooms/{room_id}/stream-key").status_code == 401

    stream_key = _key(client, host, room_id)
    client.post(f"/api/rooms/{room_id}/start", headers=host.headers)
    assert client.post(f"/api/rooms/{room_id}/end", headers=host.headers).status_code == 200
    assert _publish(client, stream_key).status_code == 403
    again = client.post(f"/api/rooms/{room_id}/stream-key", headers=host.headers)
    assert again.status_code == 403


def test_go_live_starts_the_room_when_the_stream_arrives(
    client: TestClient, make_account: MakeAccount
) -> None:
    host = make_account(Role.HOST)
    room_id = _room(client, host)
    stream_key = _key(client, host, room_id)
    armed = client.post(f"/api/rooms/{room_id}/go-live", headers=host.headers)
    assert armed.json() == {
        "room_status": "scheduled",
        "stream_status": "offline",
        "starts_when_stream_arrives": True,
    }
    assert client.get(f"/api/rooms/{room_id}").json()["status"] == "scheduled"
    assert _publish(client, stream_key).status_code == 200
    room = client.get(f"/api/rooms/{room_id}").json()
    assert (room["status"], room["stream_status"]) == ("live", "live")
    health = client.get(f"/api/rooms/{room_id}/stream-health", headers=host.headers)
    # no media server runs in this test: live, without figures
    assert health.json()["stream_status"] == "live"
    assert health.json()["bitrate_kbps"] is None


def test_only_a_live_stream_gives_a_playback_url_and_hides_the_poster(
    client: TestClient, make_account: MakeAccount
) -> None:
    """The host cannot set a playback URL of their own (the retired ``rooms.playback_url``
    showed one while offline, so the page skipped its poster)."""
    host = make_account(Role.HOST)
    offered = client.post(
        "/api/rooms",
        json={"title": "直播间", "playback_url": "https://example.com/old.m3u8"},
        headers=host.headers,
    )
    assert offered.status_code == 422
    room_id = _room(client, host)

    offline_page = client.get(f"/rooms/{room_id}").text
    assert client.get(f"/api/rooms/{room_id}").json()["playback_url"] is None
    assert 'id="player-poster" data-playback-url="" >' in offline_page

    assert _publish(client, _key(client, host, room_id)).status_code == 200
    playlist = f"http://127.0.0.1:8088/hls/room-{room_id}.m3u8"
    assert client.get(f"/api/rooms/{room_id}").json()["playback_url"] == playlist
    assert (
        f'id="player-poster" data-playback-url="{playlist}" hidden>'
        in client.get(f"/rooms/{room_id}").text
    )
