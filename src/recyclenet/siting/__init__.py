"""Three-tier siting: collection points, transfer stations and sorting centres together."""

from recyclenet.siting.problem import SitingProblem, Tier
from recyclenet.siting.result import SitingResult
from recyclenet.siting.solve import SitingParams, solve

__all__ = ["SitingParams", "SitingProblem", "SitingResult", "Tier", "solve"]
