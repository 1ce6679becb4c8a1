"""The review text with the pre-screen's findings and earlier redactions marked, and the reviewer's spans.

Offsets are code points into ``title + "\\n" + body``, as in the review API. The rendered text has exactly
those characters in that order (only wrapped in ``<mark>``/``<span>``), so a selection in the browser
maps back to the same offsets.

>>> str(render("电话13812345678。", [(2, 13)], []))
'电话<mark class="finding" data-findings="1" title="预审发现 1">13812345678</mark>。'
>>> merge_spans([(0, 4, "个人隐私"), (2, 6, "个人隐私"), (8, 9, "国家秘密")])
[(0, 6, '个人隐私'), (8, 9, '国家秘密')]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = [
    "DEFAULT_REASONS",
    "FINDING_LABELS",
    "MAX_REASON",
    "merge_spans",
    "render",
]

FINDING_LABELS = {
    "id_number": "身份证号码",
    "bank_card": "银行卡号",
    "phone": "手机号码",
    "landline": "固定电话",
    "email": "电子邮箱",
    "secrecy_marking": "密级标志",
}
#: The reason a redaction of each kind is proposed with (条例 Art. 14: state secrets; Art. 15: privacy).
DEFAULT_REASONS = {kind: "个人隐私（《条例》第十五条）" for kind in FINDING_LABELS} | {
    "secrecy_marking": "涉及国家秘密（《条例》第十四条）"
}
MAX_REASON = 200


def render(text: str, findings: Sequence[tuple[int, int]], redactions: Sequence[tuple[int, int]]) -> Markup:
    """``text`` escaped, findings in ``<mark>`` (numbered from 1), redacted spans in ``<span class=redacted>``."""
    cuts = {0, len(text)}
    for start, end in [*findings, *redactions]:
        cuts.update((max(0, min(start, len(text))), max(0, min(end, len(text)))))
    points = sorted(cuts)
    parts: list[str] = []
    for start, end in itertools.pairwise(points):
        if start == end:
            continue
        piece = str(escape(text[start:end]))
        numbers = [str(i + 1) for i, (f_start, f_end) in enumerate(findings) if f_start <= start and end <= f_end]
        if numbers:
            title = "预审发现 " + "、".join(numbers)
            piece = f'<mark class="finding" data-findings="{" ".join(numbers)}" title="{title}">{piece}</mark>'
        if any(r_start <= start and end <= r_end for r_start, r_end in redactions):
            piece = f'<span class="redacted" title="已删除，不公开">{piece}</span>'
        parts.append(piece)
    return Markup("".join(parts))  # noqa: S704 - every piece of text is escaped above


def merge_spans(spans: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Overlapping spans become one (the API refuses overlaps), their distinct reasons joined."""
    merged: list[tuple[int, int, list[str]]] = []
    for start, end, reason in sorted(spans):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            reasons = last[2] if reason in last[2] else [*last[2], reason]
            merged[-1] = (last[0], max(last[1], end), reasons)
        else:
            merged.append((start, end, [reason]))
    return [(start, end, "；".join(reasons)[:MAX_REASON]) for start, end, reasons in merged]
