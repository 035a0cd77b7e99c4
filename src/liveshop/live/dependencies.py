from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.requests import HTTPConnection

from liveshop.events.recorder import EventRecorder
from liveshop.live.hub import LiveHub


def get_hub(connection: HTTPConnection) -> LiveHub:
    hub: LiveHub = connection.app.state.hub
    return hub


def get_recorder(connection: HTTPConnection) -> EventRecorder:
    recorder: EventRecorder = connection.app.state.recorder
    return recorder


HubDep = Annotated[LiveHub, Depends(get_hub)]
RecorderDep = Annotated[EventRecorder, Depends(get_recorder)]

__all__ = ["HubDep", "RecorderDep", "Request"]
