"""The ``recyclenet`` command: a thin shell over :mod:`recyclenet.pipeline` and the writers."""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from recyclenet.config import EFFORTS, Scenario, load_scenario
from recyclenet.errors import InputError, RecycleNetError, RecycleNetWarning
from recyclenet.io import check_output_folder
from recyclenet.outputs.i18n import solver_work_note

if TYPE_CHECKING:
    from recyclenet.bookings import BookingTable
    from recyclenet.dispatch import Dispatch
    from recyclenet.pipeline import ScenarioResult

DEFAULT_SCENARIO = Path("scenarios") / "cuiping-2027.yaml"

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="RecycleNet: plan three-tier recycling networks and truck-as-depot collection. "
    "规划三级再生资源回收网络与“以车代库”收运路线。",
)
LangOption = Annotated[str | None, typer.Option("--lang", help="zh or en (default: scenario's)")]
OfflineOption = Annotated[
    bool, typer.Option("--offline", help="HTML that works without internet (intranets)")
]
QuietOption = Annotated[bool, typer.Option("--quiet", help="no progress display")]
err = Console(stderr=True)
out = Console()

STEP_LABELS = {
    "inputs": "读取与校验输入 / reading inputs",
    "network": "路网与距离矩阵 / road network and matrices",
    "siting": "三级选址 / siting three tiers",
    "routing": "每周收运路线 / weekly routes",
    "writing": "写出结果 / writing outputs",
    "dispatch": "当日调度路线 / the day's routes",
}


@contextmanager
def _progress_bar(quiet: bool) -> Iterator[Callable[[str, float, float], None]]:
    """A progress display on stderr (none when ``quiet``); yields ``progress(step, done,
    total)``, which also completes the steps before ``step``."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(step: str, done: float, total: float) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(STEP_LABELS.get(step, step), total=max(total, 1))
            bar.update(tasks[step], completed=done, total=max(total, 1))
            for other, task_id in tasks.items():
                if other != step:
                    bar.update(task_id, completed=bar.tasks[task_id].total)

        yield progress


def default_scenario() -> Path:
    """The embedded Cuiping scenario: ./scenarios/ first, then the source checkout's."""
    here = DEFAULT_SCENARIO
    if here.is_file():
        return here
    checkout = Path(__file__).resolve().parents[2] / DEFAULT_SCENARIO
    if checkout.is_file():
        return checkout
    raise RecycleNetError(
        f"the default scenario {DEFAULT_SCENARIO} was not found in {Path.cwd()}; run from the "
        "RecycleNet checkout or name a scenario file: recyclenet run path/to/scenario.yaml"
    )


