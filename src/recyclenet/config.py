"""Scenario files: YAML in, a validated and frozen :class:`Scenario` out.

A scenario file plus the input tables it names fully determine a run. Unknown keys and
wrong types are rejected with the key path in the message; relative paths are resolved
against the folder of the scenario file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from recyclenet.clock import TIERS as TIERS  # (re-exported: the config's vocabulary)
from recyclenet.clock import WEEKDAYS as WEEKDAYS
from recyclenet.clock import hhmm_to_min as hhmm_to_min
from recyclenet.clock import min_to_hhmm as min_to_hhmm
from recyclenet.clock import parse_clock as parse_clock
from recyclenet.clock import parse_weekday as parse_weekday
from recyclenet.errors import ConfigError

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]


class _Frozen(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )


class InputsConfig(_Frozen):
    """Paths of the input tables (CSV, Excel, GeoJSON or GeoPackage) and their coordinates.

    ``crs`` declares the coordinate system of the ``lon``/``lat`` columns per table:
    ``wgs84`` (default), ``gcj02`` (Amap, Tencent), ``bd09`` (Baidu), or a CRS such as
    ``EPSG:4547`` (then ``lon``/``lat`` hold easting and northing). Everything is
    converted to WGS-84 when read.
    """

    settlements: Path
    candidates: Path
    fleet: Path
    crs: dict[Literal["settlements", "candidates"], str] = Field(default_factory=dict)

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: dict[str, str]) -> dict[str, str]:
        for table, crs in value.items():
            key = crs.lower().replace("-", "").replace("_", "")
            if key in ("wgs84", "gcj02", "bd09"):
                continue
            try:
                from pyproj import CRS

                CRS.from_user_input(crs)
            except Exception:
                raise ValueError(
                    f"inputs.crs.{table}: unknown coordinate system '{crs}'; use wgs84, "
                    "gcj02, bd09 or an EPSG code such as EPSG:4547"
                ) from None
        return value


class CategoryConfig(_Frozen):
    """Generation of one material category."""

    urban_kg_per_person_day: float = Field(ge=0, le=20, description="kg per person a day")
    rural_kg_per_person_day: float = Field(ge=0, le=20, description="kg per person a day")
    density_kg_per_m3: float = Field(ge=5, le=5000, description="loose density, kg per m3")
    growth_pct_to_target: float = Field(0.0, ge=-100.0, le=1000.0)


class DemandConfig(_Frozen):
    """What residents hand over, by category, grown from the base to the target year."""

    base_year: int = Field(ge=1990, le=2100)
    target_year: int = Field(ge=1990, le=2100)
    capture_rate: float = Field(gt=0, le=1)
    categories: dict[str, CategoryConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _years(self) -> DemandConfig:
        if self.target_year < self.base_year:
            raise ValueError(f"target_year {self.target_year} is before base_year {self.base_year}")
        return self


class ProfileConfig(_Frozen):
    """How one vehicle type uses the road graph (keys are OSM ``highway`` classes)."""

    speeds_kmh: dict[str, PositiveFloat] = Field(default_factory=dict)
    forbidden: tuple[str, ...] = ()
    forbidden_tags: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    max_speed_kmh: PositiveFloat | None = None


class NetworkConfig(_Frozen):
    """How distances and travel times are measured.

    ``straight_line``: great-circle distance times ``detour_factor``, times at each
    vehicle's speed. ``osm_file``: an ``.osm`` XML or osmnx GraphML file. ``osm_place`` /
    ``osm_bbox`` (west, south, east, north): downloaded by osmnx once, then cached.
    ``profiles`` are keyed by vehicle type (``default`` for residents' access and any
    type not listed); speeds not given fall back to built-in defaults per road class.
    """

    source: Literal["straight_line", "osm_file", "osm_place", "osm_bbox"] = "straight_line"
    detour_factor: float = Field(1.3, ge=1.0, le=5.0)
    osm_file: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    cache_dir: Path = Path(".recyclenet-cache")
    unreachable: Literal["fail", "straight_line"] = "fail"
    connector_speed_kmh: float = Field(5.0, gt=0, le=60)
    profiles: dict[str, ProfileConfig] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _source_needs(self) -> NetworkConfig:
        need = {"osm_file": "osm_file", "osm_place": "place", "osm_bbox": "bbox"}.get(self.source)
        if need and getattr(self, need) is None:
            raise ValueError(f"network.source {self.source} needs network.{need}")
        return self


class OutputsConfig(_Frozen):
    """Output options.

    ``tianditu_key``: a 天地图 (Tianditu) browser key (``tk``); the maps then offer its
    standard base map, the government's, beside OpenStreetMap and Amap.
    """

    gcj02_columns: bool = False
    tianditu_key: str | None = Field(None, pattern=r"^[0-9A-Za-z]{8,64}$")


class CountRange(_Frozen):
    """A minimum and maximum number of facilities of a tier."""

    min: int = Field(ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _order(self) -> CountRange:
        if self.max < self.min:
            raise ValueError(f"max {self.max} is below min {self.min}")
        return self


Count = Annotated[int, Field(ge=1)] | CountRange | Literal["free"]


class CountsConfig(_Frozen):
    """Facilities to open per tier: an exact policy count (``4``), a range
    (``{min: 3, max: 5}``), or ``free`` (as many as minimise cost, at least one)."""

    collection_point: Count
    transfer_station: Count
    sorting_centre: Count = 1
    specialised_centre: int = Field(
        0,
        ge=0,
        le=50,
        description="specialised sorting centres (专业型) to open among the candidates whose "
        "categories column names what they take; their categories go to them, the rest to "
        "the comprehensive centres (sorting_centre)",
    )


class TransportCostConfig(_Frozen):
    """Transport cost per tonne-km for the flows between tiers, in CNY."""

    access: NonNegativeFloat = Field(
        description="settlement -> collection point (residents' carrying effort, valued)"
    )
    collection: NonNegativeFloat = Field(description="collection point -> transfer station")
    haul: NonNegativeFloat = Field(description="transfer station -> sorting centre")


class CountyCountsConfig(_Frozen):
    """Collection points and transfer stations one county opens."""

    collection_point: int = Field(ge=1)
    transfer_station: int = Field(ge=1)


class RulesConfig(_Frozen):
    """Administrative rules.

    ``same_township``: settlements use a collection point in their own township.
    ``one_station_per_township``: at most one transfer station per township (a station's
    township is its ``township_code`` column, else that of the nearest settlement).
    ``point_in_villages_above_households``: every settlement with at least this many
    households gets its own collection point.
    """

    same_township: bool = False
    same_county: bool = Field(
        False,
        description="with counts_by_county: each county's settlements use its own points, "
        "and its points send to its own stations; only the sorting centres are shared "
        "(solved county by county)",
    )
    one_station_per_township: bool = False
    point_in_villages_above_households: int | None = Field(None, ge=1)


class SitingConfig(_Frozen):
    """The three-tier siting model.

    ``counts_by_county``: several counties (the settlements' ``county`` column) sharing
    the sorting centre, each opening its own points and stations; the totals replace
    ``counts.collection_point`` and ``counts.transfer_station``.

    ``mode: cost`` (default): every settlement within ``max_access_km`` of its point, least
    cost. ``mode: max_coverage``: first the most residents within ``max_access_km`` that
    the counts (or budget) allow, then least cost; the others use a point up to
    ``max_service_km`` away (default three times ``max_access_km``) and are reported.
    """

    counts: CountsConfig
    max_access_km: float = Field(gt=0, le=100)
    budget_cny_per_year: PositiveFloat | None = None
    mode: Literal["cost", "max_coverage"] = "cost"
    counts_by_county: dict[str, CountyCountsConfig] | None = None
    max_service_km: PositiveFloat | None = None
    rules: RulesConfig = RulesConfig()
    transport_cost_cny_per_tkm: TransportCostConfig
    relative_gap: float = Field(1e-4, ge=0, le=1)
    solver: Literal["HIGHS", "SCIP", "CP_SAT"] = "HIGHS"
    method: Literal["auto", "enumeration", "mip", "large"] = "auto"

    @model_validator(mode="after")
    def _same_county(self) -> SitingConfig:
        if self.rules.same_county and not self.counts_by_county:
            raise ValueError(
                "siting.rules.same_county needs siting.counts_by_county (which county opens "
                "how many points and stations)"
            )
        return self


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _check_clock(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"'{value}' is not a clock time; write it as HH:MM, e.g. 08:00")
    return value


def _unquoted_clock(value: Any) -> Any:
    """YAML reads an unquoted ``8:00`` as the number 480 (hours and minutes in base
    60): exactly the minutes after midnight, so such a number is that clock time."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 24 * 60:
        return min_to_hhmm(value)
    return value


ClockTime = Annotated[str, BeforeValidator(_unquoted_clock), AfterValidator(_check_clock)]
"""A scenario clock time, ``HH:MM``."""


class LunchConfig(_Frozen):
    """A lunch break every truck still out takes, starting between two clock times."""

    earliest: ClockTime
    latest: ClockTime
    duration_min: PositiveFloat

    @model_validator(mode="after")
    def _order(self) -> LunchConfig:
        if hhmm_to_min(self.latest) < hhmm_to_min(self.earliest):
            raise ValueError(
                f"lunch latest {self.latest} must not be earlier than earliest {self.earliest}"
            )
        return self

    def as_minutes(self) -> tuple[float, float, float]:
        """``(earliest_start_min, latest_start_min, duration_min)``."""
        return (
            float(hhmm_to_min(self.earliest)),
            float(hhmm_to_min(self.latest)),
            float(self.duration_min),
        )


class RoadRulesConfig(_Frozen):
    """Road rights of one vehicle type (路权): when it may drive and where it may not go."""

    permitted_hours: (
        tuple[ClockTime, ClockTime] | tuple[tuple[ClockTime, ClockTime], ...] | None
    ) = Field(
        None,
        description="when the type may drive: one window ['06:00', '20:00'] (it leaves its "
        "station no earlier and is back no later), or several, e.g. [['06:00', '07:30'], "
        "['09:00', '17:00']] for a rush-hour ban: between two windows it neither drives nor "
        "serves a stop, it waits where it is",
    )
    forbidden_zones: Path | None = Field(
        None,
        description="GeoJSON or GeoPackage polygons (WGS-84) the type may not enter; "
        "points inside them are served by other types",
    )
    no_access_points: tuple[str, ...] = Field(
        (), description="collection points the type cannot reach (narrow village roads)"
    )

    def windows_min(self) -> tuple[tuple[float, float], ...]:
        """The permitted windows in minutes after midnight, in order (none: the shift)."""
        hours = self.permitted_hours
        if hours is None:
            return ()
        pairs = [hours] if isinstance(hours[0], str) else list(hours)
        return tuple((float(hhmm_to_min(a)), float(hhmm_to_min(b))) for a, b in pairs)

    @model_validator(mode="after")
    def _hours(self) -> RoadRulesConfig:
        windows = self.windows_min()
        if self.permitted_hours is not None and not windows:
            raise ValueError(
                "permitted_hours lists no window; give at least one, e.g. ['06:00', '20:00']"
            )
        for lo, hi in windows:
            if hi <= lo:
                raise ValueError(
                    f"permitted_hours {min_to_hhmm(lo)}-{min_to_hhmm(hi)}: the end must be "
                    "later than the start"
                )
        for (_, end), (start, _) in zip(windows, windows[1:], strict=False):
            if start < end:
                raise ValueError(
                    f"permitted_hours: the window from {min_to_hhmm(start)} starts before "
                    f"the one before it ends ({min_to_hhmm(end)}); list the windows in order, "
                    "without overlaps"
                )
        return self


class RoutingConfig(_Frozen):
    """Weekly truck-as-depot schedule and daily routes."""

    collection_vehicle: str
    haul_vehicle: str
    max_trucks_per_station: int = Field(ge=1, le=50)
    working_days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = Field(
        min_length=1
    )
    shift_start: ClockTime
    shift_end: ClockTime
    dwell_min: float = Field(gt=0, le=480)
    unload_min: float = Field(ge=0, le=480)
    max_fill: float = Field(0.9, ge=0.1, le=1)
    lunch: LunchConfig | None = None
    slot_tolerance_min: float = Field(
        15.0,
        ge=0,
        le=240,
        description="a point visited on several days arrives within this many minutes of "
        "its published slot; re-planning keeps published stops within it too",
    )
    slot_penalty_cny_per_min: float = Field(
        100.0,
        ge=0,
        le=1e6,
        description="what each minute beyond the slot tolerance costs when planning the week "
        "(weighed against trucks and kilometres: lower it to let slots drift where that "
        "saves a truck)",
    )
    booking_defer_penalty_cny: float = Field(
        300.0, ge=0, le=1e7, description="what leaving a booked pickup for another day costs"
    )
    collection_fleet: dict[str, int] | None = Field(
        None,
        description="a mixed fleet kept at every station: trucks by vehicle type (replaces "
        "max_trucks_per_station of collection_vehicle)",
    )
    road_rules: dict[str, RoadRulesConfig] = Field(
        default_factory=dict, description="road rights by vehicle type"
    )
    keep_timetable: Path | None = Field(
        None,
        description="the published timetable to keep (timetable.csv of an earlier run, "
        "relative to the scenario): a point visited as often as before keeps its days, "
        "and every point keeps the time on its sign where the trucks can hold it",
    )
    truck_base: Literal["station", "sorting_centre"] = Field(
        "station",
        description="where each station's collection trucks are kept overnight: at the "
        "station, or at the sorting centre it sends to (they drive out in the morning, "
        "unload at the station after every trip and drive back empty)",
    )

    @field_validator("collection_fleet")
    @classmethod
    def _fleet_counts(cls, value: dict[str, int] | None) -> dict[str, int] | None:
        if value is not None:
            if not value:
                raise ValueError("collection_fleet must name at least one vehicle type")
            bad = {k: v for k, v in value.items() if not 1 <= v <= 50}
            if bad:
                raise ValueError(f"collection_fleet counts must be 1..50, got {bad}")
        return value

    def fleet_counts(self) -> dict[str, int]:
        """Trucks kept at every station, by vehicle type."""
        if self.collection_fleet is not None:
            return dict(self.collection_fleet)
        return {self.collection_vehicle: self.max_trucks_per_station}

    @field_validator("working_days")
    @classmethod
    def _unique_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(value)) != len(value):
            raise ValueError(f"working_days lists a day twice: {list(value)}")
        return tuple(sorted(value, key=WEEKDAYS.index))

    @model_validator(mode="after")
    def _shift(self) -> RoutingConfig:
        if hhmm_to_min(self.shift_end) <= hhmm_to_min(self.shift_start):
            raise ValueError(
                f"shift_end {self.shift_end} must be later than shift_start {self.shift_start}"
            )
        length = hhmm_to_min(self.shift_end) - hhmm_to_min(self.shift_start)
        if length < self.dwell_min + self.unload_min:
            raise ValueError(
                f"the shift {self.shift_start}-{self.shift_end} ({length} min) is shorter than "
                f"one stop and one unload (dwell_min {self.dwell_min:g} + unload_min "
                f"{self.unload_min:g} min): no truck could collect anything; set a later "
                "shift_end or an earlier shift_start"
            )
        if self.lunch is not None:
            lo, hi, _ = self.lunch.as_minutes()
            if lo < hhmm_to_min(self.shift_start) or hi > hhmm_to_min(self.shift_end):
                raise ValueError(
                    f"the lunch window {self.lunch.earliest}-{self.lunch.latest} must lie "
                    f"inside the shift {self.shift_start}-{self.shift_end}"
                )
        return self

    @property
    def shift_start_min(self) -> int:
        """Shift start in minutes after midnight."""
        return hhmm_to_min(self.shift_start)

    @property
    def shift_end_min(self) -> int:
        """Shift end in minutes after midnight."""
        return hhmm_to_min(self.shift_end)


