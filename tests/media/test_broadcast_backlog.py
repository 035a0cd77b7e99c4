"""A browser broadcast is dropped, not buffered without end, when ffmpeg falls behind;
and a broadcast ends when its encoder does."""

from __future__ import annotations

import asyncio
from typing import Any

from liveshop.media import broadcast

CHUNK = b"\0" * (512 * 1024)


class _Socket:
    """What the pump reads from a WebSocket: binary frames, then a disconnect."""

    def __init__(self, frames: int) -> None:
        self.frames = frames

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)
        if self.frames == 0:
            await asyncio.sleep(30)
            return {"type": "websocket.disconnect"}
        self.frames -= 1
        return {"type": "websocket.receive", "bytes": CHUNK}


async def _pump_into(command: list[str], frames: int) -> tuple[int | None, str, bool]:
    process = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL
    )
    code, reason = await asyncio.wait_for(
        broadcast._pump(_Socket(frames), process),  # type: ignore[arg-type]
        20,
    )
    await broadcast._stop(process, at_once=code is not None)
    return code, reason, process.returncode is not None


def test_an_encoder_that_reads_nothing_gets_the_broadcast_dropped() -> None:
    # `sleep` never reads its stdin: the pipe fills, then the backlog passes its bound.
    frames = 2 * broadcast.MAX_BACKLOG_BYTES // len(CHUNK)
    code, reason, stopped = asyncio.run(_pump_into(["sleep", "30"], frames))
    assert code == broadcast.CLOSE_TOO_SLOW
    assert "behind" in reason
    assert stopped


def test_a_broadcast_ends_when_its_encoder_exits() -> None:
    code, _reason, stopped = asyncio.run(_pump_into(["true"], 0))
    assert code == broadcast.CLOSE_ENCODER_ENDED
    assert stopped


def test_an_encoder_that_keeps_up_takes_every_chunk() -> None:
    async def run() -> tuple[int | None, int]:
        process = await asyncio.create_subprocess_exec(
            "wc", "-c", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        socket = _Socket(8)

        async def disconnect_after_frames() -> dict[str, Any]:
            while socket.frames:
                return await _Socket.receive(socket)
            return {"type": "websocket.disconnect"}

        socket.receive = disconnect_after_frames  # type: ignore[method-assign]
        code, _ = await broadcast._pump(socket, process)  # type: ignore[arg-type]
        assert process.stdin is not None
        process.stdin.close()
        out, _ = await process.communicate()
        return code, int(out)

    code, received = asyncio.run(run())
    assert code is None  # the host closed the socket
    assert received == 8 * len(CHUNK)
