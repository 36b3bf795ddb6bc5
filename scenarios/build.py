"""Build the two shipped scenario folders, scenarios/hohhot and scenarios/guizhou.

Every file of both folders except README.md is generated here from the copies of the
reference data under scenarios/sources/ plus the assumptions written as constants below;
each folder's README.md (kept by hand) states where every number comes from. The script
uses the standard library only, reads nothing outside scenarios/, and is deterministic:
the same sources give byte-identical files.

    python3 scenarios/build.py

writes regions.csv, warehouses.csv, roads.csv, items.csv, stock.csv, scenario.yaml,
policy.yaml and events/*.yaml of both folders and prints a summary (counts, event totals and the response
level they reach) to check the READMEs against.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
DIVISIONS = HERE / "sources" / "divisions"

COUNT_FIELDS = (
    "deaths",
    "missing",
    "relocated",
    "needing_aid",
    "collapsed_households",
    "collapsed_rooms",
    "severe_households",
    "severe_rooms",
    "general_households",
    "general_rooms",
)
# The four criteria of the 2024 national plan (国办函〔2024〕11号), as sums of report fields.
CRITERIA = {
    "dead_missing": ("deaths", "missing"),
    "relocated_or_aided": ("relocated", "needing_aid"),
    "collapsed_severe_rooms": ("collapsed_rooms", "severe_rooms"),
    "collapsed_severe_households": ("collapsed_households", "severe_households"),
}
# Lower bounds of national level IV (2016 plan, S; same magnitudes recalled for 2024, U)
# and level III, and of a 2024-style county plan's level 2 (S32, V).
NATIONAL_IV = {
    "dead_missing": 20,
    "relocated_or_aided": 100_000,
    "collapsed_severe_rooms": 10_000,
    "collapsed_severe_households": 3_000,
}
NATIONAL_III = {
    "dead_missing": 50,
    "relocated_or_aided": 500_000,
    "collapsed_severe_rooms": 100_000,
    "collapsed_severe_households": 30_000,
}
COUNTY_LEVEL_2 = {
    "dead_missing": 5,
    "relocated_or_aided": 1_200,
    "collapsed_severe_rooms": 500,
    "collapsed_severe_households": 200,
}

EARTH_RADIUS_KM = 6371.0088  # mean radius (IUGG)
MIN_LINK_KM = Decimal("2.00")  # stated short link: co-located nodes, very close neighbours
JITTER_RADIUS_KM = 2.0  # townships without a point: ring of this radius round the county point
FLOOR_SHARE = {
    "provincial": Decimal("0.20"),
    "prefecture": Decimal("0.15"),
    "county": Decimal("0.10"),
}
TIER_SUFFIX = {"provincial": "P", "prefecture": "B", "county": "C"}
TIER_ORDER = {"provincial": 0, "prefecture": 1, "county": 2}

# code: name_zh, name_en, unit, weight_kg, volume_m3, category. Weights and volumes are
# assumptions except the 2 kg blanket (上海市红十字会 catalogue 2021, policy-reference §4.1).
ITEMS = {
    "tent": (
        "帐篷（12 m² 单帐篷）",
        "Relief tent, 12 m² single (MZ/T 011.2-2010)",
        "顶",
        "50",
        "0.25",
        "shelter",
    ),
    "cotton_tent": (
        "棉帐篷（12 m²）",
        "Insulated cotton tent, 12 m² (MZ/T 011.4-2010)",
        "顶",
        "90",
        "0.5",
        "shelter",
    ),
    "yurt": ("蒙古包", "Mongolian yurt (ger), relief type", "顶", "400", "3.0", "shelter"),
    "stove": ("取暖炉", "Heating stove for tents and yurts", "台", "35", "0.12", "shelter"),
    "tarp": (
        "彩条布（4 m × 6 m）",
        "Striped tarpaulin, 4 m x 6 m",
        "张",
        "2.5",
        "0.005",
        "shelter",
    ),
    "quilt": ("棉被", "Cotton quilt (MZ/T 014.1-2010)", "床", "3.0", "0.03", "bedding"),
    "blanket": (
        "毛毯（2 m × 1.5 m）",
        "Blanket, 2 m x 1.5 m, 30 % wool",
        "条",
        "2.0",
        "0.012",
        "bedding",
    ),
    "sleeping_bag": (
        "睡袋",
        "Multi-purpose sleeping bag (MZ/T 014.4-2010)",
        "个",
        "2.0",
        "0.02",
        "bedding",
    ),
    "folding_bed": ("折叠床", "Folding bed, single", "张", "12", "0.08", "bedding"),
    "coat": ("棉大衣", "Padded cotton coat (MZ/T 014.2-2010)", "件", "2.0", "0.02", "clothing"),
    "rice": ("大米", "Rice", "kg", "1.0", "0.0014", "food"),
    "water": ("饮用水（瓶装）", "Bottled drinking water", "L", "1.05", "0.0012", "water"),
    "floodlight": ("场地照明灯", "Site floodlight set", "套", "30", "0.15", "lighting"),
    "toilet": ("简易厕所", "Portable toilet", "个", "40", "0.5", "sanitation"),
}


# ---------------------------------------------------------------------------- geometry


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance between two (lat, lon) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def offset_point(lat: float, lon: float, km: float, bearing_deg: float) -> tuple[float, float]:
    """The point `km` away on `bearing_deg` (0 = north, clockwise), small-distance formula."""
    d = km / EARTH_RADIUS_KM
    b = math.radians(bearing_deg)
    dlat = math.degrees(d * math.cos(b))
    dlon = math.degrees(d * math.sin(b) / math.cos(math.radians(lat)))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def half_up(value: Decimal, places: str = "1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def nice(x: float) -> int:
    """A threshold in round figures: an integer below 100, else 2 significant figures."""
    if x < 100:
        return int(half_up(Decimal(repr(x))))
    step = 10 ** (int(math.floor(math.log10(x))) - 1)
    return int(half_up(Decimal(repr(x / step)))) * step


def ladder(level4: int, level1: int) -> dict[int, int]:
    """Levels 4..1 on a geometric scale from `level4` to `level1`, rounded by `nice`."""
    ratio = (level1 / level4) ** (1 / 3)
    return {1: level1, 2: nice(level4 * ratio**2), 3: nice(level4 * ratio), 4: level4}


# ---------------------------------------------------------------------------- records


@dataclass
class Region:
    code: str
    name: str
    level: str
    parent_code: str
    lat: float
    lon: float
    population: int | None
    approximate: str = ""  # why the point is approximate ("" = source point)
    rural_population: int | None = None  # 乡村人口: the denominator of share criteria


@dataclass
class Warehouse:
    code: str
    name: str
    tier: str
    region_code: str
    lat: float
    lon: float
    capacity_m3: int = 0
    design_population: int = 0


@dataclass
class Road:
    id: str
    from_code: str
    to_code: str
    distance_km: Decimal
    travel_time_h: Decimal
    kind: str  # why the link exists (summary only, not written)


@dataclass
class Network:
    """Road links derived from geography: great circle x circuity at an average speed."""

    circuity: Decimal
    speed_kmh: Decimal
    points: dict[str, tuple[float, float]] = field(default_factory=dict)
    roads: list[Road] = field(default_factory=list)
    _pairs: set[frozenset[str]] = field(default_factory=set)

    def link(self, a: str, b: str, kind: str) -> bool:
        """Add a road a-b unless it is a self-loop or the pair is already linked."""
        pair = frozenset((a, b))
        if a == b or pair in self._pairs:
            return False
        self._pairs.add(pair)
        gc = Decimal(repr(great_circle_km(self.points[a], self.points[b])))
        distance = max(MIN_LINK_KM, half_up(gc * self.circuity, "0.01"))
        hours = max(Decimal("0.01"), half_up(distance / self.speed_kmh, "0.01"))
        self.roads.append(Road(f"R{len(self.roads) + 1:04d}", a, b, distance, hours, kind))
        return True

    def km(self, a: str, b: str) -> float:
        return great_circle_km(self.points[a], self.points[b])

    def nearest(self, code: str, candidates: list[str], k: int) -> list[str]:
        """The k nearest candidates (ties by code)."""
        others = sorted((self.km(code, c), c) for c in candidates if c != code)
        return [c for _, c in others[:k]]

    def has(self, a: str, b: str) -> bool:
        return frozenset((a, b)) in self._pairs


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def apportion(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Largest-remainder shares of `total` by integer weights (ties by code)."""
    wsum = sum(weights.values())
    base = {c: total * w // wsum for c, w in weights.items()}
    rest = total - sum(base.values())
    order = sorted(weights, key=lambda c: (-(total * weights[c] % wsum), c))
    for c in order[:rest]:
        base[c] += 1
    return base


def township_weight(name: str) -> int:
    """Population weight of a township by its kind: urban 街道 3, 镇 2, 乡/苏木 1."""
    if name.endswith("街道"):
        return 3
    if name.endswith("镇"):
        return 2
    return 1


# ---------------------------------------------------------------------------- scenario spec


@dataclass
class Spec:
    name: str
    circuity: Decimal
    speed_kmh: Decimal
    county_k: int  # nearest county neighbours linked
    township_k: int  # nearest townships linked within a county
    kit: dict[str, Decimal]  # stock per person of a warehouse's design population
    county_excluded: frozenset[str]  # items county depots do not stock
    missing: frozenset[tuple[str, str]]  # (warehouse, item) rows left out
    low: dict[tuple[str, str], int]  # (warehouse, item): on_hand = floor + this
    design: Callable[[Spec], dict[str, int]]  # people each warehouse is stocked for
    policy: dict
    events: dict[str, dict]
    regions: list[Region] = field(default_factory=list)
    warehouses: list[Warehouse] = field(default_factory=list)
    network: Network | None = None


def build_hohhot_regions() -> list[Region]:
    counties = read_csv(DIVISIONS / "hohhot-counties.csv")
    towns = read_csv(DIVISIONS / "hohhot-townships.csv")
    city = next(r for r in counties if r["level"] == "prefecture")
    clat, clon = float(city["lat"]), float(city["lon"])
    regions = [
        Region(
            "150000",
            "内蒙古自治区",
            "province",
            "",
            clat,
            clon,
            None,
            "province root: placed at the point of 150100 呼和浩特市",
        ),
    ]
    county_points = {}
    for r in counties:
        lat, lon = float(r["lat"]), float(r["lon"])
        county_points[r["code"]] = (lat, lon)
        regions.append(
            Region(
                r["code"],
                r["name"],
                r["level"],
                r["parent_code"],
                lat,
                lon,
                int(r["population_2020"]),
            )
        )
    for county in [r for r in counties if r["level"] == "county"]:
        mine = [t for t in towns if t["parent_code"] == county["code"]]
        shares = apportion(
            int(county["population_2020"]), {t["code"]: township_weight(t["name"]) for t in mine}
        )
        no_point = sorted(t["code"] for t in mine if not t["lat"])
        for t in mine:
            if t["lat"]:
                lat, lon, note = float(t["lat"]), float(t["lon"]), ""
            else:
                i = no_point.index(t["code"])
                bearing = 360 * i / len(no_point)
                lat, lon = offset_point(*county_points[county["code"]], JITTER_RADIUS_KM, bearing)
                note = (
                    f"no source point: {JITTER_RADIUS_KM:g} km from the county point "
                    f"on bearing {bearing:g}°"
                )
            regions.append(
                Region(
                    t["code"],
                    t["name"],
                    "township",
                    county["code"],
                    lat,
                    lon,
                    shares[t["code"]],
                    note,
                )
            )
    return regions


# 乡村人口 of Guizhou at the 2020 census: 38,562,148 × (1 − 53.15 % urban), the urban share
# recalled (R), not read in a source here: assumed. No other region's is given.
GUIZHOU_RURAL_2020 = 18_066_366


def build_guizhou_regions() -> list[Region]:
    return [
        Region(
            r["code"],
            r["name"],
            r["level"],
            r["parent_code"],
            float(r["lat"]),
            float(r["lon"]),
            int(r["population_2020"]),
            rural_population=GUIZHOU_RURAL_2020 if r["code"] == "520000" else None,
        )
        for r in read_csv(DIVISIONS / "guizhou-prefectures-counties.csv")
    ]


def drought_figures(needing_aid: int, crop_ha: int) -> dict[str, object]:
    """A drought report's own figures: 因旱需生活救助, a third of them short of drinking
    water, three times as many affected, and the crop area affected (the damaged and lost
    areas follow quick_figures' ratios). Assumed."""
    return {
        "affected": needing_aid * 3,
        "drought_needing_aid": needing_aid,
        "drought_water_shortage": needing_aid // 3,
        "crop_affected_ha": Decimal(crop_ha * 10),
    }


def warehouse_name(region: Region, tier: str, root: Region) -> str:
    if tier == "provincial":
        seat = "呼和浩特" if root.code == "150000" else "贵阳"
        return f"{root.name}救灾物资中心库（{seat}）"
    if tier == "prefecture":
        return f"{region.name}救灾物资骨干库"
    return f"{region.name}救灾物资片区库"


def build_warehouses(spec: Spec) -> None:
    """A provincial core, a backbone per prefecture and a depot per county, at their points.

    The provincial core of both provinces sits in the provincial capital: Guizhou's at the
    520000 point (in Guiyang), Inner Mongolia's at the 150100 point (the only prefecture
    modelled, and the point of the 150000 root).
    """
    regions = spec.regions
    root = next(r for r in regions if r.level == "province")
    out = []
    for r in regions:
        tier = {"province": "provincial", "prefecture": "prefecture", "county": "county"}.get(
            r.level
        )
        if tier is None:
            continue
        out.append(
            Warehouse(
                f"WH-{r.code}-{TIER_SUFFIX[tier]}",
                warehouse_name(r, tier, root),
                tier,
                r.code,
                r.lat,
                r.lon,
            )
        )
    out.sort(key=lambda w: (TIER_ORDER[w.tier], w.code))
    spec.warehouses = out


def build_network(spec: Spec) -> None:
    net = Network(spec.circuity, spec.speed_kmh)
    for r in spec.regions:
        net.points[r.code] = (r.lat, r.lon)
    for w in spec.warehouses:
        net.points[w.code] = (w.lat, w.lon)
    by_code = {r.code: r for r in spec.regions}
    provincial = [w for w in spec.warehouses if w.tier == "provincial"]
    backbones = [w for w in spec.warehouses if w.tier == "prefecture"]
    depots = [w for w in spec.warehouses if w.tier == "county"]
    # 1. the tiers: provincial core - each backbone - each county depot of its prefecture
    for p in provincial:
        for b in backbones:
            net.link(p.code, b.code, "provincial-backbone")
    for b in backbones:
        for c in depots:
            if by_code[c.region_code].parent_code == b.region_code:
                net.link(b.code, c.code, "backbone-depot")
    # 2. each warehouse to the region node it belongs to
    for w in spec.warehouses:
        net.link(w.code, w.region_code, "warehouse-region")
    counties = sorted(r.code for r in spec.regions if r.level == "county")
    towns_of = {
        c: sorted(r.code for r in spec.regions if r.level == "township" and r.parent_code == c)
        for c in counties
    }
    # 3. each county node to each of its townships
    for c in counties:
        for t in towns_of[c]:
            net.link(c, t, "county-township")
    # 4. k nearest county neighbours (alternative routes when a road closes)
    county_pairs = []
    for c in counties:
        for n in net.nearest(c, counties, spec.county_k):
            if net.link(c, n, "county-knn"):
                county_pairs.append((c, n))
    # 5. k nearest townships within a county
    for c in counties:
        for t in towns_of[c]:
            for n in net.nearest(t, towns_of[c], spec.township_k):
                net.link(t, n, "township-knn")
    # 6. between linked neighbouring counties, their closest pair of townships
    for a, b in county_pairs:
        if towns_of[a] and towns_of[b]:
            _, ta, tb = min((net.km(x, y), x, y) for x in towns_of[a] for y in towns_of[b])
            net.link(ta, tb, "township-cross-county")
    spec.network = net


def round_stock(q: Decimal) -> int:
    """Stock in round figures: to the nearest 10 from 100 up, else to the unit."""
    if q >= 100:
        return int(half_up(q / 10)) * 10
    return int(half_up(q))


def build_stock(spec: Spec, design: dict[str, int]) -> list[tuple[str, str, int, int]]:
    """Target stock = kit x design population; floor = the tier's share of the target."""
    rows = []
    for w in spec.warehouses:
        w.design_population = design[w.code]
        volume = Decimal(0)
        for item in [code for code in ITEMS if code in spec.kit]:
            per_person = spec.kit[item]
            if w.tier == "county" and item in spec.county_excluded:
                continue
            if (w.code, item) in spec.missing:
                continue
            target = round_stock(per_person * design[w.code])
            if target == 0:
                continue
            volume += target * Decimal(ITEMS[item][4])
            floor = int(half_up(target * FLOOR_SHARE[w.tier]))
            on_hand = floor + spec.low[(w.code, item)] if (w.code, item) in spec.low else target
            rows.append((w.code, item, on_hand, floor))
        # room for the target stock plus half again, in whole 100 m³
        w.capacity_m3 = max(
            100,
            int((volume * Decimal("1.5") / 100).to_integral_value(rounding=ROUND_CEILING)) * 100,
        )
    for key in list(spec.low) + list(spec.missing):
        if key[0] not in {w.code for w in spec.warehouses} or key[1] not in spec.kit:
            raise SystemExit(f"{spec.name}: unknown stock exception {key}")
    return rows


def design_population(
    spec: Spec, provincial: int, prefecture_share: Decimal, county_share: Decimal
) -> dict[str, int]:
    """People each warehouse is stocked for (北京 2013: the reserve covers 1 % of people)."""
    pop = {r.code: r.population for r in spec.regions}
    out = {}
    for w in spec.warehouses:
        if w.tier == "provincial":
            out[w.code] = provincial
        else:
            share = prefecture_share if w.tier == "prefecture" else county_share
            out[w.code] = int(half_up(share * pop[w.region_code]))
    return out


# ---------------------------------------------------------------------------- writers


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


class Quoted(str):
    """A scalar written in double quotes (codes, money): never read as a number."""


def yaml_value(v: object) -> str:
    """A YAML flow scalar or collection; strings other than Quoted are written bare."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {yaml_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list | tuple):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    if isinstance(v, Quoted):
        return '"' + str(v) + '"'
    return str(v)


REPORTING_LINES = [
    "reporting:   # 《自然灾害情况统计调查制度》 national defaults (statistics-and-programmes.md)",
    "  initial_h: 2                # 初报 within 2 h of learning of the disaster",
    "  escalate_dead_missing: 10   # 10+ dead or missing: straight to province and ministry",
    "  escalate_h: 2",
    "  update_due: {county: '09:00', city: '10:00', province: '12:00'}   # 续报, covering to 24:00 the day before",
    "  drought_update_days: 10     # drought 续报 every 10 days",
    "  final_working_days: 5       # 核报 within 5 working days of stable (county default)",
    "  holidays: []                # none listed: Monday-Friday only",
]


def write_policy(path: Path, spec: Spec) -> None:
    p = spec.policy
    lines = [
        "# Generated by scenarios/build.py. Sources and assumptions: README.md.",
        f"# {p['title']}",
        f"effective_from: {p['effective_from']}",
        "criteria:",
    ]
    lines += [f"  {name}: {yaml_value(list(fields))}" for name, fields in CRITERIA.items()]
    for name, share in p.get("share_criteria", {}).items():
        criterion = {
            "fields": list(share["fields"]),
            "share_of": share["share_of"],
            "within": share["within"],
            "label": share["label"],
        }
        lines.append(f"  {name}: {yaml_value(criterion)}   # {share['note']}")
    lines.append(f"thresholds:   # {p['thresholds_note']}")
    for level in (1, 2, 3, 4):
        lines.append(f"  {level}: {yaml_value(p['thresholds'][level])}")
    lines.append(f"deadlines_h: {yaml_value(p['deadlines_h'])}   # assumed")
    lines.append("response_deadlines_h:   # assumed")
    for key, value in p["response_deadlines_h"].items():
        lines.append(f"  {key}: {yaml_value(value)}")
    lines.append(f"cross_jurisdiction_levels: {yaml_value(p['cross_jurisdiction_levels'])}")
    lines.append(f"tier_penalty_ton_km: {yaml_value(p['tier_penalty_ton_km'])}")
    lines.append(f"cross_jurisdiction_penalty_ton_km: {p['cross_jurisdiction_penalty_ton_km']}")
    lines.append(
        f"loading_h: {p['loading_h']}   # assumed: hours from approval until the trucks leave"
    )
    lines.extend(REPORTING_LINES)
    lines.extend(p.get("temporary_relief_lines", []))  # 临时救助 (issue 15)
    lines.extend(p.get("winter_spring_lines", []))  # 冬春生活救助 (issue 15)
    lines.extend(p.get("distribution_lines", []))  # goods to households (issue 16)
    lines.extend(p.get("funds_lines", []))  # relief funds passed down (issue 16)
    lines.append("norms:")
    for item, basis, per_person, weight, note, *when in p["norms"]:
        norm = {"item": item, "basis": basis, "per_person": per_person, "priority_weight": weight}
        norm.update(*when)  # optional {"months": [...]} or {"season": ...}: when it applies
        lines.append(f"  - {yaml_value(norm)}   # {note}")
    lines.append("subsidies:")
    lines.append(f"  notice_days: {p['notice_days']}")
    if p.get("reference_standards"):
        lines.append("  reference_standards:   # what a share_of standard takes its percent of")
        for ref, note in p["reference_standards"]:
            lines.append(f"    - {yaml_value(ref)}   # {note}")
    lines.append("  programmes:")
    for prog in p["programmes"]:
        lines.append(f"    - code: {prog['code']}")
        lines.append(f"      name: {prog['name']}")
        lines.append(f"      kind: {prog['kind']}")
        lines.append(f"      region_code: {yaml_value(Quoted(prog['region_code']))}")
        if "event" in prog:
            lines.append(f"      event: {prog['event']}")
        lines.append(f"      budget: {yaml_value(Quoted(prog['budget']))}")
        if "supervision_phone" in prog:
            phone, note = prog["supervision_phone"]
            lines.append(f"      supervision_phone: {yaml_value(Quoted(phone))}   # {note}")
        if "eligibility" in prog:
            rule, note = prog["eligibility"]
            lines.append(f"      eligibility: {yaml_value(rule)}   # {note}")
        lines.append("      standards:")
        for std, note in prog["standards"]:
            lines.append(f"        - {yaml_value(std)}   # {note}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# The quick report's other figures of a shipped event (issue 14), derived from its ten counts
# by these ratios unless the event gives them: all assumed, none read in a source.
ROOM_LOSS_WAN = {"collapsed_rooms": "2", "severe_rooms": "0.8", "general_rooms": "0.1"}
CROP_LOSS_WAN_PER_HA = Decimal("0.3")


def quick_figures(hazard: str, counts: tuple[int, ...], given: dict) -> dict[str, object]:
    """The other figures of a report: derived from its ten counts (assumed ratios) unless
    `given` names them; crop figures are left out for a snowstorm (winter: none reported)."""
    c = dict(zip(COUNT_FIELDS, counts, strict=True))
    cent = Decimal("0.01")
    out: dict[str, object] = {}
    out["affected"] = 3 * (c["relocated"] + c["needing_aid"]) + 10 * (c["deaths"] + c["missing"])
    out["injured"] = 3 * (c["deaths"] + c["missing"])
    out["injured_severe"] = out["injured"] // 4
    out["evacuated"] = c["relocated"] * 3 // 2
    out["relocated_central"] = c["relocated"] * 2 // 5
    out["relocated_dispersed"] = c["relocated"] - out["relocated_central"]
    out["shelters"] = math.ceil(out["relocated_central"] / 200)
    out["needing_transitional_aid"] = 3 * (c["collapsed_households"] + c["severe_households"])
    for damage in ("collapsed", "severe", "general"):
        out[f"{damage}_dwelling_rooms"] = c[f"{damage}_rooms"] * 9 // 10
    out.update({k: v for k, v in given.items() if not k.startswith(("crop_", "loss_"))})
    crops: dict[str, Decimal] = {}
    if hazard != "snowstorm":
        affected_ha = Decimal(given.get("crop_affected_ha", Decimal(out["affected"]) / 20))
        crops["crop_affected_ha"] = affected_ha.quantize(Decimal("0.1"))
        crops["crop_damaged_ha"] = (crops["crop_affected_ha"] * Decimal("0.45")).quantize(cent)
        crops["crop_lost_ha"] = (crops["crop_damaged_ha"] * Decimal("0.3")).quantize(cent)
        for stage in ("affected", "damaged", "lost"):
            crops[f"crop_{stage}_grain_ha"] = (crops[f"crop_{stage}_ha"] * Decimal("0.6")).quantize(
                cent
            )
    housing = sum(
        (Decimal(per) * c[name] for name, per in ROOM_LOSS_WAN.items()), Decimal(0)
    ).quantize(cent)
    losses = {
        "loss_housing": housing,
        "loss_agriculture": (
            crops.get("crop_damaged_ha", Decimal(0)) * CROP_LOSS_WAN_PER_HA
        ).quantize(cent),
        "loss_industry": (housing * Decimal("0.2")).quantize(cent),
        "loss_infrastructure": (housing * Decimal("0.8")).quantize(cent),
        "loss_public_services": (housing * Decimal("0.15")).quantize(cent),
        "loss_other": (housing * Decimal("0.05")).quantize(cent),
    }
    out.update(crops)
    out["loss_total"] = sum(losses.values(), Decimal(0))
    out.update(losses)
    return out


# The reason the shipped 续报s give (the events are fictitious; so is the reason).
EXPLANATION = "核实后更新：灾情发展，补报新增受灾村组（虚构事件，假定）"
JUMP_SHARE = Decimal("0.5")  # policy update_jump_share's default (relief.emergency.figures)


def moves_much(previous: dict[str, object], current: dict[str, object]) -> bool:
    """Whether a 续报 lowers a figure of the region's previous report or raises it by more
    than JUMP_SHARE of it (relief.emergency.figures.jumps)."""
    for name, after in current.items():
        before = previous.get(name)
        if name in ("region_code", "kind", "reported_at") or before is None:
            continue
        old, new = Decimal(str(before)), Decimal(str(after))
        if new < old or new - old > JUMP_SHARE * old:
            return True
    return False


def write_event(path: Path, event: dict) -> None:
    lines = [
        "# Generated by scenarios/build.py. A fictitious event; counts are assumptions "
        "(README.md).",
        "# The quick report's other figures (affected … loss_other) are assumed: derived from",
        "# the ten counts by build.py's quick_figures ratios unless the event gives them.",
        f"name: {event['name']}",
        f"hazard: {event['hazard']}",
        f"started_at: {event['started_at']}",
        f"region_codes: {yaml_value([Quoted(c) for c in event['region_codes']])}",
    ]
    if event.get("closed_roads"):
        pairs = [[Quoted(a), Quoted(b)] for a, b in event["closed_roads"]]
        lines.append(f"closed_roads: {yaml_value(pairs)}   # {event['closed_note']}")
    lines.append("reports:")
    written = []
    for code, kind, at, counts, *given in event["reports"]:
        report = {"region_code": Quoted(code), "kind": kind, "reported_at": at}
        report.update(zip(COUNT_FIELDS, counts, strict=True))
        report.update(quick_figures(event["hazard"], counts, given[0] if given else {}))
        written.append(report)
    before: dict[str, dict[str, object]] = {}
    for report in sorted(written, key=lambda r: str(r["reported_at"])):  # in time order
        code = str(report["region_code"])
        if report["kind"] == "update" and moves_much(before.get(code, {}), report):
            # A 续报 that moves a figure much gives the reason, as a posted one must (issue 14).
            report["explanation"] = EXPLANATION
        before[code] = report
    lines += [f"  - {yaml_value(report)}" for report in written]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


# ---------------------------------------------------------------------------- checks


def latest_totals(event: dict, shares: dict | None = None) -> dict[str, int]:
    """Sums of the latest report of each region (greatest reported_at; ties: later line);
    each share criterion as a per cent of its `denominator`."""
    shares = shares or {}
    cent = Decimal("0.01")
    latest: dict[str, tuple[str, int, tuple]] = {}
    for seq, (code, _kind, at, counts, *given) in enumerate(event["reports"]):
        if code not in latest or (at, seq) >= latest[code][:2]:
            latest[code] = (at, seq, counts, given[0] if given else {})
    totals = dict.fromkeys(COUNT_FIELDS, 0)
    for _, _, counts, given in latest.values():
        for f, n in zip(COUNT_FIELDS, counts, strict=True):
            totals[f] += n
        for f, n in given.items():
            totals[f] = totals.get(f, 0) + n
    for name, fields in CRITERIA.items():
        totals[name] = sum(totals[f] for f in fields)
    for name, share in shares.items():
        # Per cent of the denominator, rounded down to 0.01 (as relief's assessment does).
        part = sum(totals.get(f, 0) for f in share["fields"])
        totals[name] = float(
            (Decimal(part) * 100 / share["denominator"]).quantize(cent, rounding=ROUND_FLOOR)
        )
    return totals


def recommended_level(totals: dict[str, int], thresholds: dict[int, dict[str, int]]) -> int | None:
    reached = [
        lvl
        for lvl, crit in thresholds.items()
        if any(totals[name] >= value for name, value in crit.items())
    ]
    return min(reached) if reached else None


def check_event(spec: Spec, stem: str, event: dict) -> None:
    """Refuse what the loader would refuse: unknown codes, a region and its ancestor."""
    regions = {r.code: r for r in spec.regions}

    def ancestors(code: str) -> set[str]:
        out = set()
        while regions[code].parent_code:
            code = regions[code].parent_code
            out.add(code)
        return out

    reported = sorted({code for code, *_ in event["reports"]})
    for code in reported:
        if code not in regions:
            raise SystemExit(f"{spec.name}/{stem}: unknown region {code}")
        if not ({code} | ancestors(code)) & set(event["region_codes"]):
            raise SystemExit(f"{spec.name}/{stem}: {code} is outside the event's regions")
        if ancestors(code) & set(reported):
            raise SystemExit(f"{spec.name}/{stem}: {code} reported with an ancestor")
    for a, b in event.get("closed_roads", []):
        if not spec.network.has(a, b):
            raise SystemExit(f"{spec.name}/{stem}: no road {a} - {b} to close")


# ---------------------------------------------------------------------------- build


def build(spec: Spec, stock: list[tuple[str, str, int, int]]) -> None:
    out = HERE / spec.name
    regions = spec.regions
    write_csv(
        out / "regions.csv",
        ["code", "name", "level", "parent_code", "lat", "lon", "population", "rural_population"],
        [
            [
                r.code,
                r.name,
                r.level,
                r.parent_code,
                f"{r.lat:.6f}",
                f"{r.lon:.6f}",
                "" if r.population is None else r.population,
                "" if r.rural_population is None else r.rural_population,
            ]
            for r in regions
        ],
    )
    write_csv(
        out / "warehouses.csv",
        ["code", "name", "tier", "region_code", "lat", "lon", "capacity_m3"],
        [
            [w.code, w.name, w.tier, w.region_code, f"{w.lat:.6f}", f"{w.lon:.6f}", w.capacity_m3]
            for w in spec.warehouses
        ],
    )
    write_csv(
        out / "roads.csv",
        ["id", "from_code", "to_code", "distance_km", "travel_time_h", "status"],
        [
            [r.id, r.from_code, r.to_code, r.distance_km, r.travel_time_h, "open"]
            for r in spec.network.roads
        ],
    )
    write_csv(
        out / "items.csv",
        ["code", "name_zh", "name_en", "unit", "weight_kg", "volume_m3", "category"],
        [[code, *ITEMS[code]] for code in ITEMS if code in spec.kit],
    )
    write_csv(
        out / "stock.csv",
        ["warehouse_code", "item_code", "on_hand", "floor"],
        [list(row) for row in stock],
    )
    # The scenario's code scopes its events and keys its policy in a database (SCENARIOS.md).
    (out / "scenario.yaml").write_text(
        "# Generated by scenarios/build.py. The scenario's code: its events are known as\n"
        f"# {spec.name}/STEM and its policy versions by this code, whatever the folder is called.\n"
        f"code: {spec.name}\n",
        encoding="utf-8",
    )
    write_policy(out / "policy.yaml", spec)
    for old in sorted((out / "events").glob("*.yaml")):
        if old.stem not in spec.events:
            old.unlink()
    for stem, event in spec.events.items():
        check_event(spec, stem, event)
        write_event(out / "events" / f"{stem}.yaml", event)


def summarise(spec: Spec, stock: list[tuple[str, str, int, int]]) -> None:
    levels: dict[str, int] = {}
    for r in spec.regions:
        levels[r.level] = levels.get(r.level, 0) + 1
    kinds: dict[str, int] = {}
    for road in spec.network.roads:
        kinds[road.kind] = kinds.get(road.kind, 0) + 1
    print(
        f"== {spec.name}: regions {levels}; warehouses {len(spec.warehouses)}; "
        f"roads {len(spec.network.roads)} {kinds}; items {len(spec.kit)}; "
        f"stock rows {len(stock)}"
    )
    print(f"   thresholds {spec.policy['thresholds']}")
    for r in spec.regions:
        if r.approximate:
            print(
                f"   approximate point {r.code} {r.name} ({r.lat:.6f}, {r.lon:.6f}): "
                f"{r.approximate}"
            )
    for w in spec.warehouses:
        print(
            f"   warehouse {w.code} {w.name}: design population {w.design_population}, "
            f"capacity {w.capacity_m3} m³"
        )
    available: dict[str, int] = {}
    for _, item, on_hand, floor in stock:
        available[item] = available.get(item, 0) + on_hand - floor
    for stem, event in spec.events.items():
        shares = spec.policy.get("share_criteria", {})
        totals = latest_totals(event, shares)
        level = recommended_level(totals, spec.policy["thresholds"])
        crit = {k: totals[k] for k in (*CRITERIA, *shares)}
        print(f"   event {stem}: level {level}; {crit}")
        demand: dict[str, int] = {}
        month = int(event["started_at"][5:7])
        for item, basis, per_person, _, _, *when in spec.policy["norms"]:
            months = when[0].get("months", range(1, 13)) if when else range(1, 13)
            if month not in months:  # a norm of another season (e.g. coats in winter)
                continue
            demand[item] = demand.get(item, 0) + math.ceil(Decimal(str(per_person)) * totals[basis])
        short = {
            i: f"{available.get(i, 0)}/{d}" for i, d in demand.items() if available.get(i, 0) < d
        }
        print(f"     all stock above floor / demand where short: {short or 'none'}")


def main() -> None:
    for spec in (hohhot_spec(), guizhou_spec()):
        build_warehouses(spec)
        build_network(spec)
        stock = build_stock(spec, spec.design(spec))
        build(spec, stock)
        summarise(spec, stock)


# ---------------------------------------------------------------------------- data


def reports(table: str) -> list[tuple[str, str, str, tuple[int, ...]]]:
    """Reports from a table: region, kind, local date and time (+08:00), the ten counts.

    Count columns in COUNT_FIELDS order: deaths, missing, relocated, needing_aid, then
    collapsed, severe and general damage as (households, rooms).
    """
    out = []
    for line in table.strip().splitlines():
        cells = line.split()
        if not cells or cells[0].startswith("#"):
            continue
        code, kind, day, time, *counts = cells
        if len(counts) != len(COUNT_FIELDS):
            raise SystemExit(f"report {code} {day} {time}: {len(counts)} counts")
        out.append((code, kind, f"{day}T{time}:00+08:00", tuple(int(n) for n in counts)))
    return out


def money(yuan: int) -> Quoted:
    return Quoted(f"{Decimal(yuan):.2f}")


CENTRAL_TRANSITION = "central 过渡期 20 yuan/person/day (S) x 30 days, 3 months; date assumed"
# 过渡期生活救助 is for people whose house collapsed or was severely damaged (S35, S; the
# plan's 6.1.1 names two more groups, not modelled here): the grain programmes' eligibility.
TRANSITION_ELIGIBILITY = (
    {"damage": ["collapsed", "severe"]},
    "过渡期: 因灾房屋倒塌或严重损坏无房可住 (S35, S)",
)
QXN_2018 = "黔西南 2018 (V)"
QXN_ASSUMED = "assumed: the 黔西南 2018 amounts"


def rebuild(
    effective_from: str,
    damage: str,
    per_household: int,
    *,
    category: str | None = None,
    per_room: int | None = None,
    note: str = "assumed",
) -> tuple[dict, str]:
    """A rebuild standard (yuan) and the comment that says where it comes from."""
    std = {"effective_from": effective_from, "damage": damage}
    if category:
        std["category"] = category
    std["per_household"] = money(per_household)
    if per_room is not None:
        std["per_room"] = money(per_room)
    return std, note


def grain(
    effective_from: str,
    months: int,
    *,
    per_person_month: int | None = None,
    kg: int | None = None,
    price_per_kg: int | None = None,
    note: str = "assumed",
) -> tuple[dict, str]:
    """A grain standard: yuan per person and month, or kg per person and month x price."""
    std: dict = {"effective_from": effective_from}
    if per_person_month is not None:
        std["per_person_month"] = money(per_person_month)
    else:
        std["per_person_month_kg"] = kg
        std["price_per_kg"] = money(price_per_kg)
    std["months"] = months
    return std, note


def living(effective_from: str, note: str = "assumed", **fields: object) -> tuple[dict, str]:
    """A standard of a living kind (过渡期, 冬春, 临时救助): one basis among `fields`
    (yuan as int, kg, percent, months, flags as given) and where it comes from."""
    std: dict = {"effective_from": effective_from}
    for key, value in fields.items():
        money_field = key in ("per_household", "per_person", "per_person_month", "price_per_kg")
        if (money_field or key == "cap_per_household") and not isinstance(value, bool):
            value = money(value)  # type: ignore[arg-type]
        std[key] = value
    return std, note


def reference(
    code: str, name: str, region_code: str, yuan: int, effective_from: str, source: str
) -> tuple[dict, str]:
    """A policy reference standard (yuan per person and month, for a region and the
    regions under it) and its source."""
    ref = {
        "code": code,
        "name": name,
        "region_code": Quoted(region_code),
        "per_person_month": money(yuan),
        "effective_from": effective_from,
        "source": source,
    }
    return ref, source


# 冬春: households in the county's needs survey (台账) from late September (V); the rule is
# checked once the survey exists (issue 15, the 冬春 part).
WINTER_ELIGIBILITY = ({"in_survey": True}, "冬春: the county's 需救助台账 (V)")
# A programme of a named season takes that season's survey only (2026 = 2026—2027).
WINTER_ELIGIBILITY_2026 = (
    {"in_survey": True, "season": 2026},
    "冬春: the county's 需救助台账 (V) of the 2026—2027 season",
)
WINTER_MIN = "at least 150 元/person (重庆南川、綦江, V), used as the amount: assumed"
TEMPORARY_RULE = "临时救助: local urban 低保 standard x 1-6 months (Guizhou plan)"
TEMPORARY_RAISE = "raised 10-30 % by category (Guizhou plan); which category gets which: assumed"


TEMPORARY_CLOCK_LINES = [
    "  help_first_hours: 24   # help first within 24 h of the application: Shandong 2019 (V); 楚雄 48 h",
    "  paperwork_working_days: 5   # review and approval within 5 working days after help first: 楚雄, Shandong 2019 (V)",
    "  support_township_working_days: 10   # 支出型: township investigation and notice, 10 working days: 楚雄 (V)",
    "  support_county_working_days: 10   # 支出型: then the county's approval, 10 working days: 楚雄 (V)",
    "  notice_days: 3   # public notice of a 临时救助 case: assumed (no length in the sources); fits the 5 working days of paperwork after help first",
    "  holidays: []   # none listed: Monday-Friday only",
    "  backdate_days: 90   # assumed (no figure read): an application date may be recorded up to 90 days back (old paper cases entered late); older or future dates are refused",
    "  causes:   # the coded causes (once a year per cause): 急难型 fire, traffic and other accidents, grave illness; 支出型 sudden medical or schooling costs: 国发〔2014〕47号 (R, statistics-and-programmes.md §临时救助); the list and its words assumed",
    "    - {code: fire, zh: 火灾, en: fire}",
    "    - {code: traffic, zh: 交通事故, en: traffic accident}",
    "    - {code: accident, zh: 意外事故, en: other accident}",
    "    - {code: illness, zh: 重大疾病, en: grave illness}",
    "    - {code: disaster, zh: 自然灾害, en: natural disaster}",
    "    - {code: medical_costs, zh: 医疗支出骤增, en: sudden medical costs}",
    "    - {code: school_costs, zh: 教育支出骤增, en: sudden schooling costs}",
    "    - {code: other, zh: 其他, en: other}",
]


def hohhot_spec() -> Spec:
    d = Decimal
    policy = {
        "title": "呼和浩特市 市级自然灾害救助应急响应 (city level; thresholds assumed)",
        "temporary_relief_lines": [
            "temporary_relief:   # 临时救助 (issue 15)",
            '  delegated_limit: "3000.00"   # townships approve up to it: Shandong 2019 3,000 (V, statistics-and-programmes.md); assumed here',
            "  reserve_fund_initial:   # county code: each of its townships' reserve fund (备用金) to start with",
            '    "150102": "20000.00"   # assumed: 新城区, no figure read',
            '  cap: "20000.00"   # assumed: one case at most (Guizhou allows 50,000 for complex cases)',
            *TEMPORARY_CLOCK_LINES,
        ],
        "winter_spring_lines": [
            "winter_spring:   # 冬春生活救助 (issue 15); stored in the database when the scenario loads",
            '  region_code: "150100"',
            '  survey_from: "09-20"   # the county surveys from late September (V, statistics-and-programmes.md); the day is assumed',
            '  totals_due: "10-15"   # county totals to the city by 15 October (V)',
            "  season_months: [12, 1, 2, 3, 4, 5]   # December to May of the next year (V)",
            '  single_crop_counties: ["150121", "150122", "150123", "150124", "150125"]   # season to July in single-crop areas (V); which counties: assumed (the rural 旗县)',
            '  min_per_person: "150.00"   # at least 150 元 per person in some counties (重庆南川、綦江, V); used for Hohhot: assumed',
            '  source: "statistics-and-programmes.md §冬春受灾人员生活救助 (V); Hohhot values assumed"',
        ],
        "distribution_lines": [
            "distribution:   # goods to households (发放到户, issue 16)",
            "  nothing_after_days: 3   # assumed (no figure read): households given nothing 3 days after the goods reached the township are listed",
        ],
        "funds_lines": [
            "funds:   # relief funds passed down (资金下拨, issue 16)",
            "  pass_down_days: 10   # assumed: 呼政办发〔2017〕23号 says only 第一时间 (no number of days read)",
            "  weights:   # the split by need: yuan per person needing aid and per damaged household; extra weight of 低保 / 建档立卡 households",
            '    per_person: "1000.00"   # assumed',
            '    collapsed: "25000.00"   # the 2025 rebuild standard per collapsed household (subsidies below, assumed)',
            '    severe: "25000.00"   # the 2025 rebuild standard per severely damaged household (assumed)',
            '    general: "2000.00"   # the 2025 repair standard per household (assumed)',
            '    dibao: "0.5"   # assumed',
            '    poverty_registered: "0.5"   # assumed',
            "  assumed: true",
            '  source: "assumed: no allocation formula read; house amounts follow this policy\'s rebuild standards"',
        ],
        "effective_from": "2024-01-20",
        "thresholds_note": "geometric between county level-2 (S32) and national level IV",
        "thresholds": {lvl: {} for lvl in (1, 2, 3, 4)},
        "deadlines_h": {1: 8, 2: 10, 3: 12, 4: 12},
        "response_deadlines_h": {
            "situation_report": {1: 12, 2: 24, 3: 24, 4: 24},
            "funds_allocated": {1: 48, 2: 72, 3: 72, 4: 96},
        },
        "cross_jurisdiction_levels": [1, 2],
        "tier_penalty_ton_km": {"county": 0, "prefecture": 20, "provincial": 60},
        "cross_jurisdiction_penalty_ton_km": 30,
        "loading_h": 2,
        "norms": [
            ("water", "relocated", "9", 10, "3 L/person/day (Sphere survival 2.5-3 L) x 3 days"),
            ("rice", "relocated", "1.5", 10, "0.5 kg (1 斤)/person/day x 3 days"),
            ("rice", "needing_aid", "1.5", 10, "0.5 kg/person/day x 3 days"),
            (
                "tent",
                "relocated",
                "0.2",
                8,
                "with cotton_tent and yurt: shelter for all relocated at 4.5 m²/person",
            ),
            ("cotton_tent", "relocated", "0.15", 8, "12 m² / 4.5 m² = 2.6 persons per tent"),
            ("yurt", "relocated", "0.01", 8, "about 8 persons per yurt"),
            ("quilt", "relocated", "1", 6, "1 quilt per relocated person"),
            (
                "coat",
                "relocated",
                "1",
                6,
                "1 件棉衣/人 (黔西南 冬春 rule), in the heating season (10-15 to 04-15) only",
                {"months": [10, 11, 12, 1, 2, 3, 4]},
            ),
            (
                "stove",
                "relocated",
                "0.16",
                6,
                "1 per cotton tent or yurt, in the heating season only",
                {"months": [10, 11, 12, 1, 2, 3, 4]},
            ),
            ("toilet", "relocated", "0.05", 5, "1 per 20 persons"),
            ("folding_bed", "relocated", "0.5", 4, "1 per 2 relocated persons"),
            ("blanket", "relocated", "0.5", 4, "1 per 2 relocated persons"),
            ("tarp", "general_households", "1", 3, "1 sheet per damaged house to cover it"),
            ("floodlight", "relocated", "0.005", 2, "1 set per 200 persons (one site)"),
        ],
        "notice_days": 7,
        "programmes": [
            {
                "code": "HHHT-REBUILD-2026-FLOOD",
                "name": "呼和浩特市2026年山洪倒损住房恢复重建补助",
                "kind": "rebuild",
                "region_code": "150100",
                "event": "flashflood",
                "budget": money(30_000_000),
                "supervision_phone": (
                    "0471-6901234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "standards": [
                    rebuild("2008-02-28", "collapsed", 3000, note="central 2008: 2 x 1,500 (V)"),
                    rebuild("2025-01-01", "collapsed", 35000, category="dibao"),
                    rebuild("2025-01-01", "collapsed", 25000),
                    rebuild("2025-01-01", "severe", 35000, category="dibao"),
                    rebuild("2025-01-01", "severe", 25000),
                    rebuild("2025-01-01", "general", 2000, per_room=1000),
                ],
            },
            {
                "code": "HHHT-GRAIN-2026-SNOW",
                "name": "呼和浩特市2026年雪灾过渡期生活救助",
                "kind": "transitional",
                "region_code": "150100",
                "event": "snowstorm",
                "budget": money(1_000_000),
                "supervision_phone": (
                    "0471-6901234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "eligibility": TRANSITION_ELIGIBILITY,
                "standards": [
                    grain("2020-01-01", 3, per_person_month=600, note=CENTRAL_TRANSITION),
                    grain("2025-10-01", 3, per_person_month=900, note="assumed: 30 yuan/day"),
                ],
            },
            {
                "code": "HHHT-WINTER-2026",
                "name": "呼和浩特市2026-2027年度冬春受灾人员生活救助",
                "kind": "winter_spring",
                "region_code": "150100",
                "budget": money(2_000_000),
                "supervision_phone": (
                    "0471-6901234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "eligibility": WINTER_ELIGIBILITY_2026,
                "standards": [living("2025-10-01", WINTER_MIN, per_person=150)],
            },
            {
                "code": "HHHT-TEMP",
                "name": "呼和浩特市临时救助",
                "kind": "temporary",
                "region_code": "150100",
                "budget": money(500_000),
                "supervision_phone": (
                    "0471-6901234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "standards": [
                    living(
                        "2025-01-01",
                        f"{TEMPORARY_RULE}, used for Hohhot: assumed; per household; cap assumed",
                        share_of="dibao_urban",
                        percent=100,
                        months=6,
                        per_household=True,
                        cap_per_household=20_000,
                    ),
                ],
            },
        ],
        "reference_standards": [
            reference(
                "dibao_urban",
                "呼和浩特市城市居民最低生活保障标准",
                "150100",
                1000,
                "2025-01-01",
                "assumed (no 低保 notice in the sources)",
            ),
        ],
    }
    for name in CRITERIA:
        for lvl, value in ladder(COUNTY_LEVEL_2[name], NATIONAL_IV[name]).items():
            policy["thresholds"][lvl][name] = value

    def design(spec: Spec) -> dict[str, int]:
        # the Hohhot core is one of Inner Mongolia's regional warehouses: 20,000 people
        # (assumed); the city's 1 % (3,446,100 people) split 0.6 % backbone, 0.4 % counties
        return design_population(spec, 20_000, d("0.006"), d("0.004"))

    snowstorm = {
        "name": "2026年1月武川县及大青山北麓暴雪（白灾）",
        "hazard": "snowstorm",
        "started_at": "2026-01-17T20:00:00+08:00",
        "region_codes": ["150125", "150102101", "150105101", "150121103"],
        "closed_roads": [("WH-150100-B", "WH-150125-C"), ("150102", "150125")],
        "closed_note": "大青山 passes snowed in: backbone-武川 depot and 新城区-武川县",
        "reports": reports(
            """
            # region  kind    reported at      dead miss reloc aid c_hh c_rm s_hh s_rm g_hh g_rm
            150125100 initial 2026-01-18 08:00    0    0    60 300    2    5    5   12   40   90
            150125101 initial 2026-01-18 08:30    0    1   120 300    3    8    6   15   30   70
            150125102 initial 2026-01-18 09:00    0    0   130 320    3    7    7   18   35   80
            150125200 initial 2026-01-18 09:00    0    0    70 160    1    3    3    8   15   35
            150125205 initial 2026-01-18 09:30    0    0    90 210    2    5    4   10   20   48
            150125207 initial 2026-01-18 09:30    0    0    60 150    1    3    3    7   14   30
            150125211 initial 2026-01-18 10:00    0    1   110 240    2    6    5   13   22   50
            150125213 initial 2026-01-18 10:00    0    0   100 220    2    5    4   10   20   45
            150125214 initial 2026-01-18 10:30    0    0    80 170    1    3    3    8   16   36
            150102101 initial 2026-01-18 11:00    0    0    60 230    1    2    3    7   18   40
            150105101 initial 2026-01-18 11:00    0    0    50 210    1    2    2    5   15   32
            150121103 initial 2026-01-18 11:30    0    0    40 180    1    2    2    5   12   28
            150125100 update  2026-01-19 10:00    0    0    90 380    3    8    8   20   60  140
            150125101 update  2026-01-19 18:00    1    0   160 360    4   10    8   20   42   95
            150125102 update  2026-01-19 18:00    0    0   170 410    4   10    9   22   50  110
            150125211 update  2026-01-19 18:30    0    1   150 300    3    8    6   16   30   70
            """
        ),
    }
    flashflood = {
        "name": "2026年7月大青山南麓暴雨山洪",
        "hazard": "flood",
        "started_at": "2026-07-28T03:00:00+08:00",
        "region_codes": ["150102", "150103100", "150105", "150121"],
        "closed_roads": [("150102", "150102101")],
        "closed_note": "the road from 新城区 to 保合少镇 washed out",
        "reports": reports(
            """
            # region  kind    reported at      dead miss reloc  aid c_hh c_rm s_hh s_rm g_hh g_rm
            150102101 initial 2026-07-28 06:00    1    3  1800 1200   30   80   60  150  200  480
            150121101 initial 2026-07-28 06:30    0    2  1500 1000   25   60   40  100  180  420
            150103100 initial 2026-07-28 07:00    1    1  2100 1600   35   90   70  170  300  700
            150102006 initial 2026-07-28 07:00    0    0  1800 1500    5   10   20   50  300  600
            150102401 initial 2026-07-28 07:30    1    0  1500 1200    4    9   18   42  260  520
            150102008 initial 2026-07-28 07:30    0    0  1200 1000    3    7   15   35  210  430
            150105101 initial 2026-07-28 08:00    1    0  1600 1400   30   75   55  140  240  560
            150105103 initial 2026-07-28 08:00    0    0   900  900   15   40   30   75  150  340
            150105007 initial 2026-07-28 08:30    0    0  1300 1100    3    8   14   34  200  410
            150121100 initial 2026-07-28 08:30    0    0  1500 1300   20   50   45  110  240  560
            150121103 initial 2026-07-28 09:00    1    1  1700 1300   35   90   60  150  260  610
            150121104 initial 2026-07-28 09:00    0    0   700  600   12   30   25   60  120  280
            150102101 update  2026-07-28 18:00    2    1  3200 2100   60  150  110  280  420 1000
            150121101 update  2026-07-28 19:00    1    1  2300 1700   45  115   80  200  330  780
            150102101 final   2026-07-31 17:00    2    1  3200 2100   60  150  110  280  420 1000
            """
        ),
    }
    kit = {
        "tent": d("0.05"),
        "cotton_tent": d("0.04"),
        "yurt": d("0.002"),
        "stove": d("0.05"),
        "tarp": d("0.1"),
        "quilt": d("1"),
        "blanket": d("0.3"),
        "sleeping_bag": d("0.1"),
        "folding_bed": d("0.25"),
        "coat": d("0.6"),
        "rice": d("3"),
        "water": d("2"),
        "floodlight": d("0.003"),
        "toilet": d("0.01"),
    }
    spec = Spec(
        name="hohhot",
        circuity=d("1.3"),
        speed_kmh=d("60"),
        county_k=3,
        township_k=2,
        kit=kit,
        county_excluded=frozenset({"yurt", "floodlight"}),
        missing=frozenset(
            {
                ("WH-150124-C", "cotton_tent"),
                ("WH-150103-C", "stove"),
                ("WH-150104-C", "toilet"),
                ("WH-150123-C", "sleeping_bag"),
            }
        ),
        low={
            ("WH-150125-C", "quilt"): 2,
            ("WH-150124-C", "tent"): 0,
            ("WH-150122-C", "water"): 10,
            ("WH-150121-C", "stove"): 0,
        },
        design=design,
        policy=policy,
        events={"snowstorm": snowstorm, "flashflood": flashflood},
    )
    spec.regions = build_hohhot_regions()
    return spec


def guizhou_spec() -> Spec:
    d = Decimal
    policy = {
        "title": "贵州省 省级自然灾害救助应急响应 (provincial level; thresholds assumed)",
        "temporary_relief_lines": [
            "temporary_relief:   # 临时救助 (issue 15); no initial reserve fund given: none is seeded",
            '  delegated_limit: "3000.00"   # townships approve up to it: Shandong 2019 3,000 (V, statistics-and-programmes.md); assumed here',
            '  cap: "50000.00"   # complex cases up to 50,000 元: Guizhou plan (statistics-and-programmes.md, 临时救助 seed)',
            *TEMPORARY_CLOCK_LINES,
        ],
        "winter_spring_lines": [
            "winter_spring:   # 冬春生活救助 (issue 15); stored in the database when the scenario loads",
            '  region_code: "520000"',
            '  survey_from: "09-20"   # the county surveys from late September (V, statistics-and-programmes.md); the day is assumed',
            '  totals_due: "10-15"   # county totals to the city by 15 October (V)',
            "  season_months: [12, 1, 2, 3, 4, 5]   # December to May of the next year (V)",
            "  single_crop_counties: []   # assumed: none listed (Guizhou mostly grows two crops a year)",
            '  min_per_person: "150.00"   # at least 150 元 per person in some counties (重庆南川、綦江, V); used for Guizhou: assumed',
            '  source: "statistics-and-programmes.md §冬春受灾人员生活救助 (V); Guizhou values assumed"',
        ],
        "funds_lines": [
            "funds:   # relief funds passed down (资金下拨, issue 16)",
            "  pass_down_days: 10   # assumed: no number of days read",
            "  weights:   # the split by need: yuan per person needing aid and per damaged household; extra weight of 低保 / 建档立卡 households",
            '    per_person: "1000.00"   # assumed',
            '    collapsed: "30000.00"   # the 2025 rebuild standard per collapsed household (subsidies below, assumed)',
            '    severe: "30000.00"   # the 2025 rebuild standard per severely damaged household (assumed)',
            '    general: "5000.00"   # the repair standard per household (subsidies below; 5,000 assumed)',
            '    dibao: "0.5"   # more weight where 低保 households are many (贵州 2017 方案, V); the figure is assumed',
            '    poverty_registered: "0.5"   # the same for 建档立卡 households; the figure is assumed',
            "  assumed: true",
            '  source: "贵州省深度贫困地区民政兜底脱贫攻坚行动实施方案 (2017, policy-reference.md, V): raise the relief of 低保 and 建档立卡 households, no figures; the weights are assumed"',
        ],
        "effective_from": "2024-01-20",
        "thresholds_note": "geometric between half national level IV and national level III",
        "thresholds": {lvl: {} for lvl in (1, 2, 3, 4)},
        "deadlines_h": {1: 8, 2: 10, 3: 12, 4: 12},
        "response_deadlines_h": {
            "situation_report": {1: 12, 2: 24, 3: 24, 4: 24},
            "funds_allocated": {1: 48, 2: 72, 3: 72, 4: 96},
        },
        "cross_jurisdiction_levels": [1, 2],
        "tier_penalty_ton_km": {"county": 0, "prefecture": 20, "provincial": 60},
        "cross_jurisdiction_penalty_ton_km": 30,
        "loading_h": 2,
        "norms": [
            ("water", "relocated", "9", 10, "3 L/person/day (Sphere survival 2.5-3 L) x 3 days"),
            ("rice", "relocated", "1.5", 10, "0.5 kg (1 斤)/person/day x 3 days"),
            ("rice", "needing_aid", "1.5", 10, "0.5 kg/person/day x 3 days"),
            ("tent", "relocated", "0.3", 8, "12 m² / 3.5 m² (Sphere) = 3.4 persons per tent"),
            ("quilt", "relocated", "0.5", 6, "1-2 床/户 (黔西南 2018): 1 per 2 persons"),
            ("toilet", "relocated", "0.05", 5, "1 per 20 persons"),
            ("folding_bed", "relocated", "0.5", 4, "1 per 2 relocated persons"),
            ("blanket", "relocated", "0.5", 4, "1 per 2 relocated persons"),
            ("tarp", "general_households", "1", 3, "1 sheet per damaged house to cover it"),
            ("floodlight", "relocated", "0.005", 2, "1 set per 200 persons (one site)"),
        ],
        "notice_days": 7,
        "programmes": [
            {
                "code": "QXN-REBUILD",
                "name": "黔西南州因灾倒损民房恢复重建补助",
                "kind": "rebuild",
                "region_code": "522300",
                "event": "landslide",
                "budget": money(4_500_000),
                "supervision_phone": (
                    "0859-3221234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "standards": [
                    rebuild("2018-01-01", "collapsed", 30000, category="dibao", note=QXN_2018),
                    rebuild("2018-01-01", "collapsed", 20000, note=QXN_2018),
                    rebuild("2018-01-01", "severe", 30000, category="dibao", note=QXN_2018),
                    rebuild("2018-01-01", "severe", 20000, note=QXN_2018),
                    rebuild("2018-01-01", "general", 5000, note="up to 10,000 (V); 5,000 assumed"),
                    rebuild("2025-01-01", "collapsed", 40000, category="dibao"),
                    rebuild("2025-01-01", "collapsed", 30000),
                    rebuild("2025-01-01", "severe", 40000, category="dibao"),
                    rebuild("2025-01-01", "severe", 30000),
                    rebuild("2025-01-01", "general", 8000),
                ],
            },
            {
                # Was one grain programme mixing the 冬春 food rule (1 斤 a day, up to 6
                # months) with 过渡期's 3 months (issue 15): the 冬春 rule keeps the code,
                # 过渡期 is QXN-TRANSITIONAL.
                "code": "QXN-GRAIN",
                "name": "黔西南州冬春受灾群众口粮救助",
                "kind": "winter_spring",
                "region_code": "522300",
                "event": "landslide",
                "budget": money(200_000),
                "supervision_phone": (
                    "0859-3221234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "eligibility": WINTER_ELIGIBILITY,
                "standards": [
                    living(
                        "2018-01-01",
                        "冬春 口粮 1 斤/person/day = 15 kg/month, up to 6 months (V); price assumed",
                        per_person_month_kg=15,
                        price_per_kg=6,
                        months=6,
                    ),
                ],
            },
            {
                "code": "QXN-TRANSITIONAL",
                "name": "黔西南州因灾过渡期生活救助",
                "kind": "transitional",
                "region_code": "522300",
                "event": "landslide",
                "budget": money(300_000),
                "supervision_phone": (
                    "0859-3221234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "eligibility": TRANSITION_ELIGIBILITY,
                "standards": [
                    living(
                        "2018-01-01",
                        "central 过渡期 20 yuan/person/day (S) x 30 days; 过渡期 ≤ 3 months (V); date assumed",
                        per_person_month=600,
                        months=3,
                    ),
                ],
            },
            {
                "code": "QDN-REBUILD-2026-FLOOD",
                "name": "黔东南州2026年洪涝倒损住房恢复重建补助",
                "kind": "rebuild",
                "region_code": "522600",
                "event": "flood",
                "budget": money(200_000_000),
                "supervision_phone": (
                    "0855-8221234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "standards": [
                    rebuild("2025-01-01", "collapsed", 30000, category="dibao", note=QXN_ASSUMED),
                    rebuild("2025-01-01", "collapsed", 20000, note=QXN_ASSUMED),
                    rebuild("2025-01-01", "severe", 30000, category="dibao", note=QXN_ASSUMED),
                    rebuild("2025-01-01", "severe", 20000, note=QXN_ASSUMED),
                    rebuild("2025-01-01", "general", 5000),
                ],
            },
            {
                "code": "QDN-GRAIN-2026-FLOOD",  # the code kept: users' scripts use it
                "name": "黔东南州2026年洪涝过渡期生活救助",
                "kind": "transitional",
                "region_code": "522600",
                "event": "flood",
                "budget": money(40_000_000),
                "supervision_phone": (
                    "0855-8221234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "eligibility": TRANSITION_ELIGIBILITY,
                "standards": [
                    grain("2020-01-01", 3, per_person_month=600, note=CENTRAL_TRANSITION),
                ],
            },
            {
                "code": "QDN-TEMP",
                "name": "黔东南州临时救助",
                "kind": "temporary",
                "region_code": "522600",
                "budget": money(1_000_000),
                "supervision_phone": (
                    "0855-8221234",
                    "assumed: the civil-affairs office, fictitious",
                ),
                "standards": [
                    living(
                        "2025-01-01",
                        f"{TEMPORARY_RULE}; per household assumed; complex cases up to 50,000",
                        share_of="dibao_urban",
                        percent=100,
                        months=6,
                        per_household=True,
                        cap_per_household=50_000,
                    ),
                    living(
                        "2025-01-01",
                        TEMPORARY_RAISE,
                        category="dibao",
                        share_of="dibao_urban",
                        percent=110,
                        months=6,
                        per_household=True,
                        cap_per_household=50_000,
                    ),
                    living(
                        "2025-01-01",
                        TEMPORARY_RAISE,
                        category="tekun",
                        share_of="dibao_urban",
                        percent=130,
                        months=6,
                        per_household=True,
                        cap_per_household=50_000,
                    ),
                ],
            },
        ],
        "reference_standards": [
            reference(
                "dibao_urban",
                "黔东南州城市居民最低生活保障标准",
                "522600",
                800,
                "2025-01-01",
                "assumed (no 低保 notice in the sources)",
            ),
        ],
    }
    for name in CRITERIA:
        for lvl, value in ladder(NATIONAL_IV[name] // 2, NATIONAL_III[name]).items():
            policy["thresholds"][lvl][name] = value
    # The national plan's drought criterion (国办函〔2024〕11号): 因旱需政府救助人数 as a share of
    # the province's 农牧业人口 — level I 30 % (V), IV–II 15/20/25 % (U). Relief counts it
    # against 乡村人口 (rural_population). A provincial response starts lower: 5/8/12/15 %
    # for IV–I, assumed (a 2024-style county plan starts its level III at 5–10 %, V, S32).
    policy["share_criteria"] = {
        "drought_share": {
            "fields": ["drought_needing_aid"],
            "share_of": "rural_population",
            "within": "province",
            "label": "因旱需生活救助人口占乡村人口比例（%）",
            "note": "per cent of the province's 乡村人口; thresholds assumed (README.md)",
            "denominator": GUIZHOU_RURAL_2020,
        }
    }
    for lvl, value in {4: 5, 3: 8, 2: 12, 1: 15}.items():
        policy["thresholds"][lvl]["drought_share"] = value

    def design(spec: Spec) -> dict[str, int]:
        # 1 % of the people of Guizhou (38,562,148): 0.4 % at the provincial core,
        # 0.35 % of each prefecture at its backbone, 0.25 % of each county at its depot
        return design_population(
            spec, int(half_up(d("0.004") * 38_562_148)), d("0.0035"), d("0.0025")
        )

    flood = {
        "name": "2026年6月黔东南州及三都县特大暴雨洪涝",
        "hazard": "flood",
        "started_at": "2026-06-19T02:00:00+08:00",
        "region_codes": ["522600", "522732"],
        "reports": reports(
            """
            # region  kind    reported at      dead miss reloc   aid c_hh c_rm s_hh s_rm g_hh  g_rm
            522632    initial 2026-06-19 08:00    2    4 18000 20000  500 1400  800 2300 3000  7500
            522633    initial 2026-06-19 08:30    1    2 12000 16000  300  850  500 1400 2000  5000
            522631    initial 2026-06-19 09:00    0    2  9000 12000  200  560  350  980 1500  3700
            522634    initial 2026-06-19 09:00    1    0  8000 12000  200  560  330  900 1300  3200
            522629    initial 2026-06-19 09:30    0    1  9000 13000  180  500  300  820 1400  3400
            522630    initial 2026-06-19 09:30    0    0  6000  9000  110  300  200  540  900  2200
            522628    initial 2026-06-19 10:00    1    0  7000 10000  120  330  220  600 1000  2500
            522732    initial 2026-06-19 10:00    0    0  9000 14000  170  470  290  790 1300  3300
            522632    update  2026-06-20 08:00    4    2 32000 38000  900 2600 1500 4300 5200 13000
            522633    update  2026-06-20 08:30    2    1 22000 30000  600 1700 1000 2800 3800  9500
            522631    update  2026-06-20 09:00    1    1 15000 22000  350 1000  600 1700 2600  6400
            """
        ),
    }
    landslide = {
        "name": "2026年8月晴隆县山体滑坡",
        "hazard": "landslide",
        "started_at": "2026-08-12T01:40:00+08:00",
        "region_codes": ["522324", "522323"],
        "closed_roads": [("WH-522300-B", "WH-522324-C"), ("522323", "522324")],
        "closed_note": "buried by the slide: 普安县-晴隆县 and the 兴义 backbone's road to the 晴隆 depot",
        "reports": reports(
            """
            # region  kind    reported at      dead miss reloc  aid c_hh c_rm s_hh s_rm g_hh g_rm
            522324    initial 2026-08-12 03:30    3   12   900 1200   20   55   35   90  160  380
            522323    initial 2026-08-12 06:00    0    0   300  500    3    8    8   20   40   95
            522324    update  2026-08-12 20:00    6    6  1500 1900   28   75   45  120  210  500
            522324    final   2026-08-15 18:00    7    5  1500 2000   28   76   46  122  215  512
            """
        ),
    }
    # A spring drought over three prefectures (reports per prefecture; 续报 every 10 days as
    # the statistics rules ask for a drought). 需紧急生活救助 and houses are 0: the level
    # comes from the drought share (950,000 of 18,066,366 = 5.25 % → level 4). Assumed.
    drought = {
        "name": "2026年春季六盘水、安顺、黔西南干旱",
        "hazard": "drought",
        "started_at": "2026-03-01T08:00:00+08:00",
        "region_codes": ["520200", "520400", "522300"],
        "reports": [
            (code, kind, f"{day}T{time}:00+08:00", (0,) * len(COUNT_FIELDS), given)
            for code, kind, day, time, given in (
                ("520200", "initial", "2026-03-02", "09:00", drought_figures(150000, 1500)),
                ("520400", "initial", "2026-03-02", "09:00", drought_figures(120000, 1200)),
                ("522300", "initial", "2026-03-02", "09:00", drought_figures(180000, 1800)),
                ("520200", "update", "2026-03-12", "09:00", drought_figures(320000, 3200)),
                ("520400", "update", "2026-03-12", "09:00", drought_figures(260000, 2600)),
                ("522300", "update", "2026-03-12", "09:00", drought_figures(370000, 3700)),
            )
        ],
    }
    kit = {
        "tent": d("0.08"),
        "tarp": d("0.15"),
        "quilt": d("1"),
        "blanket": d("0.3"),
        "sleeping_bag": d("0.1"),
        "folding_bed": d("0.25"),
        "coat": d("0.3"),
        "rice": d("3"),
        "water": d("2"),
        "floodlight": d("0.003"),
        "toilet": d("0.01"),
    }
    spec = Spec(
        name="guizhou",
        circuity=d("1.5"),
        speed_kmh=d("45"),
        county_k=3,
        township_k=0,
        kit=kit,
        county_excluded=frozenset({"floodlight"}),
        missing=frozenset(
            {
                ("WH-522634-C", "toilet"),
                ("WH-522630-C", "folding_bed"),
                ("WH-522323-C", "sleeping_bag"),
                ("WH-520327-C", "tarp"),
            }
        ),
        low={
            ("WH-522632-C", "tent"): 0,
            ("WH-522633-C", "water"): 20,
            ("WH-522324-C", "rice"): 5,
            ("WH-520526-C", "quilt"): 10,
        },
        design=design,
        policy=policy,
        events={"flood": flood, "landslide": landslide, "drought": drought},
    )
    spec.regions = build_guizhou_regions()
    return spec


if __name__ == "__main__":
    main()
