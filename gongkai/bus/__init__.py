"""The EventBus port and its adapters: ``embedded`` (a SQLite log) and ``kafka`` (aiokafka).

>>> from pathlib import Path
>>> from gongkai.settings import Settings
>>> bus = open_bus(Settings(bus="embedded", data_dir=Path("/tmp/gk-doc")))
>>> type(bus).__name__
'EmbeddedBus'
"""

from __future__ import annotations

from gongkai.bus.base import EventBus, Handler, UnknownTopic
from gongkai.bus.delivery import DeadLetter, DeliveryPolicy
from gongkai.settings import Settings

__all__ = ["DeadLetter", "DeliveryPolicy", "EventBus", "Handler", "UnknownTopic", "open_bus"]


def open_bus(settings: Settings) -> EventBus:
    """The adapter the settings name: ``embedded`` by default, ``kafka://…`` for scale."""
    policy = DeliveryPolicy(max_attempts=settings.handler_max_attempts, backoff_s=settings.handler_backoff_s)
    if settings.bus_kind == "kafka":
        from gongkai.bus.kafka import KafkaBus

        return KafkaBus(settings, policy=policy)
    from gongkai.bus.embedded import EmbeddedBus

    return EmbeddedBus(settings.path("bus.db"), policy=policy, poll_s=settings.embedded_poll_s)
