"""Before it commits offsets, the faust stats worker has every table write in the producer's hands.

A table update reaches its changelog through faust's producer buffer. faust flushes that buffer
before committing offsets, but faust 0.15.3's flush gives up when one message takes longer than
0.1 s to be handed over, so offsets could be committed while updates were still in memory, and a
kill -9 lost them (seen once in CI as counters one or two short after the restart).
``_flush_every_buffered_write_before_commit`` makes the flush wait for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import pytest
from faust.transport.producer import ProducerBuffer

from services.stats.faust_app import _flush_every_buffered_write_before_commit


class SlowProducer:
    """Takes ``delay`` seconds to accept each message, as a busy loop or a full partition would."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.accepted: list[Any] = []

    async def send_pending(self, message: Any) -> None:
        await asyncio.sleep(self.delay)
        self.accepted.append(message)


Start = Callable[[SlowProducer, bool], Awaitable[ProducerBuffer]]


@pytest.fixture
async def start() -> AsyncIterator[Start]:
    """Start a producer buffer over ``producer`` (with the app's fix or as faust ships it); stopped after."""
    started: list[ProducerBuffer] = []

    async def start(producer: SlowProducer, fixed: bool) -> ProducerBuffer:
        buffer = ProducerBuffer()
        buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))  # type: ignore[assignment]
        buffer._send_pending = producer.send_pending  # type: ignore[method-assign]
        if fixed:
            _flush_every_buffered_write_before_commit(buffer)
        await buffer.start()
        started.append(buffer)
        return buffer

    yield start
    for buffer in started:
        await buffer.stop()


def put(buffer: ProducerBuffer, *messages: int) -> None:
    for message in messages:
        buffer.put(message)  # type: ignore[arg-type]


async def test_faust_alone_returns_from_flush_with_writes_still_buffered(start: Start) -> None:
    """The upstream race this workaround exists for. If a faust upgrade makes this fail, check
    whether ``_flush_every_buffered_write_before_commit`` is still needed."""
    producer = SlowProducer(delay=0.3)
    buffer = await start(producer, False)
    put(buffer, 0, 1, 2)
    await buffer.flush()
    assert len(producer.accepted) < 3
    while len(producer.accepted) < 3:  # faust's buffer refuses to stop with writes in it
        await asyncio.sleep(0.05)


async def test_flush_returns_once_every_buffered_write_is_handed_over(start: Start) -> None:
    producer = SlowProducer(delay=0.3)
    buffer = await start(producer, True)
    put(buffer, 0, 1, 2)
    await buffer.flush()
    assert producer.accepted == [0, 1, 2]


async def test_flush_waits_for_the_write_in_hand_too(start: Start) -> None:
    """The buffer's size does not count the message its sending task has taken out."""
    producer = SlowProducer(delay=0.3)
    buffer = await start(producer, True)
    put(buffer, 0)
    while buffer.size:  # the sending task takes it out of the queue
        await asyncio.sleep(0.01)
    await buffer.flush()
    assert producer.accepted == [0]


async def test_flush_of_an_empty_buffer_returns_at_once(start: Start) -> None:
    producer = SlowProducer(delay=0.3)
    buffer = await start(producer, True)
    await buffer.flush()
    assert producer.accepted == []
