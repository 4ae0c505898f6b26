"""The three-tier siting problem as frozen arrays.

Build it with :meth:`SitingProblem.from_inputs` (tables, with checks that name rows) or
:meth:`SitingProblem.from_matrices` (arrays only, for benchmarks and tests).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.config import TIERS, Scenario
from recyclenet.errors import InputError, InputProblem
from recyclenet.inputs import Inputs
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

    @classmethod
    def from_inputs(
        cls,
        inputs: Inputs,
        demand: pd.DataFrame,
        scenario: Scenario,
        travel: Any | None = None,
    ) -> SitingProblem:
        """Build the problem from validated tables; check what makes it infeasible up front.

        ``travel`` measures distances (a :class:`~recyclenet.network.StraightLine` or a
        road network); residents' access uses its default profile, point -> station the
        collection vehicle's and station -> centre the haul vehicle's.

        Raises
        ------
        InputError
            Naming file, row and value when a tier count exceeds its candidates (or is
            below its existing sites), or a settlement is farther than the access distance
            from every candidate collection point.
        """
        st = inputs.settlements
        cand = inputs.candidates
        cfg = scenario.siting
        counts = {name: getattr(cfg.counts, name) for name in TIERS}
        by_county = cfg.counts_by_county or {}
        if by_county:
            counts["collection_point"] = sum(c.collection_point for c in by_county.values())
            counts["transfer_station"] = sum(c.transfer_station for c in by_county.values())
        travel = travel if travel is not None else StraightLine(scenario.network.detour_factor)
        problems: list[InputProblem] = []
        tiers: dict[str, Tier] = {}
        frames: dict[str, pd.DataFrame] = {}
        # status: existing sites stay open; forbidden ones are not candidates at all.
        status = cand["status"] if "status" in cand else pd.Series("", index=cand.index)
        cand = cand.assign(existing=cand["existing"] | (status == "existing"))
        cand = cand[status != "forbidden"]
        special = cand["categories"].fillna("").astype(str) != "" if "categories" in cand else None
        if special is not None:  # specialised centres: a stage of their own (specialised.py)
            n_special, wanted_special = int(special.sum()), cfg.counts.specialised_centre
            if wanted_special > n_special:
                problems.append(
                    InputProblem(
                        inputs.files["candidates"],
                        f"the scenario asks for {wanted_special} specialised centres "
                        "(siting.counts.specialised_centre) but the table has only "
                        f"{n_special} sorting centres with categories",
                        "lower siting.counts.specialised_centre or fill the categories of "
                        "more sorting-centre candidates",
                        column="categories",
                    )
                )
            cand = cand[~special]
        for name in TIERS:
            rows = cand[cand["tier"] == name]
            frames[name] = rows
            spec = counts[name]
            if spec == "free":
                wanted, most = 1, max(1, len(rows))
            elif isinstance(spec, int):
                wanted, most = spec, None
            else:
                wanted, most = spec.min, spec.max
            if wanted > len(rows):
                problems.append(
                    InputProblem(
                        inputs.files["candidates"],
                        f"the scenario asks for {wanted} {name} sites (siting.counts.{name}) "
                        f"but the table has only {len(rows)} candidates of that tier",
                        f"lower siting.counts.{name} to at most {len(rows)} or add candidates",
                        column="tier",
                        value=name,
                    )
                )
            n_existing = int(rows["existing"].sum())
            if n_existing > (wanted if most is None else most):
                problems.append(
                    InputProblem(
                        inputs.files["candidates"],
                        f"{n_existing} {name} sites are marked existing (they must stay open) "
                        f"but siting.counts.{name} allows {wanted if most is None else most}",
                        f"raise siting.counts.{name} to at least {n_existing} or unmark some",
                        column="existing",
                        value="true",
                    )
                )
            tiers[name] = Tier(
                ids=tuple(rows["site_id"]),
                fixed_cost_cny_per_year=rows["fixed_cost_cny_per_year"].to_numpy(float),
                capacity_t_per_day=rows["capacity_t_per_day"].to_numpy(float),
                existing=rows["existing"].to_numpy(bool),
                count=wanted,
                count_max=None if most is None else min(most, len(rows)),
            )

        pts, sts, cts = (
            frames["collection_point"],
            frames["transfer_station"],
            frames["sorting_centre"],
        )

        def dist(a: pd.DataFrame, b: pd.DataFrame, profile: str | None) -> NDArray[np.float64]:
            return travel.matrix(
                a["lon"],
                a["lat"],
                b["lon"],
                b["lat"],
                profile=profile,
                labels_a=list(a["name"]),
                labels_b=list(b["name"]),
            ).distance_km

        access = dist(st, pts, None)
        rules = cfg.rules
        allowed = None
        if rules.same_township and len(pts):
            town_of = st.set_index("settlement_id")["township_code"]
            point_town = pts["settlement_id"].map(town_of).fillna("").to_numpy()
            allowed = st["township_code"].to_numpy()[:, None] == point_town[None, :]
        coverage_mode = cfg.mode == "max_coverage"
        if len(pts) and not coverage_mode:
            nearest = (
                np.where(allowed, access, np.inf).min(axis=1)
                if allowed is not None
                else access.min(axis=1)
            )
            far = np.flatnonzero(nearest > cfg.max_access_km + 1e-9)
            for i in far:
                j = int(access[i].argmin())
                where = (
                    " in its own township (siting.rules.same_township)"
                    if allowed is not None
                    else ""
                )
                problems.append(
                    InputProblem(
                        inputs.files["settlements"],
                        f"settlement {st['name'].iloc[i]} is {nearest[i]:.1f} km from the nearest "
                        f"candidate collection point{where} (overall nearest: "
                        f"{pts['name'].iloc[j]}); the access limit "
                        f"siting.max_access_km is {cfg.max_access_km:g} km",
                        "check its coordinates, add a candidate collection point near it, or "
                        "raise siting.max_access_km",
                        row=int(i) + 1,
                        column="lon/lat",
                        value=f"{st['lon'].iloc[i]:.6f}, {st['lat'].iloc[i]:.6f}",
                    )
                )
        required = None
        n_hh = rules.point_in_villages_above_households
        if n_hh is not None and len(pts):
            big = st.loc[st["households"] >= n_hh, "settlement_id"]
            required = pts["settlement_id"].isin(set(big)).to_numpy()
            lacking = set(big) - set(pts["settlement_id"])
            for sid in sorted(lacking):
                row = int(np.flatnonzero((st["settlement_id"] == sid).to_numpy())[0])
                problems.append(
                    InputProblem(
                        inputs.files["candidates"],
                        f"settlement {st['name'].iloc[row]} has {st['households'].iloc[row]} "
                        f"households (siting.rules.point_in_villages_above_households is "
                        f"{n_hh}) but no candidate collection point",
                        "add a collection_point candidate with its settlement_id",
                        column="settlement_id",
                        value=sid,
                    )
                )
        station_group = None
        if rules.one_station_per_township and len(sts):
            if "township_code" in sts and (sts["township_code"].astype(str) != "").all():
                codes = sts["township_code"].astype(str).to_numpy()
            else:
                near = dist(sts, st, None).argmin(axis=1)
                codes = st["township_code"].to_numpy()[near]
            _, station_group = np.unique(codes, return_inverse=True)
        point_county = station_county = None
        if by_county:
            names = list(by_county)
            index = {n: g for g, n in enumerate(names)}
            st_county = st["county"].astype(str).to_numpy()
            for i in np.flatnonzero(~np.isin(st_county, names)):
                problems.append(
                    InputProblem(
                        inputs.files["settlements"],
                        "the settlement's county is not in siting.counts_by_county",
                        f"use one of {', '.join(names)} in the county column",
                        row=int(i) + 1,
                        column="county",
                        value=st_county[i],
                    )
                )
            of_settlement = dict(zip(st["settlement_id"], st_county, strict=True))
            p_c = [
                c if c else of_settlement.get(s, "")
                for c, s in zip(pts["county"].astype(str), pts["settlement_id"], strict=True)
            ]
            near = dist(sts, st, None).argmin(axis=1) if len(sts) else np.zeros(0, dtype=int)
            s_c = [
                c if c else st_county[n]
                for c, n in zip(sts["county"].astype(str), near, strict=True)
            ]
            point_county = np.array([index.get(c, -1) for c in p_c], dtype=np.int64)
            station_county = np.array([index.get(c, -1) for c in s_c], dtype=np.int64)
            for g, (name, c) in enumerate(by_county.items()):
                for tier, have, want in (
                    ("collection_point", int((point_county == g).sum()), c.collection_point),
                    ("transfer_station", int((station_county == g).sum()), c.transfer_station),
                ):
                    if want > have:
                        problems.append(
                            InputProblem(
                                inputs.files["candidates"],
                                f"county {name} asks for {want} {tier} sites "
                                f"(siting.counts_by_county) but has {have} candidates",
                                "lower the county's count or add candidates there",
                                column="county",
                                value=name,
                            )
                        )
        if problems:
            raise InputError(problems)
        tc = cfg.transport_cost_cny_per_tkm
        return cls(
            settlement_ids=tuple(st["settlement_id"]),
            demand_t_per_day=demand["demand_kg_per_day"].to_numpy(float) / 1000.0,
            points=tiers["collection_point"]
            if required is None
            else dataclasses.replace(tiers["collection_point"], required=required),
            stations=tiers["transfer_station"],
            centres=tiers["sorting_centre"],
            access_km=access,
            collection_km=dist(pts, sts, scenario.routing.collection_vehicle),
            haul_km=dist(sts, cts, scenario.routing.haul_vehicle),
            max_access_km=cfg.max_access_km,
            cost_cny_per_tkm={"access": tc.access, "collection": tc.collection, "haul": tc.haul},
            settlement_names=tuple(st["name"]),
            budget_cny_per_year=cfg.budget_cny_per_year,
            allowed_access=allowed,
            point_county=point_county,
            station_county=station_county,
            county_counts=tuple(
                (n, c.collection_point, c.transfer_station) for n, c in by_county.items()
            ),
            population=st["population"].to_numpy(float),
            coverage_mode=coverage_mode,
            service_km=cfg.max_service_km
            if cfg.max_service_km is not None
            else 3.0 * cfg.max_access_km,
            station_group=None if station_group is None else station_group.astype(np.int64),
            max_stations_per_group=1 if station_group is not None else None,
        )
