"""Exports the stats counters to Prometheus: totals over all years, labelled as the reducers say."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator

from prometheus_client import generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from services.stats.domain import COUNTERS, CounterDelta
from services.stats.store import CounterKey


class CounterMirror(Collector):
    """An in-memory copy of the committed counters, refreshed after each applied event."""

    def __init__(self) -> None:
        self.values: dict[CounterKey, int] = {}

    def replace(self, values: dict[CounterKey, int]) -> None:
        self.values = values

    def add(self, deltas: Iterable[CounterDelta]) -> None:
        for d in deltas:
            key = (d.name, d.year, d.labels)
            self.values[key] = self.values.get(key, 0) + d.amount

    def collect(self) -> Iterator[Metric]:
        return counter_families(self.values)


def counter_families(values: dict[CounterKey, int]) -> Iterator[Metric]:
    """The counters as Prometheus counter families, summed over years (labels as the reducers declare)."""
    totals: dict[str, dict[tuple[str, ...], int]] = defaultdict(lambda: defaultdict(int))
    for (name, _year, labels), value in values.items():
        if name not in COUNTERS:
            continue
        exported = dict(labels)
        totals[name][tuple(exported.get(label, "") for label in COUNTERS[name][1])] += value
    for name, (doc, label_names) in COUNTERS.items():
        family = CounterMetricFamily(f"gongkai_{name}", doc, labels=list(label_names))
        for label_values, value in sorted(totals.get(name, {}).items()):
            family.add_metric(list(label_values), value)
        yield family


def exposition(values: dict[CounterKey, int]) -> bytes:
    """The Prometheus text format of ``values`` alone (the faust worker's ``/metrics``)."""
    registry = CollectorRegistry(auto_describe=False)
    mirror = CounterMirror()
    mirror.replace(values)
    registry.register(mirror)
    return generate_latest(registry)
