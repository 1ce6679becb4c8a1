"""The annual report over HTTP: counted from requests and appeals filed through the API, staff entries,
renderings, and bad input. The platform's clock stands at 2026-06-01."""

from __future__ import annotations

import io
from typing import Any

from tests.e2e.requests_fixture import Running
from tests.e2e.test_bad_input import assert_problem
from tests.polling import eventually_sync

COMPANY = {"kind": "legal_person", "org_type": "commercial", "name": "某科技有限公司", "phone": "010-88886666"}


def report(running: Running, year: int = 2026, **params: str) -> Any:
    return running.client.get(f"/api/v1/reports/annual/{year}", params=params, headers=running.staff.clerk)


def cells(body: dict[str, Any], code: str) -> dict[str, int]:
    return dict(next(r["cells"] for r in body["table3"]["rows"] if r["code"] == code))


def scenario(running: Running) -> None:
    """2025: one application left open. 2026: three received, two answered, one withdrawn; appeals."""
    old = running.apply("in_person", received_on="2025-12-22")
    answered = [running.apply("registered_post", received_on="2026-05-11") for _ in range(2)]
    company = running.apply("in_person", received_on="2026-05-12", applicant=COMPANY)
    assert running.act(old["id"], "answer", outcome="disclosed", on="2026-01-05").status_code == 202
    assert running.act(answered[0]["id"], "answer", outcome="withheld.third_party_rights").status_code == 202
    assert running.act(answered[1]["id"], "answer", outcome="not_processed.repeat").status_code == 202
    assert running.act(company["id"], "withdraw").status_code == 202
    for kind, result in (("reconsideration", "upheld"), ("litigation_direct", None)):
        filed = running.client.post(
            "/api/v1/appeals",
            json={"kind": kind, "request_id": answered[0]["id"], "filed_on": "2026-05-20"},
            headers=running.staff.clerk,
        )
        assert filed.status_code == 202, filed.text
        if result:
            decided = running.client.post(
                f"/api/v1/appeals/{filed.json()['id']}/result",
                json={"result": result, "on": "2026-05-28"},
                headers=running.staff.clerk,
            )
            assert decided.status_code == 202, decided.text


def test_the_report_counts_what_happened(running: Running) -> None:
    scenario(running)
    eventually_sync(lambda: cells(report(running).json(), "total_handled")["total"] == 4)
    body = report(running).json()
    assert (body["year"], body["format"]) == (2026, "2021")
    assert cells(body, "new") == {
        **dict.fromkeys(cells(body, "new"), 0),
        "natural_person": 2,
        "commercial": 1,
        "total": 3,
    }
    assert cells(body, "carried_over")["natural_person"] == 1
    assert cells(body, "disclosed")["natural_person"] == 1
    assert cells(body, "withheld.third_party_rights")["natural_person"] == 1
    assert cells(body, "not_processed.repeat")["natural_person"] == 1
    assert cells(body, "other.other")["commercial"] == 1
    assert cells(body, "carried_forward")["total"] == 0
    assert body["table4"]["reconsideration"] == {"upheld": 1, "corrected": 0, "other": 0, "pending": 0, "total": 1}
    assert body["table4"]["litigation_direct"]["pending"] == 1
    assert all(check["passed"] for check in body["checks"]), body["checks"]
    last_year = report(running, 2025).json()
    assert cells(last_year, "carried_forward")["total"] == 1

    summary = running.client.get("/api/v1/stats/summary", params={"year": 2026}, headers=running.staff.clerk).json()
    assert summary["requests"]["received"] == 3 and summary["requests"]["answered"] == 4
    assert summary["requests"]["on_time_rate"] == {"numerator": 4, "denominator": 4, "value": 1.0}
    assert summary["appeals"]["by_kind"]["reconsideration"]["upheld"] == 1
    assert summary["letters"]["on_time_rate"]["value"] is None


def test_staff_enter_table_two_figures_and_prose(running: Running) -> None:
    figures = {"licensing_decisions": 120, "penalty_decisions": 3, "enforcement_decisions": 0, "fees_10k_yuan": "1.25"}
    entered = running.client.put("/api/v1/reports/annual/2026/table2", json=figures, headers=running.staff.clerk)
    assert entered.status_code == 202, entered.text
    saved = running.client.put(
        "/api/v1/reports/annual/2026/sections/5",
        json={"text": "（一）存在的主要问题：答复文书格式不统一。"},
        headers=running.staff.clerk,
    )
    assert saved.status_code == 202, saved.text
    body = report(running).json()
    rows = body["table2"]["rows"]
    assert [r.get("decisions") for r in rows[2:5]] == [120, 3, 0]
    assert rows[5]["amount_10k_yuan"] == "1.2500"
    assert body["table2"]["entered_by"] == "clerk-甲"
    assert body["sections"][4]["text"].startswith("（一）存在的主要问题：答复文书格式不统一")
    assert body["sections"][4]["saved_by"] == "clerk-甲"


