"""Publish: builds the public index from approved documents; public search API, portal pages, feeds."""

from services.publish.service import build

__all__ = ["build"]
