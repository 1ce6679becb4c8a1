"""Why a letter or a proposal reply is taken down (撤下公开): kept as staff text is, never blank."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.review.publication import MAX_REASON, UnpublishIn


def test_the_reason_is_stored_clean() -> None:
    typed = "  答复中\u0000含有\u200b未核实的数据\r\n请更正  "
    assert UnpublishIn(reason=typed).reason == "答复中含有未核实的数据\n请更正"


@pytest.mark.parametrize("reason", ["", "   ", "\u0000\u200b\u202e", "\r\n\t"])
def test_a_reason_with_nothing_readable_in_it_is_refused(reason: str) -> None:
    with pytest.raises(ValidationError, match=r"a take-down needs a reason|at least 1 character"):
        UnpublishIn(reason=reason)


def test_a_reason_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(ValidationError, match=f"at most {MAX_REASON} characters"):
        UnpublishIn(reason="理" * (MAX_REASON + 1))
