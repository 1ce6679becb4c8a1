"""Review: confidentiality review (保密审查) of documents; later the request, letter and proposal workflows."""

from services.review.service import build

__all__ = ["build"]
