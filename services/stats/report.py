"""The annual report (政府信息公开工作年度报告) in the 2021 format (国办公开办函〔2021〕30号). Pure.

Built from the stats counters and the staff's entries for the year: tables 二, 三 and 四 in the
official order with the official labels, the six sections in order (一, 五, 六 are prose: the saved
text, or a draft with the year's figures), the figures agencies have quoted since before 2019,
and every validation rule of spec §B5 with its result. The same inputs give the same report, to
the byte (no clock, sorted keys).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from gongkai.vocabulary import APPLICANT_COLUMNS, OUTCOME_LABELS
from services.stats.rates import letter_figures, proposal_figures, rate
from services.stats.store import CounterKey

__all__ = ["SECTION_TITLES", "TABLE3_NOTE", "Sums", "annual_report", "rate", "table3", "table4"]

SECTION_TITLES = (
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
)
TABLE3_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
COLUMNS = tuple(APPLICANT_COLUMNS)  # natural_person, commercial, research, public_interest, legal_service, other, total
APPLICANT_KINDS = COLUMNS[:-1]
OUTCOMES = tuple(OUTCOME_LABELS)
_GROUPS = {
    "withheld": "（三）不予公开",
    "unavailable": "（四）无法提供",
    "not_processed": "（五）不予处理",
    "other": "（六）其他处理",
}
APPEAL_KINDS = ("reconsideration", "litigation_direct", "litigation_after_reconsideration")
APPEAL_COLUMNS = ("upheld", "corrected", "other", "pending", "total")
APPEAL_LABELS = {
    "reconsideration": "行政复议",
    "litigation_direct": "行政诉讼·未经复议直接起诉",
    "litigation_after_reconsideration": "行政诉讼·复议后起诉",
    "upheld": "结果维持",
    "corrected": "结果纠正",
    "other": "其他结果",
    "pending": "尚未审结",
    "total": "总计",
}

Counters = Mapping[CounterKey, int]


class Sums:
    """Counter sums by name and year, each split by the labels asked for."""

    def __init__(self, counters: Counters) -> None:
        self.by: dict[tuple[str, int], list[tuple[dict[str, str], int]]] = defaultdict(list)
        for (name, year, labels), value in counters.items():
            self.by[(name, year)].append((dict(labels), value))

    def get(self, name: str, years: range | tuple[int, ...], **match: str) -> int:
        return sum(
            value
            for year in years
            for labels, value in self.by.get((name, year), [])
            if all(labels.get(k) == v for k, v in match.items())
        )

    def first_year(self) -> int | None:
        return min((year for _, year in self.by), default=None)


def annual_report(
    year: int, counters: Counters, entries: Mapping[str, Mapping[str, Any]], *, agency: str
) -> dict[str, Any]:
    sums = Sums(counters)
    requests = table3(sums, year)
    previous = table3(sums, year - 1)
    appeals = table4(sums, year)
    documents = _table2(sums, year, entries.get("table2"))
    figures = _summary(sums, year, requests, appeals)
    return {
        "year": year,
        "format": "2021",
        "title": f"{agency}{year}年政府信息公开工作年度报告",
        "agency": agency,
        "sections": _sections(year, entries, figures),
        "table2": documents,
        "table3": requests,
        "table4": appeals,
        "summary": figures,
        "charts": _charts(sums, year, requests),
        "checks": _checks(documents, requests, previous, appeals),
    }


# --- table 三 ---------------------------------------------------------------------------------


def _row(code: str, label: str, cells: dict[str, int], group: str | None = None) -> dict[str, Any]:
    return {"code": code, "label": label, "group": group, "cells": {**cells, "total": sum(cells.values())}}


def _by_column(count: Any) -> dict[str, int]:
    return {column: count(column) for column in APPLICANT_KINDS}


def table3(sums: Sums, year: int) -> dict[str, Any]:
    earlier = range(sums.first_year() or year, year)
    received = _by_column(lambda c: sums.get("requests_received", (year,), applicant=c))
    carried_over = _by_column(
        lambda c: (
            sums.get("requests_received", earlier, applicant=c) - sums.get("requests_closed", earlier, applicant=c)
        )
    )
    rows = [_row("new", "一、本年新收政府信息公开申请数量", received)]
    rows.append(_row("carried_over", "二、上年结转政府信息公开申请数量", carried_over))
    handled = dict.fromkeys(APPLICANT_KINDS, 0)
    for outcome in OUTCOMES:
        cells = _by_column(lambda c, o=outcome: sums.get("requests_closed", (year,), applicant=c, outcome=o))
        for column, value in cells.items():
            handled[column] += value
        group, _, label = OUTCOME_LABELS[outcome].rpartition(" ")
        rows.append(_row(outcome, label, cells, group or None))
    rows.append(_row("total_handled", "（七）总计", handled))
    forward = {c: received[c] + carried_over[c] - handled[c] for c in APPLICANT_KINDS}
    rows.append(_row("carried_forward", "四、结转下年度继续办理", forward))
    return {
        "note": TABLE3_NOTE,
        "columns": [{"code": c, "label": APPLICANT_COLUMNS[c]} for c in COLUMNS],
        "column_group": {"label": "法人或其他组织", "codes": list(COLUMNS[1:6])},
        "rows": rows,
    }


def _cells(table3: Mapping[str, Any], code: str) -> dict[str, int]:
    return dict(next(row["cells"] for row in table3["rows"] if row["code"] == code))


# --- table 四 and 二 ------------------------------------------------------------------------


def table4(sums: Sums, year: int) -> dict[str, dict[str, int]]:
    to_date = range(sums.first_year() or year, year + 1)
    blocks = {}
    for kind in APPEAL_KINDS:
        decided = {
            r: sums.get("appeals_decided", (year,), kind=kind, result=r) for r in ("upheld", "corrected", "other")
        }
        pending = sums.get("appeals_filed", to_date, kind=kind) - sums.get("appeals_decided", to_date, kind=kind)
        blocks[kind] = {**decided, "pending": pending, "total": sum(decided.values()) + pending}
    return blocks


def _table2(sums: Sums, year: int, entered: Mapping[str, Any] | None) -> dict[str, Any]:
    to_date = range(sums.first_year() or year, year + 1)
    figures = dict(entered["value"]) if entered else {}

    def documents(doc_type: str, label: str) -> dict[str, Any]:
        issued = sums.get("documents_issued", (year,), doc_type=doc_type)
        repealed = sums.get("documents_repealed", (year,), doc_type=doc_type)
        in_force = sums.get("documents_issued", to_date, doc_type=doc_type) - sums.get(
            "documents_repealed", to_date, doc_type=doc_type
        )
        return {
            "item": "第二十条第（一）项",
            "label": label,
            "issued": issued,
            "repealed": repealed,
            "in_force": in_force,
        }

    fee = Decimal(str(figures.get("fees_10k_yuan", "0"))).quantize(Decimal("0.0001"))
    return {
        "rows": [
            documents("regulation", "规章"),
            documents("normative", "行政规范性文件"),
            {
                "item": "第二十条第（五）项",
                "label": "行政许可",
                "decisions": int(figures.get("licensing_decisions", 0)),
            },
            {"item": "第二十条第（六）项", "label": "行政处罚", "decisions": int(figures.get("penalty_decisions", 0))},
            {
                "item": "第二十条第（六）项",
                "label": "行政强制",
                "decisions": int(figures.get("enforcement_decisions", 0)),
            },
            {"item": "第二十条第（八）项", "label": "行政事业性收费", "amount_10k_yuan": str(fee)},
        ],
        "entered_by": entered["actor"] if entered else None,
        "entered_at": entered["recorded_at"] if entered else None,
        "previous_in_force": {
            doc_type: sums.get("documents_issued", range(sums.first_year() or year, year), doc_type=doc_type)
            - sums.get("documents_repealed", range(sums.first_year() or year, year), doc_type=doc_type)
            for doc_type in ("regulation", "normative")
        },
    }


def _decisions(item: str, label: str, value: Any) -> dict[str, Any]:
    return {"item": item, "label": label, "decisions": int(value)}


# --- summary, sections, charts ------------------------------------------------------------------


def _summary(sums: Sums, year: int, table3: Mapping[str, Any], table4: Mapping[str, Any]) -> dict[str, Any]:
    closed = sums.get("requests_closed", (year,))
    on_time = sums.get("requests_closed", (year,), on_time="true")
    letters, proposals = letter_figures(sums, year), proposal_figures(sums, year)
    return {
        "documents_published": sums.get("documents_published", (year,)),
        "applications_received": _cells(table3, "new")["total"],
        "applications_carried_over": _cells(table3, "carried_over")["total"],
        "applications_handled": _cells(table3, "total_handled")["total"],
        "applications_carried_forward": _cells(table3, "carried_forward")["total"],
        "applications_on_time": rate(on_time, closed),
        "reconsiderations": table4["reconsideration"]["total"],
        "lawsuits": table4["litigation_direct"]["total"] + table4["litigation_after_reconsideration"]["total"],
        "consultations": letters["by_kind"]["consultation"]["answered"],
        "mailbox_letters": letters["by_kind"]["mayor_mailbox"]["answered"]
        + letters["by_kind"]["department_mailbox"]["answered"],
        "proposals": proposals["answered"],
        "letters_on_time_rate": letters["on_time_rate"],
        "letters_first_pass_rate": letters["first_pass_rate"],
        "proposals_reply_rate": proposals["reply_rate"],
        "proposals_satisfaction_rate": proposals["satisfaction_rate"],
    }


def _sections(year: int, entries: Mapping[str, Mapping[str, Any]], summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    drafts = {1: _draft_overview(year, summary), 5: _DRAFT_PROBLEMS, 6: _DRAFT_OTHER}
    sections = []
    for number, title in enumerate(SECTION_TITLES, start=1):
        saved = entries.get(f"section{number}")
        text = str(saved["value"]) if saved else drafts.get(number)
        sections.append(
            {
                "number": number,
                "title": title,
                "kind": "prose" if number in drafts else "table",
                "text": text,
                "saved_by": saved["actor"] if saved else None,
                "saved_at": saved["recorded_at"] if saved else None,
            }
        )
    return sections


def _draft_overview(year: int, s: Mapping[str, Any]) -> str:
    on_time = s["applications_on_time"]
    rate = f"，按时办结率{on_time['value'] * 100:.1f}%" if on_time["value"] is not None else ""
    return (
        f"{year}年，本机关认真贯彻落实《中华人民共和国政府信息公开条例》，全面推进政府信息公开工作。\n"
        f"（一）主动公开。全年主动公开政府信息{s['documents_published']}条。\n"
        f"（二）依申请公开。全年新收政府信息公开申请{s['applications_received']}件，"
        f"上年结转{s['applications_carried_over']}件，办结{s['applications_handled']}件{rate}，"
        f"结转下年度继续办理{s['applications_carried_forward']}件。\n"
        f"（三）政府信息管理。（请补充）\n"
        f"（四）政府信息公开平台建设。（请补充）\n"
        f"（五）监督保障。全年发生政府信息公开行政复议{s['reconsiderations']}件、行政诉讼{s['lawsuits']}件。"
    )


_DRAFT_PROBLEMS = "（一）存在的主要问题：（请补充）\n（二）改进情况：（请补充）"
_DRAFT_OTHER = "本机关依据《政府信息公开信息处理费管理办法》收取信息处理费的情况：（请补充）。其他需要报告的事项：无。"


def _charts(sums: Sums, year: int, table3: Mapping[str, Any]) -> dict[str, Any]:
    monthly = [sums.get("requests_received", (year,), month=f"{m:02d}") for m in range(1, 13)]
    outcomes: dict[str, int] = {}
    for row in table3["rows"]:
        if row["code"] in OUTCOMES:
            group = row["group"] or row["label"]
            outcomes[group] = outcomes.get(group, 0) + row["cells"]["total"]
    channels = {
        channel: sums.get("requests_received", (year,), channel=channel)
        for channel in ("internet", "in_person", "registered_post", "ordinary_post", "fax")
    }
    return {"monthly_applications": monthly, "outcomes": outcomes, "channels": channels}


# --- checks (spec §B5) ---------------------------------------------------------------------------


def _check(rule: str, failures: list[str], severity: str = "error") -> dict[str, Any]:
    return {"rule": rule, "passed": not failures, "severity": severity, "detail": "；".join(failures) or "通过"}


def _checks(
    table2: Mapping[str, Any], table3: Mapping[str, Any], previous: Mapping[str, Any], table4: Mapping[str, Any]
) -> list[dict[str, Any]]:
    rows = {row["code"]: row for row in table3["rows"]}
    label = {c: APPLICANT_COLUMNS[c] for c in COLUMNS}
    balance = [
        f"{label[c]}列：{rows['new']['cells'][c]}+{rows['carried_over']['cells'][c]}≠"
        f"{rows['total_handled']['cells'][c]}+{rows['carried_forward']['cells'][c]}"
        for c in COLUMNS
        if rows["new"]["cells"][c] + rows["carried_over"]["cells"][c]
        != rows["total_handled"]["cells"][c] + rows["carried_forward"]["cells"][c]
    ]
    handled = [
        f"{label[c]}列：总计{rows['total_handled']['cells'][c]}≠各项之和"
        for c in COLUMNS
        if rows["total_handled"]["cells"][c] != sum(rows[o]["cells"][c] for o in OUTCOMES)
    ]
    row_totals = [
        f"“{row['label']}”行：总计≠各列之和"
        for row in table3["rows"]
        if row["cells"]["total"] != sum(row["cells"][c] for c in APPLICANT_KINDS)
    ]
    blocks = [
        f"{APPEAL_LABELS[k]}：总计≠维持+纠正+其他+尚未审结"
        for k, block in table4.items()
        if block["total"] != block["upheld"] + block["corrected"] + block["other"] + block["pending"]
    ]
    before = {row["code"]: row for row in previous["rows"]}
    carry = [
        f"{label[c]}列：上年结转{rows['carried_over']['cells'][c]}≠上年结转下年度{before['carried_forward']['cells'][c]}"
        for c in COLUMNS
        if rows["carried_over"]["cells"][c] != before["carried_forward"]["cells"][c]
    ]
    negative = [
        f"“{row['label']}”{label[c]}为负数" for row in table3["rows"] for c in COLUMNS if row["cells"][c] < 0
    ] + [
        f"表四{APPEAL_LABELS[k]}{APPEAL_LABELS[c]}为负数"
        for k, block in table4.items()
        for c in APPEAL_COLUMNS
        if block[c] < 0
    ]
    continuity = [
        f"{row['label']}：现行有效{row['in_force']}≠上年{prev}+制发{row['issued']}−废止{row['repealed']}"
        for row, prev in zip(table2["rows"][:2], table2["previous_in_force"].values(), strict=True)
        if row["in_force"] != prev + row["issued"] - row["repealed"]
    ]
    return [
        _check("表三各列：第一项＋第二项＝第三项（七）总计＋第四项", balance),
        _check("表三（七）总计＝（一）至（六）各项之和，每件申请只计一次", handled),
        _check("表三各行：总计＝六个申请人列之和", row_totals),
        _check("表四各部分：总计＝维持＋纠正＋其他＋尚未审结", blocks),
        _check("表三“上年结转”＝上年度报告“结转下年度继续办理”", carry),
        _check("除收费金额外均为非负整数", negative),
        _check("表二现行有效件数≈上年现行有效＋本年制发−本年废止", continuity, severity="warning"),
    ]
