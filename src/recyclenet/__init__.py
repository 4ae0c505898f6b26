"""RecycleNet: plan and run three-tier recycling networks.

Siting (OR-Tools MIP) of sorting centres, transfer stations and collection points
together; truck-as-depot weekly timetables and daily routes (OR-Tools routing); maps and
GIS outputs.
"""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version

from recyclenet.config import Scenario, load_scenario
from recyclenet.errors import (
    ConfigError,
    InfeasibleError,
    InputError,
    InputProblem,
    RecycleNetError,
    RecycleNetWarning,
    SolverError,
)
from recyclenet.pipeline import ScenarioResult, run_scenario
from recyclenet.routing import (
    DayProblem,
    RoutingParams,
    Vehicle,
    WeekPlan,
    WeekProblem,
    plan_week,
    solve_day,
)
from recyclenet.siting import SitingParams, SitingProblem, SitingResult, solve_siting

try:  # the version is written once, in pyproject.toml
    __version__ = _version("recyclenet")
except PackageNotFoundError:  # (run from a checkout that is not installed)
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "DayProblem",
    "RoutingParams",
    "SitingParams",
    "SitingProblem",
    "SitingResult",
    "Vehicle",
    "WeekPlan",
    "WeekProblem",
    "plan_week",
    "solve_day",
    "solve_siting",
    "InfeasibleError",
    "InputError",
    "InputProblem",
    "RecycleNetError",
    "RecycleNetWarning",
    "Scenario",
    "ScenarioResult",
    "SolverError",
    "load_scenario",
    "run_scenario",
]
