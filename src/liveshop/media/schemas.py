from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class StreamKeyOut(BaseModel):
    ingest_url: str = Field(description="the RTMP server, e.g. rtmp://media.example/live")
    stream_key: str = Field(description="shown once: each call replaces the previous key")


class StreamHealthOut(BaseModel):
    stream_status: Literal["offline", "live"]
    bitrate_kbps: int | None = None
    video_kbps: int | None = None
    audio_kbps: int | None = None
    fps: float | None = None
    width: int | None = None
    height: int | None = None
    video_codec: str | None = None
    audio_codec: str | None = None
    uptime_s: float | None = None


class GoLiveOut(BaseModel):
    room_status: str
    stream_status: Literal["offline", "live"]
    starts_when_stream_arrives: bool


class TimelineItem(BaseModel):
    t: float = Field(description="seconds from the start of the recording")
    type: str
    data: dict[str, Any] = Field(default_factory=dict)


class ReplayOut(BaseModel):
    room_id: int
    title: str
    video_url: str
    duration_s: float
    timeline: list[dict[str, Any]] = Field(
        description='items in order: {"t": seconds, "type": "comment" | "pin" | ..., ...}'
    )


class HighlightOut(BaseModel):
    product_id: int
    title: str
    start_s: float
    end_s: float
    duration_s: float
    video_url: str
    page_url: str