def test_renderings_carry_the_six_titles_in_order(running: Running) -> None:
    scenario(running)
    titles = [s["title"] for s in report(running).json()["sections"]]
    for fmt in ("md", "html"):
        text = report(running, format=fmt).text
        positions = [text.index(title) for title in titles]
        assert positions == sorted(positions), fmt
    xlsx = report(running, format="xlsx")
    assert xlsx.status_code == 200
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx.content))
    assert "表三" in book.sheetnames
    labels = [cell.value for cell in book["表三"]["A"] if cell.value]
    assert "一、本年新收政府信息公开申请数量" in labels and "四、结转下年度继续办理" in labels
    assert report(running, format="xlsx").content == xlsx.content  # byte-identical


def test_bad_input_gets_clear_answers_and_records_nothing(running: Running) -> None:
    clerk = running.staff.clerk
    assert_problem(report(running, 2007), 422)
    assert_problem(report(running, 2027), 422)
    assert_problem(report(running, format="pdf"), 422)
    assert_problem(running.client.get("/api/v1/reports/annual/abc", headers=clerk), 422)
    assert_problem(running.client.get("/api/v1/reports/annual/2026"), 401)
    table2 = "/api/v1/reports/annual/2026/table2"
    good = {"licensing_decisions": 1, "penalty_decisions": 1, "enforcement_decisions": 1, "fees_10k_yuan": "0"}
    assert_problem(running.client.put(table2, json={**good, "penalty_decisions": -1}, headers=clerk), 422)
    assert_problem(running.client.put(table2, json={**good, "fees_10k_yuan": "1.23456"}, headers=clerk), 422)
    assert_problem(running.client.put(table2, json={**good, "extra": 1}, headers=clerk), 422)
    assert_problem(running.client.put(table2, json=good, headers=running.staff.reviewer), 403)
    assert_problem(running.client.put("/api/v1/reports/annual/2030/table2", json=good, headers=clerk), 422)
    section = "/api/v1/reports/annual/2026/sections/{}"
    assert_problem(running.client.put(section.format(2), json={"text": "x"}, headers=clerk), 422)
    assert_problem(running.client.put(section.format(1), json={"text": "x" * 50_001}, headers=clerk), 422)
    body = report(running).json()
    assert body["table2"]["entered_by"] is None
    assert body["sections"][0]["saved_by"] is None


def test_events_that_do_not_fit_the_catalog_are_dead_lettered_and_miscount_nothing(running: Running) -> None:
    import json
    import uuid

    from gongkai.metrics import REGISTRY

    bus = running.platform.bus
    assert bus is not None and running.client.portal is not None

    def envelope(event_type: str, data: dict[str, Any]) -> bytes:
        return json.dumps(
            {
                "id": str(uuid.uuid4()),
                "type": event_type,
                "occurred_at": "2026-05-30T02:00:00Z",
                "recorded_at": "2026-05-30T02:00:00Z",
                "source": "elsewhere",
                "subject": "x" * 32,
                "data": data,
            }
        ).encode()

    for raw in (
        envelope("request.teleported", {}),
        envelope("request.closed", {"outcome": "disclosed"}),
        b"\xff not json",
    ):
        running.client.portal.call(lambda r=raw: bus.publish_raw("gongkai.requests", key="x", value=r))
    running.apply("in_person", received_on="2026-05-29")

    def stats_dead_letters() -> float:
        value = REGISTRY.get_sample_value(
            "gongkai_bus_events_handled_total",
            {"group": "stats", "topic": "gongkai.requests", "outcome": "dead_lettered"},
        )
        return value or 0.0

    eventually_sync(lambda: cells(report(running).json(), "new")["total"] == 1)
    eventually_sync(lambda: stats_dead_letters() == 3)
    letters = [json.loads(raw) for raw in running.client.portal.call(bus.read, "gongkai.requests.dlq")]
    assert {letter["group"] for letter in letters} >= {"stats"}
    assert all(check["passed"] for check in report(running).json()["checks"])


def test_cli_rebuilds_identical_counters_and_writes_the_same_report(running: Running, tmp_path: Any) -> None:
    import json

    from click.testing import CliRunner

    from gongkai.cli import cli

    scenario(running)
    eventually_sync(lambda: cells(report(running).json(), "total_handled")["total"] == 4)
    data_dir = str(running.platform.settings.data_dir)
    rebuilt = CliRunner().invoke(cli, ["stats", "rebuild", "--data-dir", data_dir])
    assert rebuilt.exit_code == 0, rebuilt.output
    assert "identical to the live counters" in rebuilt.output
    out = tmp_path / "report.json"
    written = CliRunner().invoke(
        cli, ["report", "annual", "2026", "--format", "json", "-o", str(out), "--data-dir", data_dir]
    )
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text(encoding="utf-8")) == report(running).json()
