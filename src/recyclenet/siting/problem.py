"""The three-tier siting problem as frozen arrays.

Build it with :func:`recyclenet.siting_inputs.siting_problem` (a scenario's tables, with
checks that name rows), :meth:`SitingProblem.from_geodataframes` (frames in memory) or
:meth:`SitingProblem.from_matrices` (arrays only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
from numpy.typing import NDArray

from recyclenet.clock import TIERS
from recyclenet.network import StraightLine

DAYS_PER_YEAR = 365.0
COVERAGE_NEAREST = 10  # points a settlement beyond the access distance may use


@dataclass(frozen=True)
class Tier:
    """Candidate sites of one tier.

    Attributes
    ----------
    ids
        External site ids.
    fixed_cost_cny_per_year
        Annualised fixed cost of opening each site.
    capacity_t_per_day
        Throughput limit of each site.
    existing
        Sites that must stay open.
    count
        Number of sites to open (the minimum when ``count_max`` is set).
    count_max
        Largest number of sites to open; ``None``: exactly ``count``.
    required
        New sites that must open (a rule such as a point in every large village); unlike
        existing sites their fixed cost counts against the budget.
    """

    ids: tuple[str, ...]
    fixed_cost_cny_per_year: NDArray[np.float64]
    capacity_t_per_day: NDArray[np.float64]
    existing: NDArray[np.bool_]
    count: int
    count_max: int | None = None
    required: NDArray[np.bool_] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def must_open(self) -> NDArray[np.bool_]:
        """Existing or required sites."""
        return self.existing if self.required is None else self.existing | self.required

    @property
    def max_count(self) -> int:
        """Largest number of sites that may open."""
        return self.count if self.count_max is None else self.count_max

    def new_fixed_cost(self, opened: NDArray[np.int64]) -> float:
        """Fixed cost of the opened sites that are not existing ones."""
        idx = np.asarray(opened, dtype=int)
        return float(self.fixed_cost_cny_per_year[idx][~self.existing[idx]].sum())


@dataclass(frozen=True)
class SitingProblem:
    """Data of the three-tier siting model (see :mod:`recyclenet.siting._ortools`).

    Attributes
    ----------
    settlement_ids
        External settlement ids (rows of ``access_km``).
    demand_t_per_day
        Recyclables each settlement hands over.
    points, stations, centres
        Candidate collection points, transfer stations and sorting centres.
    access_km
        ``(n_settlements, n_points)`` road-estimated distance.
    collection_km
        ``(n_points, n_stations)``.
    haul_km
        ``(n_stations, n_centres)``.
    max_access_km
        A settlement may only be assigned to a point within this distance.
    cost_cny_per_tkm
        Transport cost per tonne-km for ``access``, ``collection`` and ``haul`` flows.
    settlement_names
        Names used in messages (optional).
    budget_cny_per_year
        Limit on the fixed cost of new (not existing) sites of all tiers; ``None``: none.
    allowed_access
        ``(n_settlements, n_points)`` pairs a rule allows (e.g. same township); ``None``: all.
    population
        Residents of each settlement (weights of the coverage mode).
    coverage_mode
        Maximise the population within ``max_access_km`` first: settlements may then use
        points up to ``service_km`` away, and the network must cover at least
        ``min_covered_population`` (set by :func:`recyclenet.siting.solve`).
    service_km
        Farthest point a settlement may use in the coverage mode.
    station_group
        Group (township) of every candidate station, -1 for none; with
        ``max_stations_per_group`` at most that many stations open per group.
    point_county, station_county, county_counts
        Several counties sharing the sorting centre: the county index of every candidate
        point and station, and per county ``(name, points, stations)`` to open.
    settlement_county, same_county
        The county index of every settlement; with ``same_county`` each county's network
        is its own (its settlements use its points, its points send to its stations) and
        only the sorting centres are shared: solved county by county
        (:mod:`recyclenet.siting.counties`).
    single_sourcing
        Each settlement hands all its material to one point (the default). ``False``
        lets a settlement's demand split over several points, as in the published
        optima of the capacitated facility location benchmarks; a result then reports
        each settlement's largest share in ``point_of_settlement``.
    """

    settlement_ids: tuple[str, ...]
    demand_t_per_day: NDArray[np.float64]
    points: Tier
    stations: Tier
    centres: Tier
    access_km: NDArray[np.float64]
    collection_km: NDArray[np.float64]
    haul_km: NDArray[np.float64]
    max_access_km: float
    cost_cny_per_tkm: dict[str, float] = field(default_factory=dict)
    settlement_names: tuple[str, ...] = ()
    budget_cny_per_year: float | None = None
    allowed_access: NDArray[np.bool_] | None = None
    population: NDArray[np.float64] | None = None
    coverage_mode: bool = False
    service_km: float = np.inf
    min_covered_population: float | None = None
    coverage_start: NDArray[np.bool_] | None = None
    station_group: NDArray[np.int64] | None = None
    point_county: NDArray[np.int64] | None = None
    station_county: NDArray[np.int64] | None = None
    county_counts: tuple[tuple[str, int, int], ...] = ()
    settlement_county: NDArray[np.int64] | None = None
    same_county: bool = False
    max_stations_per_group: int | None = None
    single_sourcing: bool = True

    def __post_init__(self) -> None:
        n, p, s, c = (
            len(self.settlement_ids),
            len(self.points),
            len(self.stations),
            len(self.centres),
        )
        for name, arr, shape in (
            ("demand_t_per_day", self.demand_t_per_day, (n,)),
            ("access_km", self.access_km, (n, p)),
            ("collection_km", self.collection_km, (p, s)),
            ("haul_km", self.haul_km, (s, c)),
        ):
            if np.shape(arr) != shape:
                raise ValueError(f"{name} has shape {np.shape(arr)}, expected {shape}")
        if np.any(self.demand_t_per_day < 0):
            raise ValueError("demand_t_per_day must be non-negative")
        for key in ("access", "collection", "haul"):
            self.cost_cny_per_tkm.setdefault(key, 0.0)

    def names(self) -> tuple[str, ...]:
        """Settlement names for messages (ids when no names were given)."""
        return self.settlement_names or self.settlement_ids

    @property
    def num_settlements(self) -> int:
        """Number of settlements."""
        return len(self.settlement_ids)

    def tier(self, name: str) -> Tier:
        """The candidates of a tier by name (``collection_point`` ...)."""
        return {
            "collection_point": self.points,
            "transfer_station": self.stations,
            "sorting_centre": self.centres,
        }[name]

    def covered(self) -> NDArray[np.bool_]:
        """``(n_settlements, n_points)``: pairs within the access distance (and rules)."""
        within = self.access_km <= self.max_access_km + 1e-9
        return within if self.allowed_access is None else within & self.allowed_access

    def reach(self) -> NDArray[np.bool_]:
        """``(n_settlements, n_points)``: which points each settlement may use.

        The covered pairs; in the coverage mode also every allowed point up to
        ``service_km``, each settlement's ``COVERAGE_NEAREST`` nearest allowed points, and
        its nearest point of the maximum-coverage placement (so that placement is always
        a feasible start). This bounds the model's size; it is a restriction: a settlement
        left out is never sent to a point outside these.
        """
        if not self.coverage_mode:
            return self.covered()
        allowed = (
            np.ones_like(self.access_km, dtype=bool)
            if self.allowed_access is None
            else self.allowed_access
        )
        usable = np.where(allowed, self.access_km, np.inf)
        out = (usable <= self.service_km + 1e-9) | self.covered()
        rows = np.arange(len(out))[:, None]
        k = min(COVERAGE_NEAREST, usable.shape[1])
        nearest = np.argpartition(usable, k - 1, axis=1)[:, :k]
        out[rows, nearest] |= np.isfinite(usable[rows, nearest])
        if self.coverage_start is not None and self.coverage_start.any():
            start = np.where(self.coverage_start[None, :], usable, np.inf)
            ok = np.isfinite(start.min(axis=1))
            out[np.flatnonzero(ok), start.argmin(axis=1)[ok]] = True
        return out

    def onward(
        self, stations: list[int] | NDArray[np.int64], centres: list[int] | NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
        """Without station and centre capacities, where each candidate point's material
        goes with these sites open: ``(unit, station_of_point, centre_of_station)``, the
        cost per tonne from every point through its cheapest open station and that
        station's nearest open centre, that station, and each open station's centre
        (-1 for the others)."""
        ks, ms = np.asarray(stations, dtype=np.int64), np.asarray(centres, dtype=np.int64)
        c = self.cost_cny_per_tkm
        centre_of = np.full(len(self.stations), -1, dtype=np.int64)
        centre_of[ks] = ms[np.argmin(self.haul_km[np.ix_(ks, ms)], axis=1)]
        cost = (
            c["collection"] * self.collection_km[:, ks]
            + c["haul"] * self.haul_km[ks, centre_of[ks]][None, :]
        )
        return cost.min(axis=1), ks[cost.argmin(axis=1)], centre_of

    def points_never_full(self) -> bool:
        """Whether every candidate point can take all the demand that may reach it."""
        reachable = self.demand_t_per_day @ self.reach()
        return bool(np.all(reachable <= self.points.capacity_t_per_day + 1e-9))

    def station_sets_ok(self, stations: NDArray[np.int64] | tuple[int, ...]) -> bool:
        """Whether a set of stations respects the township limit and the county counts."""
        if self.county_counts and self.station_county is not None:
            per = np.bincount(
                self.station_county[np.asarray(stations, dtype=int)],
                minlength=len(self.county_counts),
            )
            if any(per[g] != n_s for g, (_, _, n_s) in enumerate(self.county_counts)):
                return False
        if self.max_stations_per_group is None or self.station_group is None:
            return True
        groups = self.station_group[np.asarray(stations, dtype=int)]
        groups = groups[groups >= 0]
        return (
            bool(np.all(np.bincount(groups) <= self.max_stations_per_group))
            if len(groups)
            else True
        )

    @classmethod
    def from_geodataframes(
        cls,
        settlements: gpd.GeoDataFrame,
        candidates: gpd.GeoDataFrame,
        *,
        counts: Mapping[str, int | tuple[int, int]],
        max_access_km: float,
        cost_cny_per_tkm: Mapping[str, float] | None = None,
        detour_factor: float = 1.3,
        budget_cny_per_year: float | None = None,
    ) -> SitingProblem:
        """Build a problem from frames in memory, their ids kept.

        Parameters
        ----------
        settlements
            Point geometries with ``settlement_id`` and ``demand_t_per_day`` (optional
            ``name``, ``population``).
        candidates
            Point geometries with ``site_id``, ``tier`` (``collection_point``,
            ``transfer_station``, ``sorting_centre``), ``fixed_cost_cny_per_year``,
            ``capacity_t_per_day`` and optionally ``existing``.
        counts
            Sites to open per tier: a number or a ``(min, max)`` pair.
        max_access_km
            A settlement is served by a point at most this far.
        cost_cny_per_tkm
            ``access``, ``collection`` and ``haul`` transport costs (default 0).
        detour_factor
            Road distance over the straight line (distances are great-circle distances
            times this factor; both frames are read in WGS-84, reprojected if needed).
        budget_cny_per_year
            Limit on the fixed cost of new sites.

        Examples
        --------
        >>> import geopandas as gpd
        >>> from recyclenet import SitingProblem, solve_siting
        >>> villages = gpd.GeoDataFrame(
        ...     {"settlement_id": ["v1", "v2", "v3"], "demand_t_per_day": [1.0, 2.0, 1.5]},
        ...     geometry=gpd.points_from_xy([104.60, 104.62, 104.70], [28.75, 28.76, 28.80]),
        ...     crs="EPSG:4326",
        ... )
        >>> sites = gpd.GeoDataFrame(
        ...     {
        ...         "site_id": ["p1", "p2", "s1", "c1"],
        ...         "tier": ["collection_point", "collection_point", "transfer_station",
        ...                  "sorting_centre"],
        ...         "fixed_cost_cny_per_year": [6000, 6000, 40000, 600000],
        ...         "capacity_t_per_day": [20, 20, 50, 150],
        ...     },
        ...     geometry=gpd.points_from_xy(
        ...         [104.61, 104.69, 104.65, 104.66], [28.75, 28.80, 28.77, 28.78]
        ...     ),
        ...     crs="EPSG:4326",
        ... )
        >>> problem = SitingProblem.from_geodataframes(
        ...     villages, sites,
        ...     counts={"collection_point": 2, "transfer_station": 1, "sorting_centre": 1},
        ...     max_access_km=5.0,
        ... )
        >>> result = solve_siting(problem)
        >>> result.status, sorted(result.facilities()["site_id"])
        ('optimal', ['c1', 'p1', 'p2', 's1'])
        """
        st = _wgs84(settlements)
        cand = _wgs84(candidates)
        travel = StraightLine(detour_factor)
        tiers: dict[str, Tier] = {}
        frames: dict[str, gpd.GeoDataFrame] = {}
        for name in TIERS:
            rows = cand[cand["tier"] == name]
            spec = counts[name]
            low, high = (spec, None) if isinstance(spec, int) else (spec[0], spec[1])
            existing = (
                rows["existing"].astype(bool).to_numpy()
                if "existing" in rows
                else np.zeros(len(rows), bool)
            )
            tiers[name] = Tier(
                ids=tuple(rows["site_id"].astype(str)),
                fixed_cost_cny_per_year=rows["fixed_cost_cny_per_year"].to_numpy(float),
                capacity_t_per_day=rows["capacity_t_per_day"].to_numpy(float),
                existing=existing,
                count=int(low),
                count_max=None if high is None else int(high),
            )
            frames[name] = rows

        def km(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> NDArray[np.float64]:
            return travel.matrix(a.geometry.x, a.geometry.y, b.geometry.x, b.geometry.y).distance_km

        pts, sts, cts = (frames[t] for t in TIERS)
        return cls(
            settlement_ids=tuple(st["settlement_id"].astype(str)),
            demand_t_per_day=st["demand_t_per_day"].to_numpy(float),
            points=tiers["collection_point"],
            stations=tiers["transfer_station"],
            centres=tiers["sorting_centre"],
            access_km=km(st, pts),
            collection_km=km(pts, sts),
            haul_km=km(sts, cts),
            max_access_km=float(max_access_km),
            cost_cny_per_tkm=dict(cost_cny_per_tkm or {}),
            settlement_names=tuple(st["name"].astype(str)) if "name" in st else (),
            budget_cny_per_year=budget_cny_per_year,
            population=st["population"].to_numpy(float) if "population" in st else None,
        )

    @classmethod
    def from_matrices(
        cls,
        *,
        demand_t_per_day: NDArray[np.float64],
        access_km: NDArray[np.float64],
        collection_km: NDArray[np.float64],
        haul_km: NDArray[np.float64],
        fixed_cost_cny_per_year: tuple[
            NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]
        ],
        capacity_t_per_day: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
        counts: tuple[int | tuple[int, int], ...],
        max_access_km: float = np.inf,
        cost_cny_per_tkm: dict[str, float] | None = None,
        existing: tuple[NDArray[np.bool_], ...] | None = None,
        budget_cny_per_year: float | None = None,
        single_sourcing: bool = True,
    ) -> SitingProblem:
        """Build a problem from arrays alone; ids are ``"0"``, ``"1"``, ...

        Tuples are ordered (points, stations, centres); a count may be a ``(min, max)``
        pair.
        """
        sizes = (access_km.shape[1], collection_km.shape[1], haul_km.shape[1])
        tiers = []
        for t in range(3):
            ex = np.zeros(sizes[t], bool) if existing is None else np.asarray(existing[t], bool)
            count = counts[t]
            low, high = count if isinstance(count, tuple) else (count, None)
            tiers.append(
                Tier(
                    ids=tuple(str(i) for i in range(sizes[t])),
                    fixed_cost_cny_per_year=np.asarray(fixed_cost_cny_per_year[t], float),
                    capacity_t_per_day=np.asarray(capacity_t_per_day[t], float),
                    existing=ex,
                    count=int(low),
                    count_max=None if high is None else int(high),
                )
            )
        return cls(
            settlement_ids=tuple(str(i) for i in range(access_km.shape[0])),
            demand_t_per_day=np.asarray(demand_t_per_day, float),
            points=tiers[0],
            stations=tiers[1],
            centres=tiers[2],
            access_km=np.asarray(access_km, float),
            collection_km=np.asarray(collection_km, float),
            haul_km=np.asarray(haul_km, float),
            max_access_km=float(max_access_km),
            cost_cny_per_tkm=dict(cost_cny_per_tkm or {}),
            budget_cny_per_year=budget_cny_per_year,
            single_sourcing=single_sourcing,
        )


def _wgs84(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame in WGS-84 (as it is without a CRS)."""
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        return frame.to_crs("EPSG:4326")
    return frame