def _fail(error: Exception, lang: str | None = None) -> NoReturn:
    """Print the error in ``lang`` (Chinese unless ``--lang en``) and exit with 2."""
    if isinstance(error, InputError):
        head = "错误" if lang != "en" else "error"
        text = error.render("en" if lang == "en" else "zh")
    else:
        head, text = "错误 / error", str(error)
    err.print(f"[bold red]{head}:[/] {escape(text)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _language(path: Path | None) -> str | None:
    """The scenario's ``language`` where the file reads, for its error messages."""
    try:
        return _load(path).language
    except RecycleNetError:
        return None


def _load(path: Path | None) -> Scenario:
    return load_scenario(path if path is not None else default_scenario())


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="folder for the new county's scenario")],
    name: Annotated[
        str | None,
        typer.Option("--name", help="scenario id: letters, digits, _ . - (default: the folder's)"),
    ] = None,
    title: Annotated[
        str | None, typer.Option("--title", help="title on the outputs, e.g. 通川区回收网络 2027")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en: comments and headers")] = "zh",
    osm_place: Annotated[
        str | None,
        typer.Option("--osm-place", help="fill the settlements from OSM places, e.g. 达州市通川区"),
    ] = None,
    osm_bbox: Annotated[
        tuple[float, float, float, float] | None,
        typer.Option("--osm-bbox", help="the same for a box: west south east north (degrees)"),
    ] = None,
    osm_xml: Annotated[
        Path | None, typer.Option("--osm-xml", help="the same from an OSM XML extract on disk")
    ] = None,
    population: Annotated[
        int | None,
        typer.Option("--population", min=1, help="the county's residents, spread as estimates"),
    ] = None,
) -> None:
    """Start a county: scenario.yaml and an input workbook to fill. 新建区县情景与输入表。"""
    import re

    from recyclenet.starter import write_starter

    slug = name or re.sub(r"[^A-Za-z0-9_.-]+", "-", directory.resolve().name).strip("-.")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", slug or ""):
        _fail(
            RecycleNetError(
                f"--name must be letters, digits, _ . - (got '{name or directory.name}'): give "
                "--name, e.g. tongchuan-2027, and put the Chinese name in --title"
            ),
            lang,
        )
    try:
        settlements = None
        if osm_place or osm_bbox or osm_xml:
            from recyclenet.network.places import osm_places, settlements_from_places

            places = osm_places(place=osm_place, bbox=osm_bbox, xml=osm_xml)
            settlements = settlements_from_places(places, population)
            out.print(
                f"OSM: {len(settlements)} places 个地名 "
                f"({int((settlements['kind'] == 'village').sum())} villages 村, "
                f"{int((settlements['kind'] == 'community').sum())} communities 社区)"
            )
        paths = write_starter(
            directory, name=slug, title=title or name or slug, lang=lang, settlements=settlements
        )
    except RecycleNetError as exc:
        _fail(exc, lang)
    out.print(f"outputs 输出: {', '.join(str(p) for p in paths)}")
    out.print(
        "next 下一步: fill 填写 inputs.xlsx, then 然后 "
        f"recyclenet validate {paths[0]} ; recyclenet run {paths[0]}",
        highlight=False,
    )


@app.command()
def validate(
    scenario: Annotated[
        Path | None, typer.Argument(help="scenario YAML (default: Cuiping)")
    ] = None,
    lang: LangOption = None,
) -> None:
    """Check a scenario and its tables without solving. 只校验，不求解。"""
    from recyclenet.demand import settlement_demand
    from recyclenet.inputs import load_inputs, read_kept_timetable
    from recyclenet.pipeline import check_loads
    from recyclenet.siting_inputs import siting_problem

    try:
        sc = _load(scenario)
        inputs = load_inputs(sc)
        demand = settlement_demand(inputs.settlements, sc.demand)
        check_loads(inputs, demand, sc)
        siting_problem(inputs, demand, sc)
        if sc.routing.keep_timetable is not None:
            read_kept_timetable(sc.routing.keep_timetable, sc.routing.working_days)
    except RecycleNetError as exc:
        _fail(exc, lang or _language(scenario))
    out.print(
        f"[green]OK[/] {sc.name}: {len(inputs.settlements)} settlements, "
        f"{len(inputs.candidates)} candidate sites, {len(inputs.fleet)} vehicle types, "
        f"{demand['demand_kg_per_day'].sum() / 1000:.1f} t/day expected."
    )
    cand = inputs.candidates
    given = {
        "with storage": int(((cand["storage_m3"] > 0) | (cand["storage_kg"] > 0)).sum()),
        "with visits a week fixed": int(cand["visits_per_week"].notna().sum()),
        "with hours": int(cand["window_open_min"].notna().sum()),
    }
    if any(given.values()):
        out.print(
            "candidate collection points "
            + ", ".join(f"{what}: {n}" for what, n in given.items() if n)
            + " (columns storage_m3 / storage_kg, visits_per_week, window_start / window_end)"
        )


