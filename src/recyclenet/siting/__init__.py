"""Three-tier siting: collection points, transfer stations and sorting centres together."""

from recyclenet.siting.problem import SitingProblem, Tier
from recyclenet.siting.result import SitingResult
from recyclenet.siting.solve import SitingParams, solve, solve_specialised

solve_siting = solve
"""The siting solver under the name the package exports (:func:`solve`)."""

__all__ = [
    "SitingParams",
    "SitingProblem",
    "SitingResult",
    "Tier",
    "solve",
    "solve_siting",
    "solve_specialised",
]
