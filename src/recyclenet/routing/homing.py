"""Arcs home through an unload site, for trucks kept where they cannot unload.

A truck whose depot is not an unload site (a truck kept at the sorting centre's yard, a
benchmark's depot where nobody unloads) must end its day empty. Both engines model this
the same way: its arcs into the depot run through an unload site, so a route opens with
one stop and no unload visit has to be inserted with it.
"""

from __future__ import annotations

import numpy as np

from recyclenet.routing.problem import DayProblem
from recyclenet.routing.scaling import ticks


def route_home_via_unload(
    p: DayProblem,
    group: int,
    rows: np.ndarray,
    direct: np.ndarray,
    cost: np.ndarray,
    travel_s: np.ndarray,
    per_min: float = 60.0,
) -> tuple[np.ndarray | None, tuple[int, int] | None]:
    """Make every arc into a kept-away depot run through an unload site (in place).

    For a truck of ``group`` whose depot is not an unload site, the arc from row ``i``
    into the depot becomes ``i -> k -> depot`` with unloading at ``k``: among the unload
    sites open all shift, the one cheapest in cost plus time (the engine's own
    units). Where every unload site has opening hours, ``k`` is the one open latest, and
    the arrival home is bounded so that the unload falls in its hours (the truck may wait
    at ``k`` for it to open): ``open + unload + drive home`` to ``close + unload + drive
    home``. Rows in ``direct`` (unload visits: the truck is already empty) and the depot
    itself keep their direct arc.

    Parameters
    ----------
    p
        The day.
    group
        The truck group.
    rows
        Problem node of each matrix row (a site's first row is the site itself).
    direct
        Per row, whether its arc into the depot stays direct.
    cost, travel_s
        The engine's arc costs and travel times over the rows, changed in place.
    per_min
        The engine's time units in a minute (60: seconds).

    Returns
    -------
    tuple
        The unload site per row (-1: a direct arc; ``None``: nothing changed, the depot
        is an unload site) and the window of the arrival home in time units after the shift
        start (``None``: none).
    """
    depot = p.groups()[group].depot
    if depot in p.unload_at:
        return None, None
    rows = np.asarray(rows)

    def row_of(site: int) -> int:
        return int(np.flatnonzero(rows == p.site_node(site))[0])

    home = row_of(depot)
    candidates = [k for k in p.unload_at if p.open_all_shift(k)]
    window = None
    if not candidates:
        last = max(p.unload_at, key=lambda k: (p.site_hours(k)[1], -k))
        candidates = [last]
        open_min, close_min = p.site_hours(last)
        back_s = int(ticks(p.unload_min_at(last), per_min)) + int(travel_s[row_of(last), home])
        window = (
            int(ticks(open_min - p.shift_start_min, per_min)) + back_s,
            int(ticks(close_min - p.shift_start_min, per_min, up=False)) + back_s,
        )
    via_cost = np.empty((len(rows), len(candidates)), dtype=np.int64)
    via_time = np.empty_like(via_cost)
    for col, site in enumerate(candidates):
        k = row_of(site)
        via_cost[:, col] = cost[:, k] + cost[k, home]
        via_time[:, col] = (
            travel_s[:, k] + int(ticks(p.unload_min_at(site), per_min)) + travel_s[k, home]
        )
    best = np.argmin(via_cost + via_time, axis=1)
    pick = np.arange(len(rows))
    through = ~np.asarray(direct, dtype=bool)
    through[home] = False
    cost[through, home] = via_cost[pick, best][through]
    travel_s[through, home] = via_time[pick, best][through]
    return np.where(through, np.asarray(candidates)[best], -1), window
