"""User-facing labels in Chinese and English."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from recyclenet.routing import PointVisits

LABELS: dict[str, tuple[str, str]] = {
    # tiers
    "collection_point": ("村级回收点", "collection point"),
    "transfer_station": ("镇级中转站", "transfer station"),
    "sorting_centre": ("区级分拣中心", "sorting centre"),
    # KPI rows
    "kpi.points": ("回收点数量", "Collection points"),
    "kpi.stations": ("中转站数量", "Transfer stations"),
    "kpi.centres": ("分拣中心数量", "Sorting centres"),
    "kpi.specialised_centres": ("专业型分拣中心数量", "Specialised sorting centres"),
    "kpi.total_cost": (
        "年化总成本（选址模型，元/年）",
        "Annualised total cost, siting model (CNY/yr)",
    ),
    "kpi.fixed_cost": ("设施固定成本（元/年）", "Fixed cost (CNY/yr)"),
    "kpi.transport_cost": (
        "运输成本（选址模型按吨公里估算，元/年）",
        "Transport cost, siting model per tonne-km (CNY/yr)",
    ),
    "kpi.network_cost": (
        "设施与车队年成本（按路线，元/年）",
        "Sites and fleet per year, from the routes (CNY/yr)",
    ),
    "kpi.fleet_cost": (
        "车队年成本（按路线，元/年）",
        "Fleet cost per year, from the routes (CNY/yr)",
    ),
    "kpi.rate_collection": (
        "收运成本（按路线，元/吨公里）",
        "Collection cost as routed (CNY/t-km)",
    ),
    "kpi.rate_haul": ("转运成本（按路线，元/吨公里）", "Haul cost as routed (CNY/t-km)"),
    "flow.collection": ("收运（回收点→中转站）", "collection (point to station)"),
    "flow.haul": ("转运（中转站→分拣中心）", "haul (station to centre)"),
    "report.rate_note": (
        "按路线测算，{flow}车辆每吨公里成本合计约 {all_:.1f} 元（其中里程 {km:.1f} 元，其余为车辆的"
        "日固定成本），而选址模型使用的是 {set_:g} 元（{key}）。选址按这一单价权衡站点与车辆：可在"
        "情景副本中取 {km:.1f} 至 {all_:.1f} 之间的值（车辆数随运量增减时取近 {all_:.1f}）"
        "重新运行，再用 recyclenet compare 比较两次结果。",
        "As routed, the {flow} trucks cost about {all_:.1f} CNY per tonne-km in all ({km:.1f} "
        "for their kilometres, the rest their day rates); the siting model used {set_:g} "
        "({key}). The siting weighs sites against trucks at that price: in a copy of the "
        "scenario, try a value between {km:.1f} and {all_:.1f} (nearer {all_:.1f} where the "
        "number of trucks follows the flows), run it, and compare the two runs with "
        "recyclenet compare.",
    ),
    "kpi.cost_per_t": (
        "每吨回收成本（设施与车队，元/吨）",
        "Cost per tonne (sites and fleet, CNY/t)",
    ),
    "kpi.coverage": ("服务半径内人口比例", "Population within access distance"),
    "kpi.access_limit": ("最大服务距离（km）", "Access distance limit (km)"),
    "kpi.access_mean": ("平均服务距离（km）", "Mean access distance (km)"),
    "kpi.access_pop_mean": ("人口加权平均服务距离（km）", "Population-weighted access (km)"),
    "kpi.access_max": ("最远服务距离（km）", "Max access distance (km)"),
    "kpi.tonnes": ("回收量（吨/日）", "Recyclables (t/day)"),
    "kpi.trucks": ("收运车辆（辆）", "Collection trucks"),
    "kpi.haul_trucks": ("转运车辆（辆）", "Haul trucks"),
    "kpi.vkm": ("车公里/周", "Vehicle-km per week"),
    "kpi.hours": ("车辆工时/周", "Truck-hours per week"),
    "kpi.stops": ("每周停靠次数", "Stops per week"),
    "kpi.on_timetable": ("纳入时刻表的回收点", "Points on the timetable"),
    "kpi.beyond_tolerance": (
        "偏离牌示时间超出容差的停靠次数/周",
        "Visits a week off the sign by more than the tolerance",
    ),
    "kpi.max_sign_deviation": ("最大牌示时间偏差（分钟）", "Largest deviation from a sign (min)"),
    "kpi.days_as_published": (
        "沿用已发布线路的站点车日数（重新规划时）",
        "Station-days driven as published (re-planning)",
    ),
    "kpi.dropped": ("未能安排的停靠", "Stops not served"),
    "kpi.siting_status": ("选址求解状态", "Siting status"),
    "report.specialised": ("专业型分拣中心", "Specialised sorting centres"),
    "report.specialised_note": (
        "在选定的中转站基础上第二阶段求解（各品类运往接收该品类的中心，其余运往综合型分拣中心）",
        "a second stage given the chosen stations (each category to a centre that takes it, "
        "the rest to the comprehensive centre)",
    ),
    "report.routing": ("路线", "Routing"),
    "report.base_days": ("个站·日求解", "station-days solved"),
    "report.routing_search": (
        "启发式搜索，按工作量计（{effort}，每个站·日每轮 {work:g} 个工作单位），不证明最优；"
        "同一情景与种子重算，结果相同",
        "heuristic search counted in work ({effort}, {work:g} units a station-day a pass), "
        "not proven optimal; the same scenario and seed give the same plan on any run",
    ),
    "report.routing_capped": (
        "；但有站·日被运行时间上限截断，重算结果可能不同",
        "; but the wall-clock cap cut some station-days short, so a run again may differ",
    ),
    "kpi.siting_gap": ("选址最优性差距", "Siting optimality gap"),
    "kpi.siting_time": ("选址求解时间（秒）", "Siting run time (s)"),
    "kpi.routing_time": ("路线求解时间（秒）", "Routing run time (s)"),
    # statuses
    "optimal": ("已证明最优", "proven optimal"),
    "feasible": ("可行（未证明最优）", "feasible (not proven optimal)"),
    "infeasible": ("不可行", "infeasible"),
    "no_solution": ("无解", "no solution"),
    # table headers
    "col.tier": ("层级", "Tier"),
    "col.site_id": ("编号", "Site id"),
    "col.name": ("名称", "Name"),
    "col.township": ("镇/街道", "Township"),
    "col.lon": ("经度", "Longitude"),
    "col.lat": ("纬度", "Latitude"),
    "col.throughput": ("日处理量（吨）", "Throughput (t/day)"),
    "col.capacity": ("能力（吨/日）", "Capacity (t/day)"),
    "col.fixed_cost": ("年固定成本（元）", "Fixed cost (CNY/yr)"),
    "col.existing": ("现有设施", "Existing"),
    "col.parent": ("上级设施", "Sends to"),
    "col.settlement": ("村/社区", "Settlement"),
    "col.population": ("人口", "Population"),
    "col.kg_day": ("可回收物（公斤/日）", "Recyclables (kg/day)"),
    "col.point": ("回收点", "Collection point"),
    "col.sign": ("牌示时间", "Time on sign"),
    "col.access_km": ("距离（km）", "Distance (km)"),
    "col.seq": ("顺序", "Order"),
    "col.kind": ("类型", "Event"),
    "col.arrival": ("到达", "Arrival"),
    "col.departure": ("离开", "Departure"),
    "col.expected_kg": ("预计收运（公斤）", "Expected (kg)"),
    "col.expected_m3": ("预计体积（立方米）", "Expected (m3)"),
    "col.load_kg": ("车上载重（公斤）", "Load on board (kg)"),
    "col.delivered_kg": ("送新（公斤）", "New delivered (kg)"),
    "col.distance_km": ("行驶距离（km）", "Distance driven (km)"),
    "col.indicator": ("指标", "Indicator"),
    "col.value": ("数值", "Value"),
    "col.visits": ("每周次数", "Visits per week"),
    "col.visits_basis": ("次数依据", "Visits set by"),
    "kpi.storage_overflow": (
        "存放空间在下次收运前装满的回收点",
        "Points whose storage is full before the next visit",
    ),
    "basis.truck": ("每次一车可装下", "one truckload a visit"),
    "basis.storage": ("存放空间装满前清运", "emptied before its storage is full"),
    "basis.planner": ("规划指定", "fixed by the planner"),
    "basis.overflow": (
        "存放空间 {full:.1f} 天装满，收运间隔最长 {gap} 天",
        "storage full in {full:.1f} days, up to {gap} days between visits",
    ),
    "report.off_sign_note": (
        "有 {n} 次停靠偏离公示牌时间超过 {tol:g} 分钟，居民会在牌上的时间白等：{visits}。"
        "可把 solver.effort 调为 thorough 重新运行，提高 routing.slot_penalty_cny_per_min，"
        "或增加车辆（routing.max_trucks_per_station）。",
        "{n} visit(s) arrive more than {tol:g} min from the time on their sign, so residents "
        "would wait in vain: {visits}. Run again with solver.effort: thorough, raise "
        "routing.slot_penalty_cny_per_min, or allow more trucks "
        "(routing.max_trucks_per_station).",
    ),
    "report.off_sign_item": (
        "{point}（{point_id}）{day} 牌上 {slot}，预计 {arrival} 到达，相差 {minutes:.0f} 分钟",
        "{point} ({point_id}) {day}: sign {slot}, expected {arrival}, {minutes:.0f} min off",
    ),
    "report.more": ("；另有 {n} 次", "; and {n} more"),
    "report.capped_note": (
        "{n} 个站点日的路线搜索被时间上限提前停止（搜索长时间找不到更好的方案，或运行时间上限 "
        "solver.routing_time_limit_s）：{days}。在慢得多的机器上重算，这些路线可能不同；"
        "可提高该上限，或检查这些站点日的车辆是否够用。",
        "A wall-clock limit stopped the route search of {n} station-day(s) early (a search "
        "that found no better plan for a long time, or the cap "
        "solver.routing_time_limit_s): {days}. On a much slower machine their routes may "
        "differ; raise the cap, or check that those station-days have trucks enough.",
    ),
    "report.storage_note": (
        "{n} 个回收点的存放空间在下次收运前就会装满：{points}。可扩大存放空间（候选点表的 "
        "storage_m3、storage_kg 列），增加每周收运次数（visits_per_week 列，或留空由程序计算），"
        "或增加工作日（routing.working_days）。",
        "The storage of {n} collection point(s) is full before the truck comes again: "
        "{points}. Give them more storage (columns storage_m3, storage_kg of the candidates "
        "table), more visits a week (column visits_per_week, or leave it empty to have it "
        "worked out), or more working days (routing.working_days).",
    ),
    "col.booking_id": ("预约编号", "Booking id"),
    "col.line": ("表格行号", "Line in the table"),
    "col.column": ("列", "Column"),
    "col.given": ("填写的值", "Value given"),
    "col.reason": ("原因", "Reason"),
    "col.station": ("中转站", "Station"),
    "col.published_stops": ("公布站点", "Published stops"),
    "col.bookings_planned": ("已安排预约", "Bookings planned"),
    "col.bookings_deferred": ("推迟预约", "Bookings deferred"),
    "col.first_out": ("首车出发", "First truck out"),
    "col.last_back": ("末车返回", "Last truck back"),
    "col.points": ("回收点数", "Points"),
    "col.utilisation": ("能力利用率", "Capacity used"),
    "col.trucks": ("收运车辆", "Collection trucks"),
    "col.truck_days": ("车·日/周", "Truck-days/week"),
    "col.stops_week": ("停靠次数/周", "Stops/week"),
    "col.km_week": ("收运车公里/周", "Collection km/week"),
    "col.hours_week": ("收运工时/周", "Collection truck-hours/week"),
    "col.cost_year": ("收运车队年成本（元）", "Collection fleet cost (CNY/yr)"),
    "col.busiest_day": ("最忙的一天", "Busiest day"),
    "col.haul_trips": ("转运趟数/周", "Haul trips/week"),
    "col.haul_km": ("转运车公里/周", "Haul km/week"),
    "sheet.stations": ("中转站", "Stations"),
    "event.start": ("出车", "depart"),
    "event.stop": ("停靠收运", "collection stop"),
    "event.unload": ("回站卸货", "unload at station"),
    "map.specialised": ("专业型分拣中心，接收", "specialised centre, takes"),
    "col.categories": ("接收品类（专业型）", "categories taken (specialised)"),
    "event.lunch": ("午休停车", "lunch break"),
    "event.parked": ("禁行时段停车等候", "parked: no-driving hours"),
    "title.categories": (
        "各类物资：基准年、目标年与是否达标",
        "Material categories: base year, target and whether met",
    ),
    "title.counties": ("各区县", "Counties"),
    "cat.paper": ("废纸", "paper"),
    "cat.plastics": ("废塑料", "plastics"),
    "cat.metals": ("废金属", "metals"),
    "cat.glass": ("废玻璃", "glass"),
    "cat.textiles": ("废旧纺织品", "textiles"),
    "cat.appliances": ("废旧家电", "appliances"),
    "cat.e_waste": ("电子废弃物", "e-waste"),
    "col.category": ("类别", "Category"),
    "col.base_t_year": ("基准年交投量（吨/年）", "Base year (t/yr)"),
    "col.target_pct": ("规划增长（%）", "Growth asked (%)"),
    "col.target_t_year": ("目标年（吨/年）", "Target year (t/yr)"),
    "col.collected_t_year": ("网络可收（吨/年）", "Network collects (t/yr)"),
    "col.met": ("是否达标", "Met"),
    "col.county": ("区县", "County"),
    "cmp.runs_note": (
        "各方案一行；点击表头按该列排序。",
        "A row per run; click a header to sort by it.",
    ),
    "map.townships": ("乡镇（按村社范围）", "Townships (extent of their settlements)"),
    "map.tianditu": ("天地图", "Tianditu"),
    "map.tianditu_labels": ("天地图注记", "Tianditu labels"),
    "col.operator": ("运营主体", "Operator"),
    "col.coverage": ("覆盖率", "Coverage"),
    "col.t_day": ("回收量（吨/日）", "Tonnes a day"),
    "col.points_n": ("回收点", "Points"),
    "col.stations_n": ("中转站", "Stations"),
    "col.trucks_n": ("收运车", "Trucks"),
    "col.centre_share": ("分拣中心分摊", "Centre share"),
    "col.cost_year_county": ("年成本（元）", "Cost (CNY/yr)"),
    "event.position": ("重新调度起点", "re-planned from here"),
    "event.end": ("回站卸货收车", "final unload"),
    # sheet and page titles
    "sheet.kpis": ("指标", "KPIs"),
    "sheet.facilities": ("设施", "Facilities"),
    "sheet.assignments": ("服务关系", "Assignments"),
    "sheet.timetable": ("时刻表", "Timetable"),
    "sheet.summary": ("概况", "Summary"),
    "sheet.deferred": ("推迟的预约", "Deferred"),
    "sheet.rejected": ("未受理的预约", "Rejected"),
    "dispatch.position": ("当前位置：{point}", "Where it is now: {point}"),
    "dispatch.bookings_accepted": ("受理的预约", "Bookings accepted"),
    "dispatch.bookings_planned": ("已安排的预约", "Bookings planned"),
    "dispatch.bookings_deferred": ("推迟的预约", "Bookings deferred"),
    "dispatch.bookings_rejected": ("未受理的预约（表格有误）", "Bookings rejected (bad rows)"),
    "dispatch.bookings_other_days": ("其他日期的预约", "Bookings for other days"),
    "dispatch.deliveries_planned": ("送新收旧（次）", "New appliances delivered"),
    "dispatch.delivered_kg": ("送新重量（公斤）", "Delivered (kg)"),
    "dispatch.published_stops": ("公布的定时定点停靠", "Published stops"),
    "dispatch.trucks_used": ("出车数（辆）", "Trucks out"),
    "dispatch.distance_km": ("行驶距离（km）", "Distance (km)"),
    "dispatch.cost_cny": ("车辆成本（元）", "Truck cost (CNY)"),
    "title.report": ("情景运行报告", "Scenario run report"),
    "title.route_sheets": ("收运路线单", "Route sheets"),
    "title.signs": ("回收点公示牌", "Collection point signs"),
    "sign.heading": ("定时定点 · 以车代库 回收", "Scheduled recycling truck stop"),
    "sign.days": ("收运日", "Days"),
    "sign.time": ("到达时间", "Arrives at"),
    "sign.stay": (
        "停留约 {dwell} 分钟，到达时间前后浮动不超过 {tol} 分钟",
        "stays about {dwell} min; arrives within {tol} min of this time",
    ),
    "sign.stay_for": ("停留 {min:.0f} 分钟", "stays {min:.0f} min"),
    "sign.tolerance": (
        "车辆在所列时间前后 {tol} 分钟内到达。",
        "The truck arrives within {tol} min of the time listed.",
    ),
    "sign.station": ("所属中转站", "Transfer station"),
    "sign.bring": (
        "请居民在此时间携带可回收物到本点交投。",
        "Please bring your recyclables to this point at this time.",
    ),
    "map.no_network": (
        "地图未能加载：此页面需要联网，从网上加载 Leaflet 地图库。"
        "在内网或无网络的电脑上，请在命令后加 --offline 重新运行 recyclenet，"
        "地图库将内嵌在文件中。",
        "The map could not load: this page needs internet access to load the Leaflet map "
        "library. On an intranet or a computer without internet, run the recyclenet "
        "command again with --offline, which embeds the library in the file.",
    ),
    "solver.sets_solved": (
        "已求解 {sets_solved}/{sets_total} 个中转站与分拣中心组合",
        "{sets_solved} of {sets_total} station/centre sets solved",
    ),
    "solver.rounds": ("{rounds} 轮", "{rounds} rounds"),
    "sheet.bookings": ("预约", "bookings"),
    "sheet.points": ("回收点", "points"),
    "sheet.help": ("说明", "help"),
    "dispatch.booking_stop": ("预约 {id}{swap} · {point}", "Booking {id}{swap} · {point}"),
    "dispatch.swap": ("（送新收旧）", " (deliver new, collect old)"),
    "help.column": ("列名", "Column"),
    "help.required": ("必填", "Required"),
    "help.example": ("示例", "Example"),
    "help.aliases": ("也可用的中文列名", "Chinese headers also read"),
    "help.yes": ("是", "yes"),
    "help.no": ("否", "no"),
    "help.intro": (
        "在“预约”表中每行填写一个上门预约（第一行列名不要改动），保存后运行："
        "recyclenet route <本文件夹> <本文件> --day <星期>。错误的行会连同原因列出，其余照常安排。"
        "自己整理的预约表（CSV 或 Excel）也可用上表最后一列的中文列名。",
        "Fill one door pickup per row in the bookings sheet (keep the first row's column "
        "names), save, and run: recyclenet route <this folder> <this file> --day <day>. "
        "Bad rows are listed with the reason; the others are still planned. A bookings "
        "table of your own (CSV or Excel) may use the Chinese headers of the last column.",
    ),
    "booking.booking_id": ("预约编号，不可重复", "Booking id, unique"),
    "booking.point_id": (
        "回收点编号（从下拉列表或“回收点”表中选择），由该点的车辆上门",
        "Collection point id (pick from the list or the points sheet); its truck calls",
    ),
    "booking.day": (
        "星期（周一…周日 或 mon…sun）；留空表示调度当天",
        "Day (mon ... sun or 周一 ... 周日); empty: the day being planned",
    ),
    "booking.window_start": ("上门时间窗开始，HH:MM", "Pickup window opens, HH:MM"),
    "booking.window_end": ("上门时间窗结束，HH:MM", "Pickup window closes, HH:MM"),
    "booking.kg": ("收取物品重量（公斤）", "Weight picked up (kg)"),
    "booking.m3": ("收取物品体积（立方米，松散）", "Loose volume picked up (m³)"),
    "booking.deliver_kg": (
        "送新收旧：送达新品的重量（公斤），在中转站装车；留空表示不送",
        "Deliver new, collect old: weight of the new item brought (kg), loaded at the "
        "station; empty: none",
    ),
    "booking.deliver_m3": (
        "送新收旧：送达新品的体积（立方米）；留空表示不送",
        "Deliver new, collect old: volume of the new item brought (m³); empty: none",
    ),
    "booking.handling_min": (
        "上门作业分钟数（留空为 10）",
        "Minutes at the door (empty: 10)",
    ),
    "booking.lon": (
        "住户经度（WGS-84）；留空表示在回收点",
        "Door longitude (WGS-84); empty: at the point",
    ),
    "booking.lat": (
        "住户纬度（WGS-84）；留空表示在回收点",
        "Door latitude (WGS-84); empty: at the point",
    ),
    "booking.invalid": ("输入无效", "Invalid entry"),
    "title.comparison": ("情景比较", "Scenario comparison"),
    # maps
    "map.legend": ("图例", "Legend"),
    "map.truck_route": ("车辆路线", "truck route"),
    "map.no_basemap": ("无底图", "No basemap"),
    "map.amap": ("高德地图 (GCJ-02)", "Amap (GCJ-02)"),
    "map.settlements": ("村/社区", "Settlements"),
    "map.assignments": ("服务关系", "Assignments"),
    "map.population": ("人口", "population"),
    "map.recyclables": ("可回收物", "recyclables"),
    "map.day": ("日", "day"),
    "map.point": ("回收点", "point"),
    "map.layer.collection_point": ("回收点", "Collection points"),
    "map.layer.transfer_station": ("中转站", "Transfer stations"),
    "map.layer.sorting_centre": ("分拣中心", "Sorting centre"),
    "map.throughput": ("吞吐量", "throughput"),
    "map.served": ("服务人口", "population served"),
    "map.sign": ("牌示时间", "time on sign"),
    "map.visits": ("收运时间", "visit times"),
    "map.routes": ("路线", "Routes"),
    "map.truck": ("车", "truck"),
    "map.sites": ("站点", "Sites"),
    "map.deferred": ("推迟", "deferred"),
    # scenario comparison
    "cmp.fixed": ("固定", "fixed"),
    "cmp.access": ("居民送交", "access"),
    "cmp.collection": ("收运", "collection"),
    "cmp.haul": ("转运", "haul"),
    "cmp.cost_split": (
        "选址模型年化成本构成（万元/年）",
        "Siting model's annual cost split (10k CNY/yr)",
    ),
    "cmp.solver_differs": (
        "这些运行的 {key} 不同（{runs}）：路线搜索的工作量不同，"
        "车辆数与车公里的差异也可能来自这里；请把 solver.effort 设为相同的值，重新运行后再比较。",
        "These runs differ in {key} ({runs}): their route searches did different amounts of "
        "work, so their trucks and kilometres differ for that reason too; set solver.effort "
        "the same for all, run again, and compare.",
    ),
    "cmp.solver_limit_differs": (
        "这些运行的 solver.routing_time_limit_s 不同（{runs}），其中有的运行由旧版本生成，未记录"
        "每个站·日的搜索时间：请用当前版本重新运行，比较时才能判断搜索时间是否相同。",
        "These runs differ in solver.routing_time_limit_s ({runs}) and some were written "
        "before the search time per station-day was recorded: run them again with this "
        "version, so that the comparison can tell whether their station-days got the same "
        "time.",
    ),
    "cmp.cost_split_routed": (
        "设施与车队年成本构成（按路线，万元/年）",
        "Sites and fleet per year, from the routes (10k CNY/yr)",
    ),
    "cmp.collection_trucks": ("收运车辆", "collection trucks"),
    "cmp.collection_km": ("收运里程", "collection km"),
    "cmp.haul_trucks": ("转运车辆", "haul trucks"),
    "cmp.haul_km": ("转运里程", "haul km"),
    "cmp.best_note": (
        "绿色为该行最优；Δ 为与第一个情景之差。",
        "Green: best in the row; Δ: difference to the first scenario.",
    ),
    "cmp.charts": ("图表", "Charts"),
    "cmp.assumptions": ("主要假设", "Main assumptions"),
    "cmp.scenario": ("情景", "Scenario"),
    "cmp.changes": ("时刻表变化（与 {first} 相比）", "Timetable changes (against {first})"),
    "cmp.changes_sheet": ("时刻表变化", "Timetable changes"),
    "cmp.kept": (
        "{kept}/{total} 个共有回收点的收运日和牌示时间不变",
        "{kept} of {total} points in both keep their days and time on the sign",
    ),
    "cmp.days_before": ("原收运日", "Days before"),
    "cmp.days_after": ("新收运日", "Days after"),
    "cmp.sign_before": ("原牌示时间", "Sign before"),
    "cmp.sign_after": ("新牌示时间", "Sign after"),
    "cmp.change": ("变化", "Change"),
    "cmp.change.added": ("新增回收点", "point added"),
    "cmp.change.removed": ("取消的回收点", "point removed"),
    "cmp.change.days": ("收运日改变", "days changed"),
    "cmp.change.time": ("牌示时间改变", "time changed"),
    "cmp.change.days_time": ("收运日和时间都改变", "days and time changed"),
    "title.map": ("地图", "Map"),
    "title.stations": ("各中转站", "Transfer stations"),
    "cmp.no_stations": (
        "该次运行的结果未包含中转站明细，请用当前版本重新运行。",
        "This run's outputs have no station table: run it again with this version.",
    ),
    "report.stations_note": (
        "收运车辆：该站一天内同时出车的最多车辆数；最忙的一天：收运工时最多的一天；"
        "能力利用率达到 100 % 的中转站以底色标出，已无余量接收更多回收点。"
        "收运车队年成本：该站保有的车辆每个工作日计一天固定成本，加路线里程成本，按年折算。",
        "Collection trucks: the most the station sends out on one day; busiest day: the day "
        "of the most truck-hours. A station at 100 % of its capacity is shaded: it has no "
        "room for more points. Collection fleet cost: the station's trucks, each paid its day "
        "rate on every working day, and their kilometres, over a year.",
    ),
    "report.cost_note": (
        "按路线的成本：各站保有的收运车（一天内最多出车数）每个工作日计一天固定成本，路线里程按每公里"
        "成本计，转运车同理，按每年 {weeks:.1f} 周（{days:.0f} 个工作日）折算；加上设施固定成本即"
        "“设施与车队年成本”。选址模型的运输成本按吨公里估算，用于比较选址方案，不是车队的实际开支。",
        "From the routes: each station's collection trucks (the most out on one day) cost "
        "their day rate on every working day and their kilometres at their rate per km; haul "
        "trucks the same; a year is {weeks:.1f} weeks ({days:.0f} working days). With the "
        "sites' fixed cost this is \"sites and fleet per year\". The siting model's transport "
        "cost is a per tonne-km estimate for comparing sites, not what the fleet spends.",
    ),
    "title.status": ("求解状态", "Solver status"),
    "truck": ("车辆", "Truck"),
    "day": ("日期", "Day"),
    "station": ("中转站", "Station"),
}


def t(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang`` (``"zh"`` or ``"en"``); the key itself if unknown."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


def solver_work_note(work: Mapping[str, int], lang: str) -> str:
    """What a siting method did (``SitingResult.solver_work``) as a note in brackets,
    e.g. ``" (5 of 2720 station/centre sets solved)"``; empty when there is nothing."""
    if "sets_total" in work:
        text = t("solver.sets_solved", lang).format(**work)
    elif "rounds" in work:
        text = t("solver.rounds", lang).format(**work)
    else:
        return ""
    return f"（{text}）" if lang == "zh" else f" ({text})"


def visits_basis_text(visits: PointVisits | None, lang: str) -> str:
    """What set a point's visits a week, in words (and, where its storage is full before
    the truck comes again, by how much); empty for a point not on the timetable."""
    if visits is None:
        return ""
    text = t(f"basis.{visits.basis}", lang)
    if visits.storage_overflows:
        sep = "；" if lang == "zh" else "; "
        text += sep + t("basis.overflow", lang).format(
            full=visits.storage_full_days, gap=visits.longest_gap_days
        )
    return text