def _dropped_note(result: ScenarioResult) -> str:
    """What to say of the stops the trucks could not serve: how many, at which points
    (the first 8 by name), and what would help (more trucks, a longer shift, and where
    those points have hours, wider hours)."""
    dropped = result.kpis.routing["dropped_stops"]
    points = sorted({str(p) for *_, p in dropped})
    names = result.site_names()
    listed = ", ".join(f"{names.get(p, p)} ({p})" for p in points[:8])
    if len(points) > 8:
        listed += f" and {len(points) - 8} more"
    cand = result.inputs.candidates.set_index("site_id")
    timed = [p for p in points if p in cand.index and math.isfinite(cand.at[p, "window_open_min"])]
    hint = "raise routing.max_trucks_per_station or lengthen the shift"
    if timed:
        hint += (
            f", or widen the hours (window_start, window_end) of the {len(timed)} of them "
            "that have hours"
        )
    return (
        f"{len(dropped)} stops at {len(points)} collection points could not be served by the "
        f"trucks available ({listed}, see kpis.json routing.dropped_stops); {hint}. "
        "有停靠点未能安排。"
    )


@app.command()
def run(
    scenario: Annotated[
        Path | None, typer.Argument(help="scenario YAML (default: Cuiping)")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="output folder (default: out/<scenario name>)")
    ] = None,
    time_limit_s: Annotated[
        float | None,
        typer.Option(
            "--time-limit-s",
            min=1.0,
            help="wall-clock safety cap: half siting, half routing (the search itself is "
            "counted in work, see --effort)",
        ),
    ] = None,
    effort: Annotated[
        str | None,
        typer.Option(
            "--effort",
            help="routing search: quick (try scenarios), standard (default), thorough "
            "(slower); the same scenario, effort and seed give the same plan on any machine",
        ),
    ] = None,
    lang: LangOption = None,
    offline: OfflineOption = False,
    quiet: QuietOption = False,
) -> None:
    """Site the three tiers, plan a week of routes, and write every output. 运行情景。"""
    from recyclenet.outputs.writer import write_outputs
    from recyclenet.pipeline import run_scenario

    if lang not in (None, "zh", "en"):
        _fail(RecycleNetError(f"--lang must be zh or en, got '{lang}'"))
    if effort not in (None, *EFFORTS):
        _fail(
            RecycleNetError(
                f"--effort 只能是 quick、standard 或 thorough / --effort must be quick, "
                f"standard or thorough, got '{effort}'"
            )
        )
    try:
        sc = _load(scenario)
        if time_limit_s is not None:
            sc = sc.with_time_limit(time_limit_s)
        if effort is not None:
            sc = sc.with_effort(effort)
        target = out_dir if out_dir is not None else Path("out") / sc.name
        check_output_folder(target, "kpis.json")  # before any solving
        with _progress_bar(quiet) as progress:
            result = run_scenario(sc, progress=progress)
            progress("writing", 0, 1)
            paths = write_outputs(result, target, lang=lang, offline=offline)
            progress("writing", 1, 1)
    except RecycleNetError as exc:
        _fail(exc, lang or _language(scenario))
    out.print(f"[bold]{sc.title or sc.name}[/]")
    _run_summary(result, lang or sc.language)
    out.print(f"outputs 输出: {target}/ ({', '.join(p.name for p in paths)})")


