"""Which metrics a PromQL expression names, and which metrics ``/metrics`` exports.

>>> sorted(metric_names('sum by (job, le) (rate(a_bucket{job=~"x|y", le="1"}[5m])) / on() b offset 5m'))
['a_bucket', 'b']
>>> sorted(metric_names('count_values("year", year()) and on (year) max by (year) (c) == 1'))
['c']
"""

from __future__ import annotations

import re

_KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "inf",
        "nan",
    }
)
_GRAFANA = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h", "$service": ".+"}


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects (not functions, keywords, labels, strings or durations)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"\boffset\s+-?\w+", " ", text)
    names = set()
    for found in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        name, call = found.group(1), found.group(2)
        if call or name.lower() in _KEYWORDS or re.fullmatch(r"\d.*|e\d+", name):
            continue
        names.add(name)
    return names


def grafana_to_promql(expr: str) -> str:
    """A panel query with Grafana's variables replaced, as Prometheus would receive it; for a variable's
    ``label_values(SELECTOR, LABEL)``, the selector."""
    expr = re.sub(r"^label_values\((.*),\s*\w+\)$", r"\1", expr.strip())
    for variable, value in _GRAFANA.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"unknown Grafana variable in {expr}"
    return expr


def exported(metrics_text: str) -> set[str]:
    """Every series name ``/metrics`` declares (# TYPE), with the suffixes of histograms and summaries."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", metrics_text, re.M):
        names.add(name)
        if kind in ("histogram", "summary"):
            names.update({f"{name}_sum", f"{name}_count"})
        if kind == "histogram":
            names.add(f"{name}_bucket")
        if kind == "counter" and not name.endswith("_total"):
            names.add(f"{name}_total")
    return names
