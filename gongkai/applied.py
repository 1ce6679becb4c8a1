"""Read-your-writes within one process: a command answers once its consumer has applied the event.

The API calls ``expect`` before publishing and ``wait`` after; the consumer calls ``done`` after
``apply_once`` (a replay too). The wait is bounded: on timeout the command still answers 202 and
reads catch up shortly after (e.g. when another process consumes the partition).

>>> import asyncio, uuid
>>> async def demo() -> bool:
...     applied, event_id = Applied(), uuid.uuid4()
...     applied.expect(event_id)
...     asyncio.get_running_loop().call_soon(applied.done, event_id)  # the consumer, a moment later
...     return await applied.wait(event_id)
>>> asyncio.run(demo())
True
"""

from __future__ import annotations

import asyncio
import uuid

__all__ = ["Applied"]


class Applied:
    """Futures keyed by event id, shared by a consumer and the API that publishes through it."""

    def __init__(self, timeout_s: float = 5.0) -> None:
        self.timeout_s = timeout_s
        self._waiting: dict[uuid.UUID, asyncio.Future[None]] = {}

    def expect(self, event_id: uuid.UUID) -> None:
        """Register before publishing, so an event applied before ``wait`` is not missed."""
        self._waiting[event_id] = asyncio.get_running_loop().create_future()

    async def wait(self, event_id: uuid.UUID) -> bool:
        """Wait until ``done(event_id)``, at most ``timeout_s``; False when it timed out."""
        waiter = self._waiting.get(event_id)
        if waiter is None:
            return False
        try:
            await asyncio.wait_for(waiter, self.timeout_s)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiting.pop(event_id, None)

    def forget(self, event_id: uuid.UUID) -> None:
        """Drop a registration whose event was never published (the publish failed)."""
        self._waiting.pop(event_id, None)

    def done(self, event_id: uuid.UUID) -> None:
        """Called by the consumer after applying ``event_id``; a no-op when nobody waits for it."""
        waiter = self._waiting.get(event_id)
        if waiter is None:
            return
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if waiter.get_loop() is running:
            _settle(waiter)
        else:  # the consumer runs on another loop or thread than the waiting request
            waiter.get_loop().call_soon_threadsafe(_settle, waiter)


def _settle(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
