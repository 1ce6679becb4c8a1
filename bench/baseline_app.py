"""The baselines of the benchmarks: bare FastAPI endpoints, no authentication, no bus, no disk.

* ``POST /api/v1/documents`` validates a draft and answers 202 (bench/pipeline.py);
* ``GET /page`` renders an HTML table of 50 rows with Jinja, the size of a console list page (bench/console.py).

What any FastAPI service pays for the same request.
"""

from __future__ import annotations

import uuid

import jinja2
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from gongkai.drafts import DocumentDraft

app = FastAPI()


@app.post("/api/v1/documents", status_code=202)
async def submit(draft: DocumentDraft) -> dict[str, str]:
    draft.to_event_data()  # the same clean-up work intake does
    return {"id": uuid.uuid4().hex, "status": "submitted"}


_PAGE = jinja2.Environment(autoescape=True).from_string(
    """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>依申请公开</title></head>
<body><main><h1>依申请公开</h1><table><thead><tr><th>申请人</th><th>渠道</th><th>收到日期</th><th>答复期限</th>
<th>状态</th></tr></thead><tbody>{% for row in rows %}<tr>
<td><a href="/console/requests/{{ row.id }}">{{ row.name }}</a></td><td>{{ row.channel }}</td>
<td>{{ row.received }}</td><td>{{ row.due }}</td><td>{{ row.status }}</td></tr>{% endfor %}</tbody></table>
</main></body></html>"""
)
_ROWS = [
    {
        "id": uuid.uuid4().hex,
        "name": "王小红",
        "channel": "当面提交",
        "received": "2026-05-20",
        "due": "2026-06-17",
        "status": "办理中",
    }
    for _ in range(50)
]


@app.get("/page", response_class=HTMLResponse)
async def page() -> str:
    return _PAGE.render(rows=_ROWS)
