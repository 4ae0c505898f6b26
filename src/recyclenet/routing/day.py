"""One base's day routed by the engine the settings choose (OR-Tools, PyVRP), with
route elimination where trucks cost a day each."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from recyclenet.routing import _ortools, _pyvrp
from recyclenet.routing.budget import Meter
from recyclenet.routing.elimination import solve_with_elimination
from recyclenet.routing.problem import DayProblem
from recyclenet.routing.result import DayResult

ENGINES = ("auto", "ortools", "pyvrp")


@dataclass(frozen=True)
class RoutingParams:
    """Search settings.

    Parameters
    ----------
    time_limit_s
        Wall-clock budget for all days together; each base-day gets an equal share.
    workers
        Processes solving days in parallel (1: in this process).
    engine
        ``"ortools"`` (models every constraint), ``"pyvrp"`` (days without lunch, slots,
        closed stops, daily limits or unload hours) or ``"auto"``: PyVRP where it models
        the day, else OR-Tools
        (which also tries a day with release times on which PyVRP left a stop that must
        be served).
    seed
        Seed of PyVRP's search (OR-Tools' search is deterministic).
    max_iterations
        PyVRP also stops after this many iterations of its search (``None``: only the
        time limit): with a limit that binds first, a run gives the same routes however
        busy the machine is.
    work_per_day
        Work units each base-day is given in each pass of the week (see
        :mod:`recyclenet.routing.budget`; :data:`~recyclenet.routing.budget.WORK_PER_DAY`
        by effort). Set, the search is counted in work and gives the same plan on any
        machine load and any number of ``workers``, and ``time_limit_s`` is only a
        wall-clock safety cap, reported where it bites (:attr:`DayResult.capped`).
        ``None``: ``time_limit_s`` is the budget.
    floor_work_per_day
        With ``work_per_day``, a smaller budget whose week :func:`solve_week` also plans,
        keeping each base's better week: more work is then never worse than that budget
        (``thorough`` against ``standard``).
    visit_day_work
        Stop-iterations of each station's visit-day search
        (:mod:`recyclenet.routing.visit_days`; ``None``: the balanced days are kept).
    fewer_trucks
        With ``work_per_day``, :func:`~recyclenet.routing.week.solve_week` routes each
        base's week once more, with one truck fewer than it runs on its busiest day, and
        keeps the cheaper week (see
        :func:`~recyclenet.routing.elimination.one_truck_fewer`): a truck one day's
        search opened beyond what the other days need is not paid for all week.
    """

    time_limit_s: float = 60.0
    workers: int = 1
    engine: str = "auto"
    seed: int = 0
    max_iterations: int | None = None
    work_per_day: float | None = None
    floor_work_per_day: float | None = None
    visit_day_work: float | None = None
    fewer_trucks: bool = True

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got '{self.engine}'")
        if not self.time_limit_s > 0:
            raise ValueError(f"time_limit_s must be positive, got {self.time_limit_s}")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")
        if self.max_iterations is not None and self.max_iterations < 0:
            raise ValueError(f"max_iterations must be at least 0, got {self.max_iterations}")
        if self.work_per_day is not None and not self.work_per_day > 0:
            raise ValueError(f"work_per_day must be positive, got {self.work_per_day}")

    def meter(self, cap_at: float | None = None) -> Meter:
        """A fresh clock for a chain of searches under these settings: work units when
        ``work_per_day`` is set (capped at ``cap_at``, ``time.time()``; default
        ``time_limit_s`` from now), else the wall clock."""
        if self.work_per_day is None:
            return Meter()
        return Meter(
            work=True, cap_at=time.time() + self.time_limit_s if cap_at is None else cap_at
        )


def solve_day(
    problem: DayProblem,
    params: RoutingParams | None = None,
    *,
    time_limit_s: float | None = None,
    meter: Meter | None = None,
) -> DayResult:
    """Route one base's trucks for one day with the engine ``params`` chooses.

    ``time_limit_s`` overrides the day's budget (a share of a week's budget): seconds,
    or work units where ``params.work_per_day`` is set (default: ``work_per_day``, else
    ``params.time_limit_s``). ``meter``: the clock of a chain of days the budget is
    counted on (default: a fresh one, :meth:`RoutingParams.meter`).
    A day OR-Tools routes, with more than one truck and a fixed cost per truck, goes
    through route elimination (:mod:`recyclenet.routing.elimination`).
    """
    params = params or RoutingParams()
    meter = meter if meter is not None else params.meter()
    default = params.work_per_day if params.work_per_day is not None else params.time_limit_s
    limit = default if time_limit_s is None else time_limit_s
    result = _solve_day(problem, params, limit, meter)
    return replace(result, capped=meter.capped) if meter.capped else result


def _solve_day(problem: DayProblem, params: RoutingParams, limit: float, meter: Meter) -> DayResult:
    """:func:`solve_day` with its budget and clock settled."""
    engine = params.engine
    if engine == "auto":
        engine = "pyvrp" if _pyvrp.models(problem) else "ortools"
    if engine == "pyvrp":
        # PyVRP opens a trip for capacity but not for a release alone (measured on a
        # two-stop day); with releases OR-Tools keeps a tenth of the time for a plan of
        # its own when PyVRP's leaves a stop that must be served, and the plan that
        # serves more of them wins (then the cheaper).
        fallback = params.engine == "auto" and problem.has_releases()
        start = meter.now()
        share = 0.9 if fallback else 1.0
        result = _pyvrp.solve_day(
            problem,
            time_limit_s=share * limit,
            seed=params.seed,
            max_iterations=params.max_iterations,
            meter=meter,
        )
        if fallback and result.unserved() > 0:
            left = max(0.2, limit - (meter.now() - start))
            other = _ortools.solve_day(problem, time_limit_s=left, meter=meter)
            return min(result, other, key=lambda r: (r.unserved(), r.cost_cny))
        if result.status != "no_solution" or params.engine == "pyvrp":
            return result
    if problem.num_trucks > 1 and any(
        g.vehicle.fixed_cost_cny_per_day > 0 for g in problem.groups()
    ):  # trucks cost a day each: take away those the search cannot close
        return solve_with_elimination(
            problem,
            lambda day, limit_: _ortools.solve_day(day, time_limit_s=limit_, meter=meter),
            limit,
            meter,
        )
    return _ortools.solve_day(problem, time_limit_s=limit, meter=meter)
