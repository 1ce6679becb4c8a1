"""The EventBus port: durable publish, consumer groups that commit after their handler succeeded."""

from __future__ import annotations

import abc
from collections.abc import Awaitable, Callable, Sequence

from gongkai.events import TOPICS, Envelope

__all__ = ["EventBus", "Handler", "Lag", "UnknownTopic"]

#: A consumer's handler. Raising means "not handled": the bus retries, then dead-letters.
Handler = Callable[[Envelope], Awaitable[None]]

#: Consumer lag: (group, topic) -> records in the topic the group has not finished yet.
Lag = dict[tuple[str, str], int]


class UnknownTopic(LookupError):
    """Topics are created explicitly from the catalog, never auto-created."""


class EventBus(abc.ABC):
    """Port for the platform's event log.

    Guarantees every adapter gives (and ``tests/contract/test_bus.py`` checks):

    * ``publish`` returns only once the event is durable;
    * events with the same ``subject`` (the key) are delivered to a group in publish order;
    * a consumer commits an event's position only after its handler returned;
    * a handler that keeps failing is retried with backoff, then the event goes to
      ``<topic>.dlq`` with the error and the consumer moves on;
    * delivery is at-least-once: handlers must be idempotent (see ``gongkai.store.Tracking``).
    """

    topics: Sequence[str] = TOPICS

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and create the catalog's topics. Idempotent."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Stop consumers (committing what they finished) and release connections."""

    @abc.abstractmethod
    async def publish(self, event: Envelope) -> None:
        """Append one event to its catalog topic, keyed by subject; durable on return."""

    async def publish_many(self, events: Sequence[Envelope]) -> None:
        """Append several events; durable on return. Adapters may batch."""
        for event in events:
            await self.publish(event)

    @abc.abstractmethod
    async def publish_raw(self, topic: str, *, key: str, value: bytes) -> None:
        """Append opaque bytes (dead letters, foreign producers in tests); durable on return."""

    @abc.abstractmethod
    async def subscribe(self, *, group: str, topics: Sequence[str], handler: Handler) -> None:
        """Start a consumer of ``topics`` for ``group``; it runs until ``close``."""

    @abc.abstractmethod
    async def read(self, topic: str) -> list[bytes]:
        """Every record now in ``topic``, in order per key (dead-letter inspection, tests)."""

    @property
    @abc.abstractmethod
    def consuming(self) -> bool:
        """True once every subscribed consumer is running (used by ``/readyz``)."""

    def lag(self) -> Lag:
        """Per (group, topic) of this process's consumers: records in the topic after the last one the
        group finished (handled or dead-lettered). The committed offset trails it by at most one batch.

        Cheap and synchronous: read at every scrape of ``gongkai_bus_consumer_lag_events``. A pair
        whose lag is not known yet (consumer starting, partitions not fetched yet) is left out.
        """
        return {}

    def check_topic(self, topic: str) -> None:
        if topic not in self.topics:
            raise UnknownTopic(topic)
