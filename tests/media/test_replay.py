"""The replay and highlights from a recording, without a media server: ffmpeg writes the
FLV the media server would (``room-<id>-<start>.flv``), the ``on_record_done`` callback
remuxes it, and the room's pins, announcements and end land at their offsets."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from liveshop.accounts.models import Role
from liveshop.core.settings import Settings
from liveshop.media.ffmpeg import duration_seconds
from liveshop.media.naming import callback_secret
from liveshop.media.server_config import media_paths
from tests.conftest import SECRET_KEY, MakeAccount
from tests.live.helpers import shop_product

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="scripts/ensure-media.sh")
SECRET = callback_secret(SECRET_KEY)
RECORDING_SECONDS = 8
PIN_SECONDS = 2.0


def record_test_pattern(path: Path, *, seconds: int) -> None:
    """An FLV like the media server records: H.264 with a keyframe a second, AAC."""
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            f"testsrc=size=320x180:rate=25:duration={seconds}",
            "-f",
            "lavfi",
            "-i",
            f"sine=duration={seconds}",
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-g",
            "25",
            "-c:a",
            "aac",
            "-f",
            "flv",
            str(path),
        ],
        check=True,
        timeout=60,
    )


def test_an_ended_room_becomes_a_replay_with_its_timeline_and_highlights(
    client: TestClient, make_account: MakeAccount, settings: Settings
) -> None:
    host, merchant = make_account(Role.HOST), make_account(Role.MERCHANT)
    scarf = shop_product(client, merchant, title="真丝围巾", price=12_900)
    coat = shop_product(client, merchant, title="羊绒大衣", price=99_900)
    room_id = client.post("/api/rooms", json={"title": "冬装"}, headers=host.headers).json()["id"]
    assert client.post(f"/api/rooms/{room_id}/start", headers=host.headers).status_code == 200
    started = int(time.time())  # the recording's start, as record_unique names it

    def pin(product_id: int) -> None:
        response = client.put(
            f"/api/rooms/{room_id}/pinned", json={"product_id": product_id}, headers=host.headers
        )
        assert response.status_code == 200, response.text

    announce = {"text": "全场包邮"}
    client.post(f"/api/rooms/{room_id}/announcements", json=announce, headers=host.headers)
    pin(scarf["id"])
    time.sleep(PIN_SECONDS)
    pin(coat["id"])
    time.sleep(PIN_SECONDS)
    assert client.delete(f"/api/rooms/{room_id}/pinned", headers=host.headers).status_code == 200
    assert client.post(f"/api/rooms/{room_id}/end", headers=host.headers).status_code == 200

    not_yet = client.get(f"/api/rooms/{room_id}/replay")
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "replay_not_ready")

    paths = media_paths(settings.home)
    paths.make()
    flv = paths.recordings / f"room-{room_id}-{started}.flv"
    record_test_pattern(flv, seconds=RECORDING_SECONDS)
    done = client.post(
        f"/api/media/on-record-done?secret={SECRET}",
        data={"app": "live", "name": f"room-{room_id}", "path": str(flv), "clientid": "5"},
    )
    assert done.status_code == 200, done.text
    outside = client.post(
        f"/api/media/on-record-done?secret={SECRET}",
        data={"name": f"room-{room_id}", "path": f"/tmp/room-{room_id}-{started}.flv"},
    )
    assert outside.json() == {"recording_id": None}  # not in the recordings directory

    replay = client.get(f"/api/rooms/{room_id}/replay")
    assert replay.status_code == 200, replay.text
    body = replay.json()
    assert body["video_url"] == f"http://127.0.0.1:8088/vod/room-{room_id}-{started}.mp4"
    assert abs(body["duration_s"] - RECORDING_SECONDS) < 0.5
    assert (paths.vod / f"room-{room_id}-{started}.mp4").exists()
    timeline = body["timeline"]
    kinds = [item["type"] for item in timeline]
    assert kinds == ["start", "announcement", "pin", "pin", "unpin", "end"] or kinds == [
        "announcement",
        "start",
        "pin",
        "pin",
        "unpin",
        "end",
    ]
    offsets = [item["t"] for item in timeline]
    assert offsets == sorted(offsets)
    pins = [item for item in timeline if item["type"] == "pin"]
    assert [(item["product_id"], item["title"], item["price"]) for item in pins] == [
        (scarf["id"], "真丝围巾", 12_900),
        (coat["id"], "羊绒大衣", 99_900),
    ]
    assert PIN_SECONDS - 0.3 < pins[1]["t"] - pins[0]["t"] < PIN_SECONDS + 1.5
    assert timeline[1 if kinds[1] == "announcement" else 0]["text"] == "全场包邮"

    highlights = client.get(f"/api/rooms/{room_id}/highlights").json()
    assert [item["product_id"] for item in highlights] == [scarf["id"], coat["id"]]
    for item in highlights:
        assert item["page_url"] == f"/rooms/{room_id}/highlights/{item['product_id']}"
        clip = paths.vod / item["video_url"].rsplit("/", 1)[1]
        assert 1.0 <= duration_seconds(clip) <= item["duration_s"] + 1.5
    assert client.get(f"/rooms/{room_id}/replay").status_code == 200
    page = client.get(highlights[0]["page_url"])
    assert page.status_code == 200
    assert "高光片段" in page.text


def test_two_first_requests_at_once_join_and_cut_each_file_once_and_whole(
    client: TestClient, make_account: MakeAccount, settings: Settings
) -> None:
    """Two recordings (the host's connection dropped), so the first GET joins them and
    cuts the clip: two such GETs at the same moment both answer, with whole files."""
    host, merchant = make_account(Role.HOST), make_account(Role.MERCHANT)
    scarf = shop_product(client, merchant, title="真丝围巾", price=12_900)
    room_id = client.post("/api/rooms", json={"title": "冬装"}, headers=host.headers).json()["id"]
    assert client.post(f"/api/rooms/{room_id}/start", headers=host.headers).status_code == 200
    started = int(time.time())
    pinned = client.put(
        f"/api/rooms/{room_id}/pinned", json={"product_id": scarf["id"]}, headers=host.headers
    )
    assert pinned.status_code == 200, pinned.text
    time.sleep(PIN_SECONDS)
    assert client.post(f"/api/rooms/{room_id}/end", headers=host.headers).status_code == 200
    paths = media_paths(settings.home)
    paths.make()
    for part in range(2):
        flv = paths.recordings / f"room-{room_id}-{started + 4 * part}.flv"
        record_test_pattern(flv, seconds=4)
        done = client.post(
            f"/api/media/on-record-done?secret={SECRET}",
            data={"app": "live", "name": f"room-{room_id}", "path": str(flv)},
        )
        assert done.status_code == 200, done.text

    barrier = threading.Barrier(2)

    def first_request(_: int) -> tuple[int, list[dict[str, object]]]:
        barrier.wait()
        response = client.get(f"/api/rooms/{room_id}/highlights")
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(first_request, range(2)))

    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1]
    [clip] = answers[0][1]
    assert clip["product_id"] == scarf["id"]
    replay = client.get(f"/api/rooms/{room_id}/replay").json()
    joined = paths.vod / str(replay["video_url"]).rsplit("/", 1)[1]
    assert abs(duration_seconds(joined) - 8) < 0.5  # both recordings, whole
    cut = paths.vod / str(clip["video_url"]).rsplit("/", 1)[1]
    assert 1.0 <= duration_seconds(cut) <= float(str(clip["duration_s"])) + 1.5
    assert sorted(path.name for path in paths.vod.glob("*.part.mp4")) == []
