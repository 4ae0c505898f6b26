"""Whole units for the engines, rounded the same way by both.

Engines work in integers: seconds for times, thousandths for loads (grams, litres).
Durations and window openings round up and window closings round down, so an engine's
plan stays feasible in exact arithmetic; a tiny tolerance absorbs float noise.
"""

from __future__ import annotations

from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _whole(x: NDArray[np.float64]) -> int | NDArray[np.int64]:
    return int(x) if np.ndim(x) == 0 else x.astype(np.int64)


@overload
def seconds(minutes: float, *, up: bool = True) -> int: ...
@overload
def seconds(minutes: ArrayLike, *, up: bool = True) -> NDArray[np.int64]: ...
def seconds(minutes: ArrayLike, *, up: bool = True) -> int | NDArray[np.int64]:
    """Whole seconds in ``minutes``: rounded up (``up``) or down."""
    return ticks(minutes, 60, up=up)


@overload
def thousandths(amount: float) -> int: ...
@overload
def thousandths(amount: ArrayLike) -> NDArray[np.int64]: ...
def thousandths(amount: ArrayLike) -> int | NDArray[np.int64]:
    """A load in thousandths (kg -> g, m3 -> L), rounded up."""
    return _whole(np.ceil(np.asarray(amount, dtype=float) * 1000 - 1e-6))


@overload
def ticks(minutes: float, per_min: float, *, up: bool = True) -> int: ...
@overload
def ticks(minutes: ArrayLike, per_min: float, *, up: bool = True) -> NDArray[np.int64]: ...
def ticks(minutes: ArrayLike, per_min: float, *, up: bool = True) -> int | NDArray[np.int64]:
    """Whole engine time units (``per_min`` to a minute) in ``minutes``: rounded up
    (``up``) or down; :func:`seconds` is ``per_min=60``."""
    x = np.asarray(minutes, dtype=float) * per_min
    return _whole(np.ceil(x - 1e-9) if up else np.floor(x + 1e-9))


@overload
def load_units(amount: float, unit: float) -> int: ...
@overload
def load_units(amount: ArrayLike, unit: float) -> NDArray[np.int64]: ...
def load_units(amount: ArrayLike, unit: float) -> int | NDArray[np.int64]:
    """A load in whole units of ``unit`` (kg or m3), rounded up."""
    return _whole(np.ceil(np.asarray(amount, dtype=float) / unit - 1e-6))