def _run_summary(result: ScenarioResult, lang: str) -> None:
    """What a planner reads first after a run: the siting, the trucks, the cost, and
    every note or warning the run has."""
    from recyclenet.outputs.report import plan_notes, rate_notes, storage_notes

    k = result.kpis.to_dict()
    out.print(result.siting.summary(solver_work_note(result.siting.solver_work, "en")))
    out.print(
        f"facilities 设施: {k['facilities']}; trucks 车辆: {k['trucks']['collection_total']} "
        f"collection + {k['trucks']['haul_total']} haul; "
        f"vehicle-km/week 车公里/周: {k['vehicle_km_per_week']['total']:,.0f}; "
        f"points on timetable 时刻表覆盖: {k['routing']['points_on_timetable']}/"
        f"{k['routing']['points_open']}"
    )
    special = k.get("specialised_centres")
    if special:
        names = result.site_names()
        out.print(
            f"specialised centres 专业型分拣中心 ({special['status']}): "
            + "; ".join(
                f"{escape(names.get(c['site_id'], c['site_id']))} "
                f"({', '.join(c['categories'])}: {c['t_per_day']:,.2f} t/day)"
                for c in special["open"]
            )
        )
    network_cost = k["network_cost_cny_per_year"]
    per_t = network_cost["cny_per_t"]
    out.print(
        "sites and fleet as routed 设施与车队（按路线）: "
        f"{network_cost['total_cny']:,.0f} CNY/yr 元/年"
        + (f" ({per_t:,.0f} CNY/t 元/吨)" if per_t is not None else "")
    )
    if k.get("left_out"):
        out.print(
            f"coverage 覆盖: {100 * k['population_share_within_access']:.1f} % of residents within "
            f"{k['access_km']['limit']:g} km; {len(k['left_out'])} settlements left out "
            f"(see kpis.json left_out), farthest {k['left_out'][0]['settlement']} "
            f"{k['left_out'][0]['access_km']:.1f} km"
        )
    net = k.get("network", {})
    if "calibrated_detour_factor" in net:
        out.print(
            f"road graph 路网: {net['graph_nodes']:,} nodes, {net['graph_edges']:,} edges; "
            f"calibrated detour factor 实测绕行系数 {net['calibrated_detour_factor']:.2f}"
        )
    idle = [
        f"{st['name']} ({st['station_id']})" for st in k.get("stations", []) if not st["points"]
    ]
    if idle:
        out.print(
            f"[yellow]warning:[/] {len(idle)} transfer station(s) open with no collection point "
            f"to serve: {', '.join(idle)}; the count in siting.counts.transfer_station (or an "
            "existing site kept open) asks for them: give a range "
            "({min: .., max: ..}) or free to let the model leave them closed. "
            "开放的中转站没有回收点可服务。",
            highlight=False,
        )
    if k.get("inputs", {}).get("default_candidates"):
        out.print(
            "[yellow]note:[/] the candidates table lists no site: every settlement was a "
            "candidate point, each township's largest settlement a candidate station, the most "
            "central ones candidate centres, at the documented default costs (unverified). "
            "候选站点表为空：已按默认规则生成候选站点（成本为文档默认值，未核实）。",
            highlight=False,
        )
    for note in rate_notes(k, lang):
        out.print(f"[yellow]note:[/] {note}", highlight=False)
    for note in storage_notes(k, result.site_names(), lang):
        out.print(f"[yellow]warning:[/] {note}", highlight=False)
    if k["routing"]["dropped_stops"]:
        out.print(f"[yellow]warning:[/] {_dropped_note(result)}", highlight=False)
    for note in plan_notes(k, lang, result.site_names()):
        out.print(f"[yellow]warning:[/] {note}", highlight=False)


@app.command()
def compare(
    runs: Annotated[list[Path], typer.Argument(help="output folders of `recyclenet run`")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for comparison.html/.xlsx")] = Path(
        "out/comparison"
    ),
    lang: Annotated[str, typer.Option("--lang", help="zh or en")] = "zh",
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            help="accepted for symmetry: the comparison page never loads anything from the network",
        ),
    ] = False,
) -> None:
    """Compare finished runs side by side. 多情景比较。"""
    from recyclenet.outputs.compare import compare_runs

    if lang not in ("zh", "en"):
        _fail(RecycleNetError(f"--lang must be zh or en, got '{lang}'"))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RecycleNetWarning)
            paths = compare_runs(list(runs), out_dir, lang=lang)
    except RecycleNetError as exc:
        _fail(exc, lang)
    for w in caught:
        if issubclass(w.category, RecycleNetWarning):
            out.print(f"[yellow]warning:[/] {w.message}", highlight=False)
    out.print(f"outputs 输出: {', '.join(str(p) for p in paths)}")


