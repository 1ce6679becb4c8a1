"""Stats: counters from the event streams, Prometheus metrics, year-end totals and the annual report."""

from services.stats.service import build

__all__ = ["build"]
