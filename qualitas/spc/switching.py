"""Switching rules between normal, tightened and reduced inspection (ISO 2859-1:1999 clause 9,
ANSI/ASQ Z1.4-2008 section 8), run over a history of lot decisions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from qualitas.spc.errors import SpcInputError

__all__ = ["InspectionState", "LotResult", "next_inspection_state"]


@dataclass(frozen=True)
class LotResult:
    """Outcome of inspecting one lot, as needed by the switching rules.

    ``acceptance_number`` and ``accepted_at_tighter_aql`` feed the switching
    score (ISO 2859-1:1999 9.3.3, Z1.4-2008 8.3.3): for plans with Ac >= 2 the
    score grows only if the lot would also have been accepted at the next
    tighter AQL.  ``nonconforming`` lets a Z1.4 reduced plan with a gap (Ac <
    d < Re: lot accepted) send inspection back to normal.
    """

    accepted: bool
    nonconforming: int | None = None
    acceptance_number: int | None = None
    accepted_at_tighter_aql: bool | None = None


@dataclass(frozen=True)
class InspectionState:
    """Where the switching rules stand after a history of lots."""

    state: str
    switching_score: int
    consecutive_accepted: int
    not_accepted_on_tightened: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types."""
        return asdict(self)


def next_inspection_state(
    history: Iterable[LotResult | bool],
    *,
    start: str = "normal",
    reduced_allowed: bool = True,
) -> InspectionState:
    """Run the switching rules over a history of lots and return the state for the next lot.

    * normal -> tightened: 2 lots not accepted within 5 or fewer consecutive lots;
    * tightened -> normal: 5 consecutive lots accepted;
    * tightened -> discontinued: 5 lots not accepted in total on tightened inspection;
    * normal -> reduced: switching score reaches 30 (production steady and the
      responsible authority approving: ``reduced_allowed``);
    * reduced -> normal: a lot not accepted, or accepted with more
      nonconforming items than Ac (Z1.4 reduced plans with a gap).

    ``history`` items are :class:`LotResult` or plain booleans (accepted).
    The history is a short sequence of lot decisions, so a small state machine
    walks it in order.
    """
    state = str(start).lower()
    if state not in ("normal", "tightened", "reduced"):
        raise SpcInputError(f"unknown starting state {start!r}; use normal, tightened or reduced")
    score = consecutive = tightened_rejects = 0
    recent: list[bool] = []
    reason = "start"
    for raw in history:
        lot = raw if isinstance(raw, LotResult) else LotResult(bool(raw))
        if state == "discontinued":
            break
        if state == "normal":
            recent = [*recent, lot.accepted][-5:]
            if recent.count(False) >= 2:
                state, reason = "tightened", "2 of 5 or fewer consecutive lots not accepted"
                consecutive = tightened_rejects = score = 0
                recent = []
                continue
            if not lot.accepted:
                score = 0
            elif lot.acceptance_number is not None and lot.acceptance_number >= 2:
                score = score + 3 if lot.accepted_at_tighter_aql else 0
            else:
                score += 2
            if reduced_allowed and score >= 30:
                state, reason = "reduced", "switching score reached 30"
                score = 0
        elif state == "tightened":
            if lot.accepted:
                consecutive += 1
                if consecutive >= 5:
                    state, reason = "normal", "5 consecutive lots accepted on tightened inspection"
                    consecutive = tightened_rejects = 0
                    recent = []
            else:
                consecutive = 0
                tightened_rejects += 1
                if tightened_rejects >= 5:
                    state = "discontinued"
                    reason = "5 lots not accepted on tightened inspection: discontinue"
        else:  # reduced
            gap = (
                lot.accepted
                and lot.nonconforming is not None
                and lot.acceptance_number is not None
                and lot.nonconforming > lot.acceptance_number
            )
            if not lot.accepted or gap:
                state = "normal"
                reason = (
                    "lot not accepted on reduced inspection"
                    if not lot.accepted
                    else ("more nonconforming items than Ac on reduced inspection")
                )
                score = 0
                recent = []
    return InspectionState(state, score, consecutive, tightened_rejects, reason)
