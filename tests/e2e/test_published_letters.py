"""公开信件选登: public letter events on the bus become the portal's published letters.

Events are put on ``gongkai.public.letters`` directly, as review's publication step (and its withdrawal,
撤下公开) would, and read back from ``/letters``, ``/letters/{id}`` and ``/api/v1/public/letters`` on the
whole platform.
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from gongkai.events import Envelope, LetterPublished, LetterWithdrawn, ProposalReplyPublished, new_event
from services.publish.letters import LETTERS_GROUP, PublishedLetters, letters_database
from tests.e2e.requests_fixture import Running
from tests.polling import eventually_sync

PUBLISHED_AT = datetime(2026, 6, 8, 9, 30, tzinfo=UTC)


def letter_event(
    *,
    subject: str | None = None,
    title: str = "关于文三路增设公交站点的建议",
    kind: str = "mayor_mailbox",
    category: str = "suggestion",
    published_at: datetime = PUBLISHED_AT,
    body: str = "文三路与学院路交叉口附近居民较多。\n建议增设一处公交站点。",
    reply: str = "您好！经研究，我局已将该站点列入2026年公交线网优化计划。\n感谢您的关心。",
    version: int = 1,
) -> Envelope:
    data = LetterPublished(
        kind=kind,  # type: ignore[arg-type]
        category=category,  # type: ignore[arg-type]
        title=title,
        body=body,
        reply=reply,
        received_on=date(2026, 6, 1),
        replied_on=date(2026, 6, 5),
        published_at=published_at,
        reviewer="reviewer-甲",
        version=version,
    )
    return new_event("letter.published", subject=subject or uuid.uuid4().hex, source="review", data=data)


def withdrawal_event(subject: str, version: int = 2) -> Envelope:
    data = LetterWithdrawn(withdrawn_at=PUBLISHED_AT + timedelta(days=1), version=version)
    return new_event("letter.withdrawn", subject=subject, source="review", data=data)


def proposal_event() -> Envelope:
    data = ProposalReplyPublished(
        kind="cppcc_proposal",
        number="第0123号",
        title="关于加快老旧小区加装电梯的提案",
        proposer="吴委员",
        lead_unit="市住房和城乡建设局",
        result_class="B",
        reply="已列入2026年民生实事项目，分批推进。",
        replied_on=date(2026, 5, 20),
        published_at=PUBLISHED_AT + timedelta(hours=1),
        publisher="publisher-甲",
    )
    return new_event("proposal.reply_published", subject=uuid.uuid4().hex, source="review", data=data)


def publish(running: Running, *events: Envelope) -> None:
    bus = running.platform.bus
    assert bus is not None and running.client.portal is not None
    for event in events:
        running.client.portal.call(bus.publish, event)


def listed(running: Running, **params: Any) -> dict[str, Any]:
    response = running.client.get("/api/v1/public/letters", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def shown(running: Running, count: int, **params: Any) -> dict[str, Any]:
    eventually_sync(lambda: listed(running, **params)["total"] == count)
    return listed(running, **params)


def html(response: Any) -> Any:
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.fromstring(response.text)


def test_a_published_letter_is_listed_and_shown_with_its_reply(running: Running) -> None:
    event = letter_event()
    publish(running, event)
    (item,) = shown(running, 1)["items"]
    assert item == {
        "id": event.subject,
        "type": "letter",
        "kind": "mayor_mailbox",
        "kind_label": "市长信箱",
        "category": "suggestion",
        "category_label": "建议",
        "title": "关于文三路增设公交站点的建议",
        "body": event.data["body"],
        "reply": event.data["reply"],
        "received_on": "2026-06-01",
        "replied_on": "2026-06-05",
        "published_at": "2026-06-08T09:30:00+00:00",
        "number": None,
        "proposer": None,
        "lead_unit": None,
        "result_class": None,
        "result_class_label": None,
        "url": f"/letters/{event.subject}",
    }
    one = running.client.get(f"/api/v1/public/letters/{event.subject}")
    assert one.status_code == 200 and one.json() == item

    listing = running.client.get("/letters")
    assert listing.status_code == 200
    doc = html(listing)
    (link,) = doc.xpath("//ol[@class='hits']//a")
    assert link.get("href") == f"/letters/{event.subject}"
    assert link.text_content() == "关于文三路增设公交站点的建议"
    assert "共 1 件" in doc.text_content()

    page = running.client.get(f"/letters/{event.subject}")
    assert page.status_code == 200
    doc = html(page)
    assert doc.findtext(".//h1") == "关于文三路增设公交站点的建议"
    letter = doc.xpath("//section[@aria-labelledby='letter-title']")[0].text_content()
    reply = doc.xpath("//section[@aria-labelledby='reply-title']")[0].text_content()
    assert "文三路与学院路交叉口附近居民较多。" in letter and "建议增设一处公交站点。" in letter
    assert "列入2026年公交线网优化计划" in reply
    assert len(doc.xpath("//section[@aria-labelledby='reply-title']//p")) == 2  # a paragraph per line
    props = doc.xpath("//dl[@class='props']")[0].text_content()
    for words in ("市长信箱", "建议", "2026-06-01", "2026-06-05", "2026-06-08"):
        assert words in props


def test_a_repeated_event_shows_once(running: Running) -> None:
    event = letter_event()
    publish(running, event, event)
    publish(running, letter_event(title="第二封来信", published_at=PUBLISHED_AT - timedelta(hours=1)))
    assert [i["title"] for i in shown(running, 2)["items"]] == ["关于文三路增设公交站点的建议", "第二封来信"]
    assert "共 2 件" in html(running.client.get("/letters")).text_content()


def test_the_consumer_applies_an_event_once_even_when_the_bus_delivers_it_twice(tmp_path: Path) -> None:
    """At-least-once delivery (Kafka after a crash) hands the same event over again: one row, one mark."""
    from gongkai.settings import Settings

    async def scenario() -> tuple[int, int]:
        db = letters_database(Settings(data_dir=tmp_path))
        await db.open()
        try:
            consumer, event = PublishedLetters(db), letter_event()
            for _ in range(3):
                await consumer(event)
            await consumer(letter_event(subject=event.subject, title="同一封信的新版本", published_at=PUBLISHED_AT))
            rows = await db.run(lambda c: c.execute("SELECT count(*) FROM published_letters").fetchone()[0])
            marks = await db.run(
                lambda c: c.execute(
                    "SELECT count(*) FROM processed_events WHERE consumer = ?", (LETTERS_GROUP,)
                ).fetchone()[0]
            )
            return rows, marks
        finally:
            await db.close()

    assert asyncio.run(scenario()) == (1, 2)


def test_a_later_publication_of_the_same_letter_replaces_it_and_an_older_one_does_not(running: Running) -> None:
    subject = uuid.uuid4().hex
    publish(running, letter_event(subject=subject, title="初次公开的标题"))
    shown(running, 1)
    later = letter_event(subject=subject, title="更正后的标题", published_at=PUBLISHED_AT + timedelta(days=1))
    publish(running, later)
    eventually_sync(lambda: listed(running)["items"][0]["title"] == "更正后的标题")
    publish(running, letter_event(subject=subject, title="迟到的旧版本", published_at=PUBLISHED_AT))
    publish(running, letter_event(title="另一封来信", published_at=PUBLISHED_AT - timedelta(days=1)))
    items = shown(running, 2)["items"]
    assert [i["title"] for i in items] == ["更正后的标题", "另一封来信"]


def test_a_proposal_reply_is_published_beside_the_letters(running: Running) -> None:
    event = proposal_event()
    publish(running, letter_event(), event)
    items = shown(running, 2)["items"]
    assert items[0]["id"] == event.subject  # newest first
    assert items[0]["type"] == "proposal_reply"
    assert items[0]["kind_label"] == "政协提案"
    assert items[0]["result_class_label"] == "正在解决或者列入规划逐步解决"
    assert items[0]["category"] is None and items[0]["body"] == ""
    doc = html(running.client.get(f"/letters/{event.subject}"))
    text = doc.text_content()
    for words in (
        "第0123号",
        "吴委员",
        "市住房和城乡建设局",
        "B类：正在解决或者列入规划逐步解决",
        "办理复文",
        "分批推进",
    ):
        assert words in text, words
    assert doc.xpath("//section[@aria-labelledby='letter-title']") == []


def test_filters_by_kind_and_category(running: Running) -> None:
    publish(
        running,
        letter_event(title="市长信箱的投诉", category="complaint", published_at=PUBLISHED_AT + timedelta(minutes=2)),
        letter_event(
            title="部门信箱的投诉",
            kind="department_mailbox",
            category="complaint",
            published_at=PUBLISHED_AT + timedelta(minutes=1),
        ),
        letter_event(title="在线咨询", kind="consultation", category="consultation"),
        proposal_event(),
    )
    shown(running, 4)
    assert [i["title"] for i in listed(running, category="complaint")["items"]] == ["市长信箱的投诉", "部门信箱的投诉"]
    assert [i["title"] for i in listed(running, kind="consultation")["items"]] == ["在线咨询"]
    assert listed(running, kind="department_mailbox", category="complaint")["total"] == 1
    assert listed(running, kind="cppcc_proposal")["total"] == 1
    assert listed(running, kind="npc_suggestion")["total"] == 0

    doc = html(running.client.get("/letters", params={"kind": "mayor_mailbox", "category": "complaint"}))
    assert [a.text_content() for a in doc.xpath("//ol[@class='hits']//a")] == ["市长信箱的投诉"]
    assert doc.xpath("//select[@name='kind']/option[@selected]/@value") == ["mayor_mailbox"]
    assert doc.xpath("//select[@name='category']/option[@selected]/@value") == ["complaint"]
    assert "暂无公开的信件" in html(running.client.get("/letters", params={"kind": "npc_suggestion"})).text_content()


def test_the_list_is_newest_first_and_paginated(running: Running) -> None:
    events = [letter_event(title=f"来信{n:02d}", published_at=PUBLISHED_AT + timedelta(minutes=n)) for n in range(12)]
    publish(running, *events)
    shown(running, 12)
    first = listed(running, size=5)
    assert [i["title"] for i in first["items"]] == ["来信11", "来信10", "来信09", "来信08", "来信07"]
    assert [i["title"] for i in listed(running, size=5, page=3)["items"]] == ["来信01", "来信00"]

    doc = html(running.client.get("/letters", params={"category": "suggestion"}))
    assert len(doc.xpath("//ol[@class='hits']/li")) == 10
    next_link = doc.xpath("//nav[@class='pager']//a[@rel='next']")[0].get("href")
    assert next_link == "/letters?category=suggestion&page=2"
    doc = html(running.client.get(next_link))
    assert [a.text_content() for a in doc.xpath("//ol[@class='hits']//a")] == ["来信01", "来信00"]
    assert doc.xpath("//nav[@class='pager']//a[@rel='prev']")[0].get("href") == "/letters?category=suggestion"


def test_markup_in_a_letter_is_escaped_everywhere(running: Running) -> None:
    markup = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    event = letter_event(title="标题" + markup, body=markup + "\n第二段", reply="<b>答复</b>" + markup)
    publish(running, event)
    shown(running, 1)
    for url in ("/letters", f"/letters/{event.subject}"):
        response = running.client.get(url)
        assert "<script>" not in response.text and "<img src=x" not in response.text and "<b>答复" not in response.text
        doc = html(response)
        assert doc.xpath("//script") == [] and doc.xpath("//img") == [] and doc.xpath("//main//b") == []
        assert markup in doc.text_content()
    assert listed(running)["items"][0]["title"] == "标题" + markup  # JSON carries the text as text


@pytest.mark.parametrize("letter_id", [uuid.uuid4().hex, "track-nothing", "x" * 65, "%3Cscript%3E"])
def test_an_unknown_letter_is_not_found(running: Running, letter_id: str) -> None:
    response = running.client.get(f"/letters/{letter_id}")
    assert response.status_code == 404
    assert "未找到该信件" in response.text and "<script>" not in response.text
    problem = running.client.get(f"/api/v1/public/letters/{letter_id}")
    assert problem.status_code in (404, 422)
    assert problem.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "params", [{"kind": "petition"}, {"category": "report"}, {"page": "0"}, {"size": "101"}, {"page": "x"}]
)
def test_bad_filters_are_refused(running: Running, params: dict[str, str]) -> None:
    response = running.client.get("/api/v1/public/letters", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "message"), [({"kind": "<b>x</b>"}, "写信渠道无效"), ({"category": "x"}, "来信类别无效")]
)
def test_bad_filters_on_the_page_are_explained(running: Running, params: dict[str, str], message: str) -> None:
    response = running.client.get("/letters", params=params)
    assert response.status_code == 422
    assert message in html(response).xpath("//div[@role='alert']")[0].text_content()
    assert "<b>x</b>" not in response.text


def test_published_letters_are_not_documents(running: Running) -> None:
    publish(running, letter_event())
    shown(running, 1)
    assert running.client.get("/api/v1/search", params={"q": "公交站点"}).json()["total"] == 0


# --- 撤下公开: letter.withdrawn ----------------------------------------------------------------------


def settled(running: Running, *events: Envelope) -> None:
    """Publish ``events`` and wait until the consumer has applied them: a marker letter after them shows."""
    marker = letter_event(title="标记：此前的事件均已处理", published_at=PUBLISHED_AT - timedelta(days=30))
    publish(running, *events, marker)
    eventually_sync(lambda: running.client.get(f"/api/v1/public/letters/{marker.subject}").status_code == 200)


def titles(running: Running) -> set[str]:
    """The titles the public API lists, markers aside."""
    return {i["title"] for i in listed(running, size=100)["items"] if not i["title"].startswith("标记")}


def test_a_withdrawn_letter_leaves_the_list_the_api_and_its_page(running: Running) -> None:
    gone, stays = letter_event(title="将被撤下的来信"), letter_event(title="仍然公开的来信")
    settled(running, gone, stays)
    assert titles(running) == {"将被撤下的来信", "仍然公开的来信"}
    settled(running, withdrawal_event(gone.subject))
    assert titles(running) == {"仍然公开的来信"}
    problem = running.client.get(f"/api/v1/public/letters/{gone.subject}")
    assert problem.status_code == 404 and problem.headers["content-type"].startswith("application/problem+json")
    page = running.client.get(f"/letters/{gone.subject}")
    assert page.status_code == 404
    assert "未找到该信件" in page.text and "已撤下" in page.text and "文三路" not in page.text
    listing = running.client.get("/letters").text
    assert "将被撤下的来信" not in listing and f"/letters/{gone.subject}" not in listing


def test_a_withdrawal_keeps_none_of_the_letters_text(running: Running) -> None:
    gone = letter_event(title="将被撤下的来信", body="撤下前的来信内容", reply="撤下前的答复内容")
    settled(running, gone, withdrawal_event(gone.subject))
    publish_db = Path(running.platform.settings.path("publish.db"))
    with sqlite3.connect(publish_db) as conn:
        rows = conn.execute("SELECT * FROM published_letters WHERE id = ?", (gone.subject,)).fetchall()
        tombstone = conn.execute("SELECT version, withdrawn_at FROM letter_versions WHERE id = ?", (gone.subject,))
        assert rows == [] and tombstone.fetchone() == (2, "2026-06-09T09:30:00.000000+00:00")
        dump = "\n".join(conn.iterdump())
    for text in ("将被撤下的来信", "撤下前的来信内容", "撤下前的答复内容"):
        assert text not in dump


def test_an_older_publication_arriving_late_does_not_bring_a_withdrawn_letter_back(running: Running) -> None:
    subject = uuid.uuid4().hex
    first = letter_event(subject=subject, title="初次公开")
    settled(running, first, withdrawal_event(subject, 2))
    late_copy = letter_event(subject=subject, title="迟到的初次公开", published_at=PUBLISHED_AT + timedelta(days=5))
    settled(running, late_copy)  # version 1 again, however late its instant
    assert titles(running) == set()
    settled(running, letter_event(subject=subject, title="重新公开", version=3))
    assert titles(running) == {"重新公开"}
    settled(running, withdrawal_event(subject, 2))  # an old withdrawal, delivered again late
    assert titles(running) == {"重新公开"}


def test_a_withdrawal_that_arrives_before_its_publication_keeps_the_letter_down(running: Running) -> None:
    subject = uuid.uuid4().hex
    settled(running, withdrawal_event(subject, 2), letter_event(subject=subject, title="先撤下后到达的公开"))
    assert titles(running) == set()
    assert running.client.get(f"/letters/{subject}").status_code == 404


def test_the_consumer_applies_a_withdrawal_once_even_when_the_bus_delivers_it_twice(tmp_path: Path) -> None:
    from gongkai.settings import Settings

    async def scenario() -> tuple[str, list[Any], int, int]:
        db = letters_database(Settings(data_dir=tmp_path))
        await db.open()
        try:
            consumer, published = PublishedLetters(db), letter_event()
            withdrawn = withdrawal_event(published.subject)
            for event in (published, withdrawn, withdrawn, published, withdrawn):
                await consumer(event)
            rows = await db.run(lambda c: c.execute("SELECT id, version FROM letter_versions").fetchall())
            shown = await db.run(lambda c: c.execute("SELECT count(*) FROM published_letters").fetchone()[0])
            marks = await db.run(
                lambda c: c.execute(
                    "SELECT count(*) FROM processed_events WHERE consumer = ?", (LETTERS_GROUP,)
                ).fetchone()[0]
            )
            return published.subject, rows, shown, marks
        finally:
            await db.close()

    subject, versions, shown, marks = asyncio.run(scenario())
    assert versions == [(subject, 2)] and shown == 0  # down, at the withdrawal's version
    assert marks == 2  # one publication, one withdrawal
