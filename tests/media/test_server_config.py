"""The media server's configuration (``liveshop media config``) and its statistics page."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from liveshop.media.cli import app
from liveshop.media.naming import callback_secret
from liveshop.media.stats import parse_stream_health
from tests.conftest import SECRET_KEY

STAT_XML = """<?xml version="1.0" encoding="utf-8" ?>
<rtmp><server><application><name>live</name><live>
<stream><name>room-12</name><time>4000</time><bw_in>0</bw_in><bytes_in>500000</bytes_in>
<bw_audio>0</bw_audio><bw_video>0</bw_video>
<meta><video><width>640</width><height>360</height><frame_rate>25</frame_rate>
<codec>H264</codec></video><audio><codec>AAC</codec></audio></meta></stream>
</live></application></server></rtmp>"""


def test_the_printed_configuration_is_what_media_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVESHOP_HOME", str(tmp_path))
    monkeypatch.setenv("LIVESHOP_SECRET_KEY", SECRET_KEY)
    from liveshop.core.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["config", "--rtmp-port", "19350", "--http-port", "18088", "--api", "http://a:9"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    config = result.output
    secret = callback_secret(SECRET_KEY)
    assert f"on_publish http://a:9/api/media/on-publish?secret={secret};" in config
    assert f"on_publish_done http://a:9/api/media/on-publish-done?secret={secret};" in config
    assert "listen 0.0.0.0:19350;" in config
    assert "listen 0.0.0.0:18088;" in config
    assert "hls_fragment 1s;" in config
    assert "record_unique on;" in config
    assert "location /hls/ {" in config  # not /hls: that would also match /hls.min.js
    assert f"pid {(tmp_path / 'media').resolve()}/nginx.pid;" in config
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        assert f"{temp}_temp_path " in config


def test_stream_health_reads_the_stat_page() -> None:
    health = parse_stream_health(STAT_XML, application="live", name="room-12")
    assert health is not None
    # before nginx's first 10 s bandwidth window: the average since the start
    assert health.bitrate_kbps == 1000  # 500 000 bytes in 4 s
    assert (health.fps, health.width, health.height) == (25.0, 640, 360)
    assert (health.video_codec, health.audio_codec, health.uptime_s) == ("H264", "AAC", 4.0)
    assert parse_stream_health(STAT_XML, application="live", name="room-13") is None
