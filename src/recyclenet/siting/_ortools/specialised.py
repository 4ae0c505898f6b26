"""The specialised-centre stage as a MIP (:mod:`recyclenet.siting.specialised`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from ortools.math_opt.python import mathopt  # loaded with the module, not timed per solve

from recyclenet.errors import SolverError
from recyclenet.siting._ortools.common import _FOUND, _dual_bound, _solve_model
from recyclenet.siting.problem import DAYS_PER_YEAR
from recyclenet.siting.specialised import SpecialisedProblem, SpecialisedResult


def solve_specialised(problem: SpecialisedProblem, *, time_limit_s: float) -> SpecialisedResult:
    """The specialised-centre stage (:mod:`recyclenet.siting.specialised`) as a MIP in
    MathOpt, solved by HiGHS to a relative gap of 1e-9."""
    p = problem
    n_k, n_g = p.t_per_day.shape
    n_c = len(p.centre_ids)
    rate = DAYS_PER_YEAR * p.haul_cny_per_tkm
    model = mathopt.Model(name="specialised")
    o = [model.add_binary_variable(name=f"o{c}") for c in range(n_c)]
    cost = mathopt.LinearExpression()
    for c in range(n_c):
        cost += float(p.fixed_cost_cny_per_year[c]) * (0.0 if p.existing[c] else 1.0) * o[c]
        if p.existing[c]:
            model.add_linear_constraint(o[c] == 1)
    model.add_linear_constraint(sum(o) == p.count)
    a: dict[tuple[int, int, int], mathopt.Variable] = {}
    load: list[list[Any]] = [[] for _ in range(n_c)]
    for k in range(n_k):
        for g in range(n_g):
            t = float(p.t_per_day[k, g])
            if t <= 0:
                continue
            home = model.add_binary_variable(name=f"a{k}_{g}_0")
            cost += rate * t * float(p.comprehensive_km[k]) * home
            choices = [home]
            for c in np.flatnonzero(p.takes[:, g]).tolist():
                v = model.add_binary_variable(name=f"a{k}_{g}_{c + 1}")
                a[k, g, c] = v
                cost += rate * t * float(p.haul_km[k, c]) * v
                model.add_linear_constraint(v <= o[c])
                model.add_linear_constraint(home <= 1 - o[c])
                load[c].append(t * v)
                choices.append(v)
            model.add_linear_constraint(sum(choices) == 1)
    for c in range(n_c):
        if load[c]:
            model.add_linear_constraint(sum(load[c]) <= float(p.capacity_t_per_day[c]) * o[c])
    model.minimize(cost)
    result = _solve_model(model, "HIGHS", time_limit_s=time_limit_s, relative_gap=1e-9)
    if result.termination.reason not in _FOUND:
        raise SolverError(
            "no plan routes every category to a specialised centre that takes it within "
            "their capacities (专业型分拣中心的处理能力不足以接收其品类): raise their "
            "capacity_t_per_day or siting.counts.specialised_centre"
        )
    values = result.variable_values()
    open_idx = np.array([c for c in range(n_c) if values[o[c]] > 0.5], dtype=np.int64)
    centre_of = np.full((n_k, n_g), -1, dtype=np.int64)
    for (k, g, c), v in a.items():
        if values[v] > 0.5:
            centre_of[k, g] = c
    status = (
        "optimal"
        if result.termination.reason == mathopt.TerminationReason.OPTIMAL
        else ("feasible")
    )
    return SpecialisedResult(
        problem=p,
        status=status,
        open_idx=open_idx,
        centre_of=centre_of,
        objective_cny=float(result.objective_value()),
        bound_cny=_dual_bound(result),
    )
