"""``gongkai publish rebuild-letters``: the published letters rebuilt from ``gongkai.public.letters`` equal the
tables the live consumer built, withdrawn and re-published letters and proposal replies included, while the
platform runs.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from gongkai.cli import cli
from services.publish.letters import LETTERS_GROUP
from services.publish.letters_rebuild import snapshot
from tests.e2e.requests_fixture import Running
from tests.e2e.test_letters_review import act, send
from tests.e2e.test_letters_unpublish import CLEARED, public
from tests.e2e.test_proposals import accepted, register
from tests.e2e.test_published_letters import PUBLISHED_AT, letter_event, proposal_event, publish, settled
from tests.polling import eventually_sync


def tables(running: Running) -> tuple[dict[str, list[tuple[Any, ...]]], set[str]]:
    """The rebuilt tables as they stand, and the publish-letters group's marks of processed events."""
    conn = sqlite3.connect(Path(running.platform.settings.path("publish.db")))
    try:
        marks = {
            r[0] for r in conn.execute("SELECT event_id FROM processed_events WHERE consumer = ?", (LETTERS_GROUP,))
        }
        return snapshot(conn), marks
    finally:
        conn.close()


def rebuild(running: Running, *options: str) -> Any:
    data_dir = str(running.platform.settings.data_dir)
    return CliRunner().invoke(cli, ["publish", "rebuild-letters", *options, "--data-dir", data_dir])


def reviewed(running: Running, *steps: str) -> str:
    """A replied letter taken through the reviewer's ``publish`` / ``unpublish`` steps, in turn."""
    letter_id, _ = send(running)
    assert act(running, letter_id, "reply", body=CLEARED["reply"], first_pass=True).status_code == 202
    for step in steps:
        body = CLEARED if step == "publish" else {"reason": "来信人要求撤下"}
        answer = act(running, letter_id, step, running.staff.reviewer, **body)
        assert answer.status_code == 202, answer.text
    return letter_id


def test_the_rebuilt_tables_equal_the_live_ones_and_repair_them(running: Running) -> None:
    withdrawn = reviewed(running, "publish", "unpublish")
    shown = reviewed(running, "publish")
    again = reviewed(running, "publish", "unpublish", "publish")
    late = letter_event(subject=withdrawn, title="迟到的旧版本", published_at=PUBLISHED_AT + timedelta(days=9))
    reply = proposal_event()
    settled(running, late, reply, reply)  # an old publication arriving late, a repeated event
    assert {public(running, i).status_code for i in (shown, again)} == {200}
    assert public(running, withdrawn).status_code == 404
    live, live_marks = tables(running)
    assert len(live["letter_versions"]) == 5  # three letters, the proposal reply, the marker
    assert [row[0] for row in live["letter_versions"] if row[2] is not None] == [withdrawn]

    checked = rebuild(running, "--check")
    assert checked.exit_code == 0, checked.output
    # public: two letters, the proposal reply, the marker; withdrawn: one letter
    assert "9 events replayed: 4 public, 1 withdrawn" in checked.output and "identical" in checked.output
    assert tables(running) == (live, live_marks)

    conn = sqlite3.connect(Path(running.platform.settings.path("publish.db")))
    with conn:
        conn.execute("DELETE FROM published_letters WHERE id = ?", (shown,))
        conn.execute("DELETE FROM letter_versions WHERE id = ?", (withdrawn,))
        conn.execute(
            "INSERT INTO published_letters (id, type, kind, title, reply, replied_on, published_at) "
            "VALUES (?, 'letter', 'mayor_mailbox', '不应存在的信件', '无', '2026-06-01', '2026-06-01')",
            (uuid.uuid4().hex,),
        )
    conn.close()
    damaged = tables(running)
    checked = rebuild(running, "--check")
    assert checked.exit_code == 1 and "3 letters differ from the log; nothing changed" in checked.output
    assert tables(running) == damaged

    repaired = rebuild(running)
    assert repaired.exit_code == 0, repaired.output
    assert "3 letters differed from the log and were rebuilt" in repaired.output
    assert tables(running) == (live, live_marks)
    assert public(running, shown).status_code == 200 and "不应存在的信件" not in running.client.get("/letters").text

    # the live consumer goes on after the rebuild: what came later is applied, nothing replayed twice
    later = letter_event(title="重建之后公开的来信")
    publish(running, later)
    eventually_sync(lambda: public(running, later.subject).status_code == 200)
    assert public(running, withdrawn).status_code == 404
    after, marks = tables(running)
    assert marks == live_marks | {str(later.id)}
    assert len(after["published_letters"]) == len(live["published_letters"]) + 1


def proposal_published(running: Running, number: str, *steps: str) -> str:
    """An answered proposal taken through the publisher's ``publish`` / ``unpublish`` steps, in turn."""
    proposal_id = register(running, number=number)
    accepted(running, proposal_id, "reply", result_class="B", body=f"{number}的答复。", on="2026-05-20")
    for step in steps:
        body = {"reason": "答复有误，撤下更正"} if step == "unpublish" else None
        answer = running.client.post(
            f"/api/v1/proposals/{proposal_id}/{step}", json=body, headers=running.staff.publisher
        )
        assert answer.status_code == 202, answer.text
    return proposal_id


def test_proposal_replies_taken_down_and_published_again_are_rebuilt_identically(running: Running) -> None:
    down = proposal_published(running, "第0201号", "publish", "unpublish")
    shown = proposal_published(running, "第0202号", "publish")
    again = proposal_published(running, "第0203号", "publish", "unpublish", "publish")
    settled(running)  # every event of the three applied
    assert {public(running, i).status_code for i in (shown, again)} == {200}
    assert public(running, down).status_code == 404
    live, live_marks = tables(running)
    versions = {row[0]: (row[1], row[2] is not None) for row in live["letter_versions"]}
    assert {i: versions[i] for i in (down, shown, again)} == {down: (2, True), shown: (1, False), again: (3, False)}

    checked = rebuild(running, "--check")
    assert checked.exit_code == 0, checked.output
    # six proposal events and the marker; public: two replies and the marker; withdrawn: one reply
    assert "7 events replayed: 3 public, 1 withdrawn" in checked.output and "identical" in checked.output
    assert tables(running) == (live, live_marks)

    conn = sqlite3.connect(Path(running.platform.settings.path("publish.db")))
    with conn:
        conn.execute("DELETE FROM published_letters WHERE id = ?", (again,))
        conn.execute("UPDATE letter_versions SET withdrawn_at = NULL WHERE id = ?", (down,))
    conn.close()
    checked = rebuild(running, "--check")
    assert checked.exit_code == 1 and "2 letters differ from the log; nothing changed" in checked.output
    repaired = rebuild(running)
    assert repaired.exit_code == 0, repaired.output
    assert tables(running) == (live, live_marks)
    assert public(running, again).status_code == 200 and public(running, down).status_code == 404
