"""The review state machine (保密审查): what may follow what."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.review.domain import DocumentStatus, InvalidTransition, ReviewDecision, next_status, prescreen

STEPS = ["queue", "publish", "withdraw", *ReviewDecision]


def test_a_queued_document_is_approved_then_published_then_withdrawn() -> None:
    status = next_status(DocumentStatus.SUBMITTED, "queue")
    status = next_status(status, ReviewDecision.APPROVE)
    assert status is DocumentStatus.APPROVED
    status = next_status(status, "publish")
    assert next_status(status, "withdraw") is DocumentStatus.WITHDRAWN


def test_a_rejected_document_can_be_neither_approved_nor_published() -> None:
    rejected = next_status(DocumentStatus.IN_REVIEW, ReviewDecision.REJECT)
    for step in (ReviewDecision.APPROVE, "publish"):
        with pytest.raises(InvalidTransition):
            next_status(rejected, step)


def test_a_publication_seen_before_its_approval_is_accepted_in_either_order() -> None:
    early = next_status(DocumentStatus.IN_REVIEW, "publish")
    assert next_status(early, ReviewDecision.APPROVE) is DocumentStatus.PUBLISHED
    in_order = next_status(next_status(DocumentStatus.IN_REVIEW, ReviewDecision.APPROVE), "publish")
    assert early is in_order


@given(st.lists(st.sampled_from(STEPS), max_size=12))
def test_no_sequence_of_steps_leaves_the_known_states_or_revives_a_withdrawn_document(steps: list[str]) -> None:
    status = DocumentStatus.SUBMITTED
    for step in steps:
        try:
            status = next_status(status, step)
        except InvalidTransition as exc:
            assert exc.status is status
    assert status in DocumentStatus
    if status == DocumentStatus.WITHDRAWN:
        with pytest.raises(InvalidTransition):
            next_status(status, "publish")


def test_the_prescreen_finds_personal_data_and_secrecy_markings_with_their_offsets() -> None:
    text = "联系人电话13812345678，身份证号110101199003078515，邮箱 li@example.cn。机密★1年"
    found = {(f.kind, text[f.start : f.end]) for f in prescreen(text)}
    assert found == {
        ("phone", "13812345678"),
        ("id_number", "110101199003078515"),
        ("email", "li@example.cn"),
        ("secrecy_marking", "机密★1年"),
    }


def test_the_prescreen_leaves_ordinary_numbers_alone() -> None:
    assert prescreen("2026年安排资金12345678901.5万元，文号某发改〔2026〕12号。") == []


def test_a_reviewer_may_decide_only_what_the_table_allows_and_never_on_a_published_document() -> None:
    from services.review.domain import may_decide

    assert may_decide(DocumentStatus.IN_REVIEW, ReviewDecision.ESCALATE)
    assert not may_decide(DocumentStatus.ESCALATED, ReviewDecision.ESCALATE)
    assert may_decide(DocumentStatus.ESCALATED, ReviewDecision.REJECT)
    assert may_decide(DocumentStatus.REJECTED, ReviewDecision.REOPEN)
    assert not may_decide(DocumentStatus.IN_REVIEW, ReviewDecision.REOPEN)
    for decision in ReviewDecision:
        assert not may_decide(DocumentStatus.PUBLISHED, decision)  # late facts are accepted, not decided
        assert not may_decide(DocumentStatus.WITHDRAWN, decision)
