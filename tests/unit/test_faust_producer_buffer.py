"""Before it commits offsets, the faust stats worker has every table write in the producer's hands.

A table update reaches its changelog through faust's producer buffer. faust flushes that buffer
before committing offsets, but faust 0.15.3's flush gives up when one message takes longer than
0.1 s to be handed over, so offsets could be committed while updates were still in memory, and a
kill -9 lost them (seen once in CI as counters one or two short after the restart).
``_flush_every_buffered_write_before_commit`` makes the flush wait for all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
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


async def started_buffer(producer: SlowProducer, *, fixed: bool) -> ProducerBuffer:
    buffer = ProducerBuffer()
    buffer.app = SimpleNamespace(conf=SimpleNamespace(producer_threaded=False))  # type: ignore[assignment]
    buffer._send_pending = producer.send_pending  # type: ignore[method-assign]
    if fixed:
        _flush_every_buffered_write_before_commit(buffer)
    await buffer.start()
    return buffer


@pytest.fixture
async def stopping() -> AsyncIterator[list[ProducerBuffer]]:
    buffers: list[ProducerBuffer] = []
    yield buffers
    for buffer in buffers:
        await buffer.stop()


async def test_faust_alone_returns_from_flush_with_writes_still_buffered(stopping: list[ProducerBuffer]) -> None:
    """The upstream race this workaround exists for. If a faust upgrade makes this fail, check
    whether ``_flush_every_buffered_write_before_commit`` is still needed."""
    producer = SlowProducer(delay=0.3)
    buffer = await started_buffer(producer, fixed=False)
    stopping.append(buffer)
    for n in range(3):
        buffer.put(n)  # type: ignore[arg-type]
    await buffer.flush()
    assert len(producer.accepted) < 3
    while len(producer.accepted) < 3:  # faust's buffer refuses to stop with writes in it
        await asyncio.sleep(0.05)


async def test_flush_returns_once_every_buffered_write_is_handed_over(stopping: list[ProducerBuffer]) -> None:
    producer = SlowProducer(delay=0.3)
    buffer = await started_buffer(producer, fixed=True)
    stopping.append(buffer)
    for n in range(3):
        buffer.put(n)  # type: ignore[arg-type]
    await buffer.flush()
    assert producer.accepted == [0, 1, 2]


async def test_flush_waits_for_the_write_in_hand_too(stopping: list[ProducerBuffer]) -> None:
    """The buffer's size does not count the message its sending task has taken out."""
    producer = SlowProducer(delay=0.3)
    buffer = await started_buffer(producer, fixed=True)
    stopping.append(buffer)
    buffer.put(0)  # type: ignore[arg-type]
    while buffer.size:  # the sending task takes it out of the queue
        await asyncio.sleep(0.01)
    await buffer.flush()
    assert producer.accepted == [0]


async def test_flush_of_an_empty_buffer_returns_at_once(stopping: list[ProducerBuffer]) -> None:
    producer = SlowProducer(delay=0.3)
    buffer = await started_buffer(producer, fixed=True)
    stopping.append(buffer)
    await buffer.flush()
    assert producer.accepted == []
