"""The agency's working-day calendar: an admin loads next year's 放假安排 and deadlines become exact."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from gongkai.cli import cli
from tests.e2e.conftest import Staff
from tests.e2e.scenario import DRAFT
from tests.e2e.test_bad_input import assert_problem
from tests.polling import eventually_sync

Client = tuple[TestClient, Staff]
# 2027's National Day week, as a notice would list it, with one working Saturday (调休).
NOTICE_2027 = {"holidays": [f"2027-10-0{d}" for d in range(1, 8)], "workdays": ["2027-10-09"], "note": "国办发明电"}


def provisional_metric(client: TestClient, year: int) -> str:
    prefix = f'gongkai_calendar_year_provisional{{year="{year}"}} '
    return next(
        line.removeprefix(prefix) for line in client.get("/metrics").text.splitlines() if line.startswith(prefix)
    )


def submitted_due(client: TestClient, staff: Staff, formed_on: str) -> dict[str, object]:
    doc_id = client.post("/api/v1/documents", json={**DRAFT, "formed_on": formed_on}, headers=staff.clerk).json()["id"]
    eventually_sync(lambda: client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).status_code == 200)
    doc: dict[str, object] = client.get(f"/api/v1/documents/{doc_id}", headers=staff.clerk).json()
    return doc


def test_loading_next_years_notice_makes_its_deadlines_exact(embedded: Client) -> None:
    client, staff = embedded
    assert 2027 in client.get("/api/v1/admin/calendar", headers=staff.admin).json()["provisional_years"]
    assert provisional_metric(client, 2027) == "1.0"
    before = submitted_due(client, staff, "2027-09-20")
    assert before["publish_due_provisional"] is True

    loaded = client.put("/api/v1/admin/calendar/years/2027", json=NOTICE_2027, headers=staff.admin)
    assert loaded.status_code == 200, loaded.text
    assert loaded.json() == {"year": 2027, "provisional": False}
    shown = client.get("/api/v1/admin/calendar", headers=staff.admin).json()
    assert shown["loaded_years"] == [2027]
    assert shown["notices"] == [{"year": 2027, **NOTICE_2027}]  # its days, so it can be checked and loaded again
    assert provisional_metric(client, 2027) == "0.0"
    after = submitted_due(client, staff, "2027-09-20")
    assert after["publish_due_provisional"] is False
    # 20 working days from Monday 2027-09-20: eight in September, none 10-01…07, Friday 10-08,
    # the working Saturday 10-09, then ten more: Friday 10-22.
    assert after["publish_due"] == "2027-10-22"


def test_a_local_holiday_moves_a_deadline_by_one_working_day(embedded: Client) -> None:
    client, staff = embedded
    ordinary = submitted_due(client, staff, "2026-06-01")
    assert ordinary["publish_due"] == "2026-06-30"  # 端午 (Friday 06-19) is already a day off
    marked = client.put(
        "/api/v1/admin/calendar/days/2026-06-10", json={"kind": "holiday", "note": "地方性假日"}, headers=staff.admin
    )
    assert marked.status_code == 200
    assert submitted_due(client, staff, "2026-06-01")["publish_due"] == "2026-07-01"


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/admin/calendar/years/2027", {"holidays": []}),
        ("/api/v1/admin/calendar/years/2027", {"holidays": ["2027-02-30"]}),
        ("/api/v1/admin/calendar/years/2027", {"holidays": ["2031-01-01"]}),
        ("/api/v1/admin/calendar/years/2027", {"holidays": ["2027-10-01"], "workdays": ["2027-10-01"]}),
        ("/api/v1/admin/calendar/years/twenty", {"holidays": ["2027-10-01"]}),
        ("/api/v1/admin/calendar/days/2027-13-01", {"kind": "holiday"}),
        ("/api/v1/admin/calendar/days/2027-10-01", {"kind": "half_day"}),
    ],
)
def test_bad_calendar_data_is_refused_and_changes_nothing(embedded: Client, url: str, body: object) -> None:
    client, staff = embedded
    assert_problem(client.put(url, json=body, headers=staff.admin), 422)
    shown = client.get("/api/v1/admin/calendar", headers=staff.admin).json()
    assert shown["loaded_years"] == [] and shown["overrides"] == [] and shown["notices"] == []


def test_only_an_admin_may_change_the_calendar(embedded: Client) -> None:
    client, staff = embedded
    for who in (staff.clerk, staff.reviewer, staff.publisher):
        assert_problem(client.put("/api/v1/admin/calendar/years/2027", json=NOTICE_2027, headers=who), 403)
        assert_problem(client.get("/api/v1/admin/calendar", headers=who), 403)
    assert_problem(client.get("/api/v1/admin/calendar"), 401)


def test_the_cli_loads_a_year_into_the_data_directory(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["calendar", "load-year", "2027", "--data-dir", str(tmp_path)]
    result = runner.invoke(cli, [*args, *(f"--holiday=2027-10-0{d}" for d in range(1, 8)), "--workday=2027-10-09"])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(cli, ["calendar", "show", "--data-dir", str(tmp_path)])
    assert "loaded years: [2027]" in shown.output
    refused = runner.invoke(cli, [*args, "--holiday=2027-02-30"])
    assert refused.exit_code != 0
