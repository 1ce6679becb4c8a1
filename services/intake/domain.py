"""What intake accepts: validated drafts of documents for proactive disclosure (主动公开).

The draft model is shared with review (corrected revisions), so it lives in the kernel.
"""

from __future__ import annotations

from gongkai.drafts import DocumentDraft

__all__ = ["DocumentDraft"]