EFFORTS = ("quick", "standard", "thorough")
"""Search efforts (``solver.effort``; the work each means: ``routing.budget.WORK_PER_DAY``)."""


class SolverConfig(_Frozen):
    """Search effort, safety caps on the wall clock, and the seed."""

    effort: Literal["quick", "standard", "thorough"] = Field(
        "standard",
        description="how much search the routing does, counted in work so that the same "
        "scenario and seed give the same plan on any machine: quick (to try scenarios), "
        "standard, thorough (slower, never worse than standard)",
    )
    siting_time_limit_s: PositiveFloat = 60.0
    routing_time_limit_s: PositiveFloat = Field(
        600.0,
        description="a safety cap on the routing's wall-clock time: where it cuts the "
        "search short, the run says so, because the plan may then differ from run to run",
    )
    routing_engine: Literal["auto", "ortools", "pyvrp"] = Field(
        "auto",
        description="auto: PyVRP for days without lunch breaks or slot targets, OR-Tools "
        "for the rest; ortools: OR-Tools for every day",
    )
    seed: int = Field(0, ge=0)
    workers: int = Field(
        2,
        ge=1,
        le=64,
        description="processes routing station-days side by side (the plan is the same "
        "for any number; recyclenet sweep sets 1 when it runs scenarios side by side)",
    )


