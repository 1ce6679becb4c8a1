"""``gongkai_bus_consumer_lag_events``: each running bus's ``lag()``, read at scrape time.

One collector serves every bus of the process (tests open several; registering one collector per
bus would clash on the metric name). Adapters add themselves in ``start`` and leave in ``close``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gongkai.bus.base import EventBus, Lag
from gongkai.metrics import REGISTRY

__all__ = ["ConsumerLag", "consumer_lag", "total_lag"]

log = logging.getLogger(__name__)


class ConsumerLag(Collector):
    """Sums the lag of every watched bus per (group, topic): members of one group in one process
    own different Kafka partitions, so their lags add up. Pairs no bus knows are left out."""

    def __init__(self) -> None:
        self._buses: weakref.WeakSet[EventBus] = weakref.WeakSet()
        self._lock = threading.Lock()

    def watch(self, bus: EventBus) -> None:
        with self._lock:
            self._buses.add(bus)

    def unwatch(self, bus: EventBus) -> None:
        with self._lock:
            self._buses.discard(bus)

    def describe(self) -> Iterator[Metric]:
        yield _family()

    def collect(self) -> Iterator[Metric]:
        gauge = _family()
        with self._lock:
            buses = list(self._buses)
        lags: list[Lag] = []
        for bus in buses:
            try:
                lags.append(bus.lag())
            except Exception:  # a scrape must not fail because one bus cannot answer
                log.warning("cannot read consumer lag of %s", type(bus).__name__, exc_info=True)
        for (group, topic), lag in sorted(total_lag(lags).items()):
            gauge.add_metric([group, topic], float(lag))
        yield gauge


def _family() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        "gongkai_bus_consumer_lag_events",
        "Records in a topic after the last one the consumer group finished (this process's consumers).",
        labels=["group", "topic"],
    )


def total_lag(lags: list[Lag]) -> Lag:
    total: Lag = {}
    for lag in lags:
        for key, value in lag.items():
            total[key] = total.get(key, 0) + value
    return total


#: The process's one lag collector, registered on import like the adapters' counters.
consumer_lag = ConsumerLag()
REGISTRY.register(consumer_lag)