@app.command()
def sweep(
    manifest: Annotated[Path, typer.Argument(help="sweep manifest (YAML)")],
    out_dir: Annotated[Path, typer.Option("--out", help="folder for every run and the comparison")],
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="local processes (default: the cores)")
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option("--scheduler", help="a Dask scheduler, tcp://host:8786, instead of the pool"),
    ] = None,
    lang: LangOption = None,
    offline: OfflineOption = False,
) -> None:
    """Run many scenarios, resumable; compare them. 批量运行多个情景并比较。"""
    import os

    from recyclenet.sweep import load_manifest, run_sweep

    try:
        runs = load_manifest(manifest)
        total = len(runs)
        seen = {"done": 0, "skipped": 0, "failed": 0}

        def report(o) -> None:  # noqa: ANN001 (a RunOutcome)
            seen[o.status] += 1
            finished = sum(seen.values())
            colour = {"done": "green", "skipped": "blue", "failed": "red"}[o.status]
            out.print(
                f"[{colour}]{o.status}[/] {escape(o.name)} ({o.seconds:.0f} s) "
                f"· {finished}/{total}, running 运行中 {total - finished}, "
                f"failed 失败 {seen['failed']}" + (f"\n    {escape(o.error)}" if o.error else ""),
                highlight=False,
            )

        outcomes = run_sweep(
            runs,
            out_dir,
            workers=workers or os.cpu_count() or 1,
            scheduler=scheduler,
            offline=offline,
            lang=lang or "zh",
            progress=report,
        )
    except RecycleNetError as exc:
        _fail(exc, lang)
    failed = [o for o in outcomes if o.status == "failed"]
    out.print(
        f"sweep 批量运行: {len(outcomes) - len(failed)} of {len(outcomes)} runs complete "
        f"({sum(o.status == 'skipped' for o in outcomes)} already were); "
        f"outputs 输出: {out_dir}/"
    )
    if failed:
        raise typer.Exit(code=1)


@app.command()
def route(
    planned: Annotated[Path, typer.Argument(help="output folder of `recyclenet run`")],
    bookings: Annotated[Path, typer.Argument(help="bookings table (CSV or Excel)")],
    day: Annotated[str, typer.Option("--day", help="day to plan: mon ... sun (or 周一 ... 周日)")],
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            help="re-plan from this time (HH:MM): each truck from where the published plan "
            "has it then (its stop, its load); the stops it has reached or is driving to "
            "stay as they are",
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="output folder (default: <planned>/dispatch-<day>)"),
    ] = None,
    time_limit_s: Annotated[
        float,
        typer.Option(
            "--time-limit-s",
            min=1.0,
            help="wall-clock safety cap for all stations (the search is counted in work, "
            "by the scenario's solver.effort)",
        ),
    ] = 120.0,
    lang: LangOption = None,
    offline: OfflineOption = False,
    quiet: QuietOption = False,
) -> None:
    """Plan one day: published stops keep their times, bookings fit in. 当日调度（预约上门）。"""
    from recyclenet.bookings import read_bookings
    from recyclenet.config import WEEKDAYS, parse_clock, parse_weekday
    from recyclenet.dispatch import plan_dispatch
    from recyclenet.outputs.writer import write_dispatch
    from recyclenet.planned import load_planned

    if lang not in (None, "zh", "en"):
        _fail(RecycleNetError(f"--lang must be zh or en, got '{lang}'"))
    code = parse_weekday(day)
    if code is None:
        _fail(
            RecycleNetError(
                f"--day must be one of {', '.join(WEEKDAYS)} (or 周一…周日), got '{day}'"
            )
        )
    day = code
    try:
        net = load_planned(planned)
        rc = net.scenario.routing
        if day not in rc.working_days:
            raise RecycleNetError(
                f"{day} is not a working day of the planned network ({', '.join(rc.working_days)})"
            )
        now_min = None
        if now is not None:
            clock = parse_clock(now)
            if clock is None:
                raise RecycleNetError(f"--now must be a clock time HH:MM, got '{now}'")
            now_min = float(clock)
        table = read_bookings(
            bookings,
            day=day,
            point_ids=set(net.points["site_id"]),
            earliest_min=float(rc.shift_start_min if now_min is None else now_min),
            shift_end_min=float(rc.shift_end_min),
            max_kg=net.max_load()[0],
            max_m3=net.max_load()[1],
        )
        target = out_dir if out_dir is not None else planned / f"dispatch-{day}"
        check_output_folder(target, "summary.json")  # before any solving
        with _progress_bar(quiet) as progress:
            dispatch = plan_dispatch(
                net,
                table,
                day,
                time_limit_s=time_limit_s,
                earliest_min=now_min,
                progress=lambda done, total: progress("dispatch", done, total),
            )
        paths = write_dispatch(dispatch, target, lang=lang, offline=offline)
    except RecycleNetError as exc:
        _fail(exc, lang)
    _route_summary(dispatch, table, day)
    out.print(f"outputs 输出: {target}/ ({', '.join(p.name for p in paths)})")


