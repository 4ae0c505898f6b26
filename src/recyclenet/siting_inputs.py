"""The siting problem of a scenario: its tables and settings as a
:class:`~recyclenet.siting.SitingProblem`, with checks that name file, row and value.

This is where the configuration meets the siting core, which takes plain arrays
(:mod:`recyclenet.siting.problem`).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from recyclenet.config import TIERS, Scenario
from recyclenet.errors import InputError, InputProblem
from recyclenet.inputs import Inputs
from recyclenet.network import StraightLine
from recyclenet.siting.problem import SitingProblem, Tier


def _tiers(
    file: str, cand: pd.DataFrame, counts: dict[str, Any], problems: list[InputProblem]
) -> tuple[dict[str, Tier], dict[str, pd.DataFrame]]:
    """Each tier's candidates with the count asked for; a count the candidates cannot
    meet (too few, or more existing sites than it allows) is a problem."""
    tiers: dict[str, Tier] = {}
    frames: dict[str, pd.DataFrame] = {}
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
                    file,
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
                    file,
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

    return tiers, frames


def _far_settlements(
    file: str,
    st: pd.DataFrame,
    pts: pd.DataFrame,
    access: NDArray[np.float64],
    allowed: NDArray[np.bool_] | None,
    max_access_km: float,
    problems: list[InputProblem],
) -> None:
    """A problem for every settlement farther than the access limit from every candidate
    point it may use."""
    nearest = (
        np.where(allowed, access, np.inf).min(axis=1) if allowed is not None else access.min(axis=1)
    )
    far = np.flatnonzero(nearest > max_access_km + 1e-9)
    for i in far:
        j = int(access[i].argmin())
        where = " in its own township (siting.rules.same_township)" if allowed is not None else ""
        problems.append(
            InputProblem(
                file,
                f"settlement {st['name'].iloc[i]} is {nearest[i]:.1f} km from the nearest "
                f"candidate collection point{where} (overall nearest: "
                f"{pts['name'].iloc[j]}); the access limit "
                f"siting.max_access_km is {max_access_km:g} km",
                "check its coordinates, add a candidate collection point near it, or "
                "raise siting.max_access_km",
                row=int(i) + 1,
                column="lon/lat",
                value=f"{st['lon'].iloc[i]:.6f}, {st['lat'].iloc[i]:.6f}",
            )
        )


def _counties(
    inputs: Inputs,
    st: pd.DataFrame,
    pts: pd.DataFrame,
    sts: pd.DataFrame,
    by_county: dict[str, Any],
    same_county: bool,
    allowed: NDArray[np.bool_] | None,
    dist: Any,
    problems: list[InputProblem],
) -> tuple[
    NDArray[np.int64] | None,
    NDArray[np.int64] | None,
    NDArray[np.int64] | None,
    NDArray[np.bool_] | None,
]:
    """Each point's, station's and settlement's county (a point's from its settlement,
    a station's from its nearest settlement where the table leaves it empty), with the
    access pairs ``same_county`` allows; counts a county cannot meet are problems."""
    if not by_county:
        return None, None, None, allowed
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
    s_c = [c if c else st_county[n] for c, n in zip(sts["county"].astype(str), near, strict=True)]
    point_county = np.array([index.get(c, -1) for c in p_c], dtype=np.int64)
    station_county = np.array([index.get(c, -1) for c in s_c], dtype=np.int64)
    settlement_county = np.array([index.get(c, -1) for c in st_county], dtype=np.int64)
    if same_county:  # residents use their own county's points
        same = settlement_county[:, None] == point_county[None, :]
        allowed = same if allowed is None else allowed & same
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
    return point_county, station_county, settlement_county, allowed


def _required_points(
    file: str, st: pd.DataFrame, pts: pd.DataFrame, n_hh: int | None, problems: list[InputProblem]
) -> NDArray[np.bool_] | None:
    """The candidate points that must open (a point in every settlement of at least
    ``n_hh`` households); such a settlement without a candidate is a problem."""
    required = None
    if n_hh is not None and len(pts):
        big = st.loc[st["households"] >= n_hh, "settlement_id"]
        required = pts["settlement_id"].isin(set(big)).to_numpy()
        lacking = set(big) - set(pts["settlement_id"])
        for sid in sorted(lacking):
            row = int(np.flatnonzero((st["settlement_id"] == sid).to_numpy())[0])
            problems.append(
                InputProblem(
                    file,
                    f"settlement {st['name'].iloc[row]} has {st['households'].iloc[row]} "
                    f"households (siting.rules.point_in_villages_above_households is "
                    f"{n_hh}) but no candidate collection point",
                    "add a collection_point candidate with its settlement_id",
                    column="settlement_id",
                    value=sid,
                )
            )
    return required


def _station_townships(st: pd.DataFrame, sts: pd.DataFrame, dist: Any) -> NDArray[np.int64]:
    """Each candidate station's township (its ``township_code``, else that of its
    nearest settlement), as group indices."""
    if "township_code" in sts and (sts["township_code"].astype(str) != "").all():
        codes = sts["township_code"].astype(str).to_numpy()
    else:
        codes = st["township_code"].to_numpy()[dist(sts, st, None).argmin(axis=1)]
    return np.unique(codes, return_inverse=True)[1].astype(np.int64)


def _without_specialised(
    file: str, cand: pd.DataFrame, wanted: int, problems: list[InputProblem]
) -> pd.DataFrame:
    """The candidates less the specialised centres (a stage of their own,
    :mod:`recyclenet.centres`); more of them asked for than listed is a problem."""
    if "categories" not in cand:
        return cand
    special = cand["categories"].fillna("").astype(str) != ""
    if wanted > int(special.sum()):
        problems.append(
            InputProblem(
                file,
                f"the scenario asks for {wanted} specialised centres "
                "(siting.counts.specialised_centre) but the table has only "
                f"{int(special.sum())} sorting centres with categories",
                "lower siting.counts.specialised_centre or fill the categories of "
                "more sorting-centre candidates",
                column="categories",
            )
        )
    return cand[~special]


def siting_problem(
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
    # status: existing sites stay open; forbidden ones are not candidates at all.
    status = cand["status"] if "status" in cand else pd.Series("", index=cand.index)
    cand = cand.assign(existing=cand["existing"] | (status == "existing"))
    cand = cand[status != "forbidden"]
    cand = _without_specialised(
        inputs.files["candidates"], cand, cfg.counts.specialised_centre, problems
    )
    tiers, frames = _tiers(inputs.files["candidates"], cand, counts, problems)

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
        _far_settlements(
            inputs.files["settlements"], st, pts, access, allowed, cfg.max_access_km, problems
        )
    required = _required_points(
        inputs.files["candidates"], st, pts, rules.point_in_villages_above_households, problems
    )
    station_group = (
        _station_townships(st, sts, dist) if rules.one_station_per_township and len(sts) else None
    )
    point_county, station_county, settlement_county, allowed = _counties(
        inputs, st, pts, sts, by_county, cfg.rules.same_county, allowed, dist, problems
    )
    if problems:
        raise InputError(problems)
    tc = cfg.transport_cost_cny_per_tkm
    return SitingProblem(
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
        settlement_county=settlement_county,
        same_county=bool(by_county) and cfg.rules.same_county,
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
