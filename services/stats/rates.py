"""Letters' and proposals' figures and the rates agencies report (spec §C), each as numerator and
denominator. Pure; definitions (documented in docs/statistics.md):

- 按时办结率 (letters, on time) = letters answered in the year within their time limit ÷ letters due
  for completion in the year: those answered in the year plus those still open past their limit at
  the year's end (transfers to 信访 are counted apart, in neither);
- 一次性办结率 (letters, first pass) = answered at the first pass ÷ answered in the year;
- 办复率 (proposals, reply) = proposals assigned in the year that have been answered ÷ assigned in
  the year (the year's cohort, whenever the answer came);
- 满意率 (proposals, satisfaction) = (满意 + 基本满意) ÷ proposals of the cohort with an assessment,
  each counted once with its latest assessment.
"""

from __future__ import annotations

from typing import Any

from gongkai.events.letters import LETTER_KINDS

__all__ = ["letter_figures", "proposal_figures", "rate"]


def rate(numerator: int, denominator: int) -> dict[str, Any]:
    value = round(numerator / denominator, 4) if denominator else None
    return {"numerator": numerator, "denominator": denominator, "value": value}


def letter_figures(sums: Any, year: int) -> dict[str, Any]:
    this, to_date = (year,), range(sums.first_year() or year, year + 1)
    answered = sums.get("letters_replied", this)
    on_time = sums.get("letters_replied", this, on_time="true")
    first_pass = sums.get("letters_replied", this, first_pass="true")  # noqa: S106 (a label, not a secret)
    open_overdue = sums.get("letters_deadline_missed", to_date) - sums.get("letters_overdue_closed", to_date)
    return {
        "received": sums.get("letters_received", this),
        "answered": answered,
        "on_time": on_time,
        "first_pass": first_pass,
        "transferred": sums.get("letters_transferred", this),
        "overdue_open_at_year_end": open_overdue,
        "on_time_rate": rate(on_time, answered + open_overdue),
        "first_pass_rate": rate(first_pass, answered),
        "by_kind": {
            kind: {
                "received": sums.get("letters_received", this, kind=kind),
                "answered": sums.get("letters_replied", this, kind=kind),
            }
            for kind in LETTER_KINDS
        },
        "feedback": {
            rating: sums.get("letters_feedback", this, rating=rating)
            for rating in ("satisfied", "basically_satisfied", "dissatisfied")
        },
    }


def proposal_figures(sums: Any, year: int) -> dict[str, Any]:
    this = (year,)
    assigned = sums.get("proposals_assigned", this)
    answered = sums.get("proposals_answered", this)
    rated = sums.get("proposals_rated", this)
    satisfied = sums.get("proposals_rated", this, rating="satisfied") + sums.get(
        "proposals_rated", this, rating="basically_satisfied"
    )
    return {
        "assigned": assigned,
        "answered": answered,
        "answered_on_time": sums.get("proposals_answered", this, on_time="true"),
        "satisfied": satisfied,
        "assessed": rated,
        "reply_rate": rate(answered, assigned),
        "satisfaction_rate": rate(satisfied, rated),
        "by_kind": {
            kind: {
                "assigned": sums.get("proposals_assigned", this, kind=kind),
                "answered": sums.get("proposals_answered", this, kind=kind),
            }
            for kind in ("npc_suggestion", "cppcc_proposal")
        },
    }