def _route_summary(dispatch: Dispatch, table: BookingTable, day: str) -> None:
    """What a dispatcher reads first: bookings rejected and deferred with why, published
    stops that cannot keep their sign, and the day per station."""
    from recyclenet.outputs.writer import dispatch_summary

    summary = dispatch_summary(dispatch)
    for _, r in table.rejected.iterrows():
        out.print(
            f"[yellow]rejected 未受理:[/] {table.file} row {r['row']} (line {r['row'] + 1}), "
            f"booking '{r['booking_id']}', column '{r['column']}', value '{r['value']}': "
            f"{r['reason']} / {r['reason_zh']}",
            highlight=False,
        )
    for _, r in dispatch.deferred().iterrows():
        out.print(
            f"[yellow]deferred 推迟:[/] booking '{r['booking_id']}' "
            f"(row {r['row']}, line {r['line']}): "
            f"{r['reason']} / {r['reason_zh']}",
            highlight=False,
        )
    for r in dispatch.off_sign().itertuples():
        when = (
            f"expected 预计 {r.expected} ({r.minutes_off:+.0f} min)"
            if r.expected
            else "no truck serves it 无车服务"
        )
        out.print(
            f"[red]warning:[/] {escape(r.name)} ({r.point_id}) cannot keep its sign "
            f"无法按公示时间到达: sign 牌示 {r.sign}, {when}",
            highlight=False,
        )
    out.print(
        f"{day}: {summary['bookings_planned']}/{summary['bookings_accepted']} bookings planned "
        f"已安排, {summary['bookings_deferred']} deferred 推迟, {summary['bookings_rejected']} "
        f"rejected 未受理; {summary['published_stops']} published stops 公布站点; "
        + (
            f"{summary['deliveries_planned']} deliveries 送新 ({summary['delivered_kg']:,.0f} kg); "
            if summary["deliveries_planned"]
            else ""
        )
        + f"{summary['trucks_used']} trucks 车辆, {summary['distance_km']:,.1f} km"
    )
    for st in summary["stations"]:
        out.print(
            f"  {st['name']} ({st['station_id']}): {st['trucks']} trucks 车辆, "
            f"{st['bookings_planned']} bookings 预约 (+{st['bookings_deferred']} deferred 推迟), "
            f"{st['distance_km']:,.1f} km, {st['first_out'] or '–'}–{st['last_back'] or '–'}",
            highlight=False,
        )


def main() -> None:
    """Console-script entry point. The solvers' own warnings (PyVRP's
    PenaltyBoundWarning and the like) are not printed at users: what matters of them
    is in the run's KPIs and notes (stops left out, visits off their sign)."""
    warnings.filterwarnings("ignore", module=r"pyvrp(\..*)?$")
    warnings.filterwarnings("ignore", category=FutureWarning)
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
