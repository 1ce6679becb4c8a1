"""The process-wide Prometheus registry, with every series named ``gongkai_*``.

The client's default process, platform and GC collectors are replaced by a process collector
under the ``gongkai`` namespace, and the ``*_created`` companion series are turned off.
"""

from __future__ import annotations

import prometheus_client
from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, REGISTRY, ProcessCollector

__all__ = ["REGISTRY"]

prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]
for _default in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.unregister(_default)
ProcessCollector(namespace="gongkai", registry=REGISTRY)
