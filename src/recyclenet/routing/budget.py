"""Search budgets counted in work, so that a plan does not depend on how busy the machine is.

A day's search is steered by shares of its budget (a first search, elimination attempts,
what is left to improve the best plan; see :mod:`recyclenet.routing.elimination`). The
:class:`Meter` is the clock those shares are read from. In work mode it counts **work
units**: each engine call is given a number of units, searches
:data:`SOLUTIONS_PER_UNIT` OR-Tools solutions or :data:`ITERATIONS_PER_UNIT` PyVRP
iterations per unit, and is charged the units it was given. The same scenario and seed
then give the same plan on any machine and any load. The wall clock is a safety cap only
(``cap_at``): a search it cuts short sets :attr:`Meter.capped`, which the results carry,
because that plan is then not reproducible.

Without work mode the meter reads the wall clock and the budgets are seconds (what the
benchmarks use to compare engines at equal time).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

EFFORTS = ("quick", "standard", "thorough")
"""The search efforts a user chooses from (``solver.effort``, ``--effort``)."""

WORK_PER_DAY = {"quick": 4.0, "standard": 10.0, "thorough": 30.0}
"""Work units each station-day is given in each pass of the week (see
:func:`recyclenet.routing.week.solve_week`), by effort."""

VISIT_DAY_WORK: dict[str, float | None] = {
    "quick": None,
    "standard": 3.0e5,
    "thorough": 3.0e5,
}
"""Stop-iterations of each station's visit-day search
(:mod:`recyclenet.routing.visit_days`), by effort; ``None``: the balanced days.
``thorough`` searches the days as ``standard`` does, so that its longer routing of the
same days is never worse than ``standard``'s (:attr:`RoutingParams.floor_work_per_day`)."""

SOLUTIONS_PER_UNIT = 20
"""OR-Tools solutions (accepted local-search moves) a work unit searches."""

ITERATIONS_PER_UNIT = 250
"""PyVRP iterations a work unit searches."""

STALL_S_PER_UNIT = 5.0
"""Wall-clock seconds a search may take per work unit (at least :data:`STALL_FLOOR_S`)
before it counts as stalled and is stopped, reported as cut short: a unit normally takes
a tenth to a fifth of a second. OR-Tools' guided local search, where no move is accepted
any more (a day whose trucks cannot serve its stops), finds no solution to count and
would otherwise run until the run's cap."""

STALL_FLOOR_S = 2.0

_CAP_SLACK = 0.98  # a search that ran this share of its wall-clock cap was cut by it


@dataclass
class Meter:
    """The clock of one chain of searches: work units charged, or wall-clock seconds.

    Parameters
    ----------
    work
        Count work units (``True``) or read the wall clock (``False``).
    cap_at
        ``time.time()`` at which every search stops, whatever its budget.
    """

    work: bool = False
    cap_at: float = float("inf")
    capped: bool = False
    _spent: float = 0.0
    _start: float = field(default_factory=time.perf_counter)

    def now(self) -> float:
        """Units charged so far (work mode), else seconds since the meter started."""
        return self._spent if self.work else time.perf_counter() - self._start

    def charge(self, units: float) -> None:
        """Count ``units`` of work as done (work mode only)."""
        if self.work:
            self._spent += max(0.0, units)

    def cap_left_s(self) -> float:
        """Wall-clock seconds until the safety cap (at least a millisecond, at most a day)."""
        return min(86400.0, max(0.001, self.cap_at - time.time()))

    def stage_s(self, units: float) -> float:
        """The wall-clock limit of a search given ``units``: the units themselves in
        seconds without work mode, else the stall limit (:data:`STALL_S_PER_UNIT`) or
        what is left until the cap, whichever comes first."""
        if not self.work:
            return min(units, self.cap_left_s())
        return min(max(STALL_FLOOR_S, units * STALL_S_PER_UNIT), self.cap_left_s())

    def solutions(self, units: float) -> int | None:
        """OR-Tools' solution limit for ``units`` (``None``: none, without work mode)."""
        return max(1, round(units * SOLUTIONS_PER_UNIT)) if self.work else None

    def iterations(self, units: float) -> int | None:
        """PyVRP's iteration limit for ``units`` (``None``: none, without work mode)."""
        return max(1, round(units * ITERATIONS_PER_UNIT)) if self.work else None

    def ran(self, elapsed_s: float, given_s: float) -> None:
        """Note a search that ran ``elapsed_s`` of a wall-clock limit ``given_s``: in work
        mode, one stopped by that limit was cut by the safety cap."""
        if self.work and elapsed_s >= _CAP_SLACK * given_s:
            self.capped = True
