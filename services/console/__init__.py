"""Console: the staff's workplace in the browser (工作台, 保密审查, 依申请公开), over the platform's own JSON API."""

from services.console.service import build

__all__ = ["build"]
