"""``recyclenet sweep``: many scenarios, on a local process pool or a Dask cluster.

A manifest (YAML) lists scenario files and/or a base scenario with a grid of overrides::

    scenarios: [cuiping-2027.yaml, cuiping-2027-5stations.yaml]   # relative to the manifest
    base: cuiping-2027.yaml
    grid:
      siting.max_access_km: [4, 5]
      siting.counts.transfer_station: [4, 5]

Every run writes its own complete output set into ``OUT/<name>`` (a grid run's name is
the base's with its overrides, ``cuiping-2027_max_access_km-4_transfer_station-5``). A
sweep started again skips the runs whose output set is complete; a run that fails is
reported with its error and the others go on. Runs go to ``workers`` local processes,
each with its solvers on one thread, or, with a scheduler address, to a Dask distributed
cluster (``pip install recyclenet[cluster]``). At the end ``OUT/comparison.html`` and
``OUT/comparison.xlsx`` compare every complete run.
"""

from __future__ import annotations

import copy
import itertools
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

from recyclenet.errors import ConfigError, RecycleNetError

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Set to 1 in every worker, so that the workers do not fight over the cores."""


class Manifest(BaseModel):
    """A sweep's runs: scenario files, and/or a base scenario with a grid of overrides
    (dotted keys of the scenario, each with its values; every combination is a run)."""

    model_config = ConfigDict(extra="forbid")

    scenarios: list[Path] = Field(default_factory=list)
    base: Path | None = None
    grid: dict[str, list[Any]] = Field(default_factory=dict)


@dataclass(frozen=True)
class SweepRun:
    """One run: its name, the scenario as data, and the file its paths are relative to."""

    name: str
    data: dict[str, Any]
    source: Path


@dataclass(frozen=True)
class RunOutcome:
    """What became of a run: ``status`` ``done``, ``skipped`` (its output set was
    complete) or ``failed`` (with ``error``), and its wall time."""

    name: str
    status: str
    seconds: float
    error: str = ""


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(f"file {path} does not exist; check the path in the manifest.")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"file {path} is not valid YAML: {exc}") from None


def _set(data: dict[str, Any], key: str, value: Any) -> None:
    node = data
    *path, last = key.split(".")
    for part in path:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"grid key {key}: {part} is not a section of the scenario")
    node[last] = value


def _slug(value: Any) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(value)).strip("-") or "x"


def load_manifest(path: str | Path) -> list[SweepRun]:
    """The runs of a manifest (see the module docstring), in its order, names unique."""
    path = Path(path)
    raw = _read_yaml(path)
    try:
        manifest = Manifest.model_validate(raw or {})
    except Exception as exc:
        raise ConfigError(f"manifest {path}: {exc}") from None
    here = path.parent
    runs: list[SweepRun] = []
    for scenario in manifest.scenarios:
        file = (here / scenario).resolve()
        data = _read_yaml(file)
        runs.append(SweepRun(str(data.get("name", file.stem)), data, file))
    if manifest.grid and manifest.base is None:
        raise ConfigError(f"manifest {path}: a grid needs a base scenario (base: file.yaml)")
    if manifest.base is not None:
        file = (here / manifest.base).resolve()
        base = _read_yaml(file)
        keys = list(manifest.grid)
        for values in itertools.product(*(manifest.grid[k] for k in keys)) if keys else [()]:
            data = copy.deepcopy(base)
            parts = [str(base.get("name", file.stem))]
            for key, value in zip(keys, values, strict=True):
                _set(data, key, value)
                parts.append(f"{key.rsplit('.', 1)[-1]}-{_slug(value)}")
            data["name"] = "_".join(parts)
            runs.append(SweepRun(data["name"], data, file))
    names = [r.name for r in runs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"manifest {path}: runs named twice: {', '.join(twice)}")
    if not runs:
        raise ConfigError(f"manifest {path} lists no scenario (scenarios: or base:)")
    return runs


def _cap_threads() -> None:
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"


def run_one(run: SweepRun, out: str, offline: bool = False, single: bool = False) -> RunOutcome:
    """Run one scenario into ``out/<name>`` unless its output set is already complete;
    ``single``: route its station-days in this process only (runs side by side would
    otherwise start more processes than there are cores, and a search the wall-clock
    safety cap cuts short gives another plan)."""
    _cap_threads()
    began = time.perf_counter()
    target = Path(out) / run.name
    if (target / "kpis.json").is_file():
        return RunOutcome(run.name, "skipped", 0.0)
    try:
        from recyclenet.config import parse_scenario
        from recyclenet.outputs.writer import write_outputs
        from recyclenet.pipeline import run_scenario

        data = copy.deepcopy(run.data)
        if single:
            data.setdefault("solver", {})["workers"] = 1
        scenario = parse_scenario(data, source=run.source)
        write_outputs(run_scenario(scenario), target, offline=offline)
    except Exception as exc:  # (a failing run is reported, the others go on)
        message = str(exc) if isinstance(exc, RecycleNetError) else f"{type(exc).__name__}: {exc}"
        return RunOutcome(run.name, "failed", time.perf_counter() - began, message)
    return RunOutcome(run.name, "done", time.perf_counter() - began)


def _local(runs: list[SweepRun], out: Path, workers: int, offline: bool) -> Iterator[RunOutcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    context = multiprocessing.get_context("spawn")  # (fresh workers: threads capped first)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_cap_threads) as pool:
        futures = [pool.submit(run_one, r, str(out), offline, True) for r in runs]
        for future in as_completed(futures):
            yield future.result()


def _dask(runs: list[SweepRun], out: Path, scheduler: str, offline: bool) -> Iterator[RunOutcome]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise RecycleNetError(
            "--scheduler needs Dask distributed: pip install 'recyclenet[cluster]' "
            "(需要安装 Dask：pip install 'recyclenet[cluster]')"
        ) from None
    try:
        client = Client(scheduler, timeout="20s")
    except OSError as exc:
        raise RecycleNetError(f"no Dask scheduler answers at {scheduler} ({exc})") from None
    with client:
        futures = client.map(run_one, runs, out=str(out), offline=offline, single=True, pure=False)
        for future in as_completed(futures):
            yield future.result()


def run_sweep(
    runs: list[SweepRun],
    out: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    offline: bool = False,
    lang: str = "zh",
    progress: Callable[[RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Run every run (see the module docstring) and compare the complete ones; the
    outcomes in the manifest's order."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if scheduler:
        stream = _dask(runs, out, scheduler, offline)
    elif workers <= 1:
        stream = (run_one(r, str(out), offline) for r in runs)
    else:
        stream = _local(runs, out, workers, offline)
    done: dict[str, RunOutcome] = {}
    for outcome in stream:
        done[outcome.name] = outcome
        if progress is not None:
            progress(outcome)
    outcomes = [done[r.name] for r in runs]
    complete = [out / o.name for o in outcomes if o.status != "failed"]
    if len(complete) >= 2:
        _comparison(complete, out, lang)
    return outcomes


def _comparison(folders: list[Path], out: Path, lang: str) -> None:
    """``comparison.html`` and ``.xlsx`` of the runs, moved into ``out`` when complete."""
    from recyclenet.outputs.compare import compare_runs

    staging = out / ".comparison"
    shutil.rmtree(staging, ignore_errors=True)
    for path in compare_runs(folders, staging, lang=lang):
        os.replace(path, out / path.name)
    shutil.rmtree(staging, ignore_errors=True)