class Scenario(_Frozen):
    """A validated scenario. Build it with :func:`load_scenario`."""

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    title: str = ""
    language: Literal["zh", "en"] = "zh"
    inputs: InputsConfig
    demand: DemandConfig
    network: NetworkConfig = NetworkConfig()
    outputs: OutputsConfig = OutputsConfig()
    siting: SitingConfig
    routing: RoutingConfig
    solver: SolverConfig = SolverConfig()

    def with_time_limit(self, total_s: float) -> Scenario:
        """Return a copy whose siting gets half of ``total_s`` and routing the rest."""
        solver = self.solver.model_copy(
            update={"siting_time_limit_s": total_s / 2, "routing_time_limit_s": total_s / 2}
        )
        return self.model_copy(update={"solver": solver})

    def with_effort(self, effort: str) -> Scenario:
        """Return a copy with ``solver.effort`` set (``quick``, ``standard``, ``thorough``)."""
        solver = SolverConfig.model_validate({**self.solver.model_dump(), "effort": effort})
        return self.model_copy(update={"solver": solver})

    def to_yaml(self) -> str:
        """The resolved scenario as YAML (absolute paths, every default filled in)."""
        data = self.model_dump(mode="json")
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _format_validation_error(path: Path, error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        key = ".".join(str(p) for p in item["loc"]) or "(top level)"
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key; remove it or check its spelling"
        elif item["type"] == "missing":
            message = "required key is missing; add it"
        value = item.get("input")
        shown = "" if item["type"] == "missing" or isinstance(value, dict) else f" (got {value!r})"
        parts.append(f"{key}: {message}{shown}")
    return f"scenario file {path}: " + "; ".join(parts) + "."


def parse_scenario(data: Any, *, source: Path) -> Scenario:
    """Validate a scenario mapping; relative input paths are resolved against ``source``'s folder.

    Parameters
    ----------
    data
        The mapping read from YAML.
    source
        The scenario file (for messages and for resolving relative paths).

    Raises
    ------
    ConfigError
        With the key path, the value and what is expected, for every problem found.
    """
    if not isinstance(data, dict):
        raise ConfigError(
            f"scenario file {source}: the top level must be a mapping of keys "
            f"(name, inputs, demand, ...), got {type(data).__name__}."
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_validation_error(source, exc)) from None
    base = source.resolve().parent
    inputs = scenario.inputs
    resolved = InputsConfig(
        settlements=(base / inputs.settlements).resolve(),
        candidates=(base / inputs.candidates).resolve(),
        fleet=(base / inputs.fleet).resolve(),
        crs=dict(inputs.crs),
    )
    net = scenario.network
    network = net.model_copy(
        update={
            "osm_file": (base / net.osm_file).resolve() if net.osm_file else None,
            "cache_dir": (base / net.cache_dir).resolve(),
        }
    )
    rc = scenario.routing
    rules = {
        vt: r.model_copy(
            update={
                "forbidden_zones": (
                    (base / r.forbidden_zones).resolve() if r.forbidden_zones else None
                )
            }
        )
        for vt, r in rc.road_rules.items()
    }
    routing = rc.model_copy(
        update={
            "road_rules": rules,
            "keep_timetable": (base / rc.keep_timetable).resolve() if rc.keep_timetable else None,
        }
    )
    return scenario.model_copy(update={"inputs": resolved, "network": network, "routing": routing})


def _yaml_error(path: Path, text: str, exc: yaml.YAMLError) -> str:
    """A YAML syntax error in both languages, with its line and column and the likely
    cause (full-width punctuation typed with a Chinese input method)."""
    mark = getattr(exc, "problem_mark", None)
    where_zh = where_en = ""
    line_text = ""
    if mark is not None:
        where_zh = f"第 {mark.line + 1} 行第 {mark.column + 1} 列"
        where_en = f"line {mark.line + 1}, column {mark.column + 1}"
        lines = text.splitlines()
        line_text = "\n".join(lines[max(0, mark.line - 1) : mark.line + 1])  # (and the one before)
    cause_zh = cause_en = ""
    if any(c in line_text for c in "：，（）“”"):
        cause_zh = "该行有全角标点（如「：」），请改为半角「:」。"
        cause_en = "the line holds full-width punctuation (e.g. '：'); type the ASCII ':' instead."
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return (
        f"情景文件 {path} 的 YAML 格式有误（{where_zh}）：{problem}。{cause_zh}"
        f" / scenario file {path} is not valid YAML ({where_en}): {problem}. {cause_en}"
    ).strip()


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Parameters
    ----------
    path
        The scenario file.

    Returns
    -------
    Scenario
        Frozen, with input paths made absolute.

    Raises
    ------
    ConfigError
        If the file is missing, is not YAML, or does not match the schema.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"scenario file {path} does not exist; check the path.")
    text = None
    for encoding in ("utf-8-sig", "gb18030"):  # UTF-8, or GBK as Chinese Windows saves
        try:
            text = path.read_bytes().decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None:
        raise ConfigError(
            f"情景文件 {path} 既不是 UTF-8 也不是 GBK 文本；请另存为 UTF-8。 / scenario file "
            f"{path} is neither UTF-8 nor GBK text; save it as UTF-8."
        )
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_error(path, text, exc)) from None
    return parse_scenario(data, source=path)
