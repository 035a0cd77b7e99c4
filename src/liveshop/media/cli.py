"""``liveshop media``: run the media server (nginx with RTMP), or print its configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from liveshop.media.naming import callback_secret
from liveshop.media.server import MediaServerMissing, run_media_server
from liveshop.media.server_config import ServerOptions, media_paths, render_config

if TYPE_CHECKING:
    from liveshop.core.settings import Settings

app = typer.Typer(help="Live video: the media server (nginx with its RTMP module).")

RtmpPort = Annotated[int, typer.Option(min=1, max=65535, help="RTMP ingest port (OBS, ffmpeg)")]
HttpPort = Annotated[int, typer.Option(min=1, max=65535, help="HTTP port: HLS and replays")]
ApiUrl = Annotated[str, typer.Option(help="where the media server reaches LiveShop's API")]
Listen = Annotated[str, typer.Option(help="the address both ports listen on")]


def _settings() -> Settings:
    """The settings, imported when a command runs: pydantic-settings would add 0.2 s
    to ``liveshop media --help``."""
    from liveshop.core.settings import get_settings

    return get_settings()


def _options(rtmp_port: int, http_port: int, api: str, listen: str) -> ServerOptions:
    settings = _settings()
    return ServerOptions(
        rtmp_port=rtmp_port,
        http_port=http_port,
        api_url=api,
        callback_secret=callback_secret(settings.resolved_secret_key()),
        listen_address=listen,
    )


@app.command()
def run(
    rtmp_port: RtmpPort = 1935,
    http_port: HttpPort = 8088,
    api: ApiUrl = "http://127.0.0.1:8000",
    listen: Listen = "0.0.0.0",
) -> None:
    """Write the configuration under LIVESHOP_HOME and run nginx in the foreground
    (Ctrl-C stops it). LiveShop's API must be reachable at --api."""
    settings = _settings()
    paths = media_paths(settings.ensure_home())
    typer.echo(
        f"media server: rtmp://{listen}:{rtmp_port}/live, http://{listen}:{http_port}/hls/"
        f" (files in {paths.root})",
        err=True,
    )
    try:
        code = run_media_server(paths, _options(rtmp_port, http_port, api, listen))
    except MediaServerMissing as missing:
        typer.echo(str(missing), err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def config(
    rtmp_port: RtmpPort = 1935,
    http_port: HttpPort = 8088,
    api: ApiUrl = "http://127.0.0.1:8000",
    listen: Listen = "0.0.0.0",
) -> None:
    """Print the nginx configuration `media run` uses, for operators who run their own
    nginx (with the RTMP module): `nginx -p DIR -c FILE`."""
    paths = media_paths(_settings().home)
    typer.echo(render_config(paths, _options(rtmp_port, http_port, api, listen)), nl=False)
