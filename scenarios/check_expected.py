"""Check the shipped scenario folders against what their READMEs claim.

Independent of build.py and of the relief package: it parses the generated CSV and YAML
files and checks the references, the region tree, tiers, roads, stock, the events' report
rules, that every affected region can be supplied within the level's deadline, and that
each event's totals give the recommended level and driving criterion stated in EXPECTED
(and in the README). It also prints, per event and item, demand against the stock above
floor of the warehouses eligible for at least one affected region.

    .venv/bin/python scenarios/check_expected.py      (needs PyYAML)

Exit 0 when everything holds, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import csv
import heapq
import math
import re
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
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
TIER_LEVEL = {"provincial": "province", "prefecture": "prefecture", "county": "county"}
# (scenario, event stem): recommended level, the criteria that reach it
EXPECTED = {
    ("hohhot", "snowstorm"): (4, {"relocated_or_aided"}),
    ("hohhot", "flashflood"): (2, {"relocated_or_aided"}),
    ("guizhou", "flood"): (2, {"relocated_or_aided"}),
    ("guizhou", "drought"): (4, {"drought_share"}),
    ("guizhou", "landslide"): (4, {"dead_missing"}),
}
TWO_DECIMALS = re.compile(r"^\d+(\.\d{1,2})?$")
MONEY = re.compile(r"^\d+\.\d{2}$")
# no file under scenarios/ may point at the project's research folder (spelt so that this
# file does not contain the string itself)
FORBIDDEN = "/".join(("..", "shared"))

problems: list[str] = []


def problem(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def hundredths(text: str) -> int:
    return int(Decimal(text) * 100)


def check_scenario(name: str) -> None:
    root = HERE / name
    regions = {r["code"]: r for r in read_csv(root / "regions.csv")}
    warehouses = {w["code"]: w for w in read_csv(root / "warehouses.csv")}
    roads = read_csv(root / "roads.csv")
    items = {i["code"]: i for i in read_csv(root / "items.csv")}
    stock = read_csv(root / "stock.csv")
    policy = yaml.safe_load((root / "policy.yaml").read_text(encoding="utf-8"))

    # region tree: one root, known parents, no cycle
    roots = [c for c, r in regions.items() if not r["parent_code"]]
    if len(roots) != 1:
        problem(f"{name}/regions.csv", f"roots {roots}")
    for code, r in regions.items():
        seen = {code}
        parent = r["parent_code"]
        while parent:
            if parent not in regions:
                problem(f"{name}/regions.csv", f"{code}: unknown parent {parent}")
                break
            if parent in seen:
                problem(f"{name}/regions.csv", f"{code}: cycle")
                break
            seen.add(parent)
            parent = regions[parent]["parent_code"]
        if not (r["lat"] and r["lon"]):
            problem(f"{name}/regions.csv", f"{code}: no point")

    def ancestors(code: str) -> list[str]:
        out = []
        while regions[code]["parent_code"]:
            code = regions[code]["parent_code"]
            out.append(code)
        return out

    for code, w in warehouses.items():
        region = regions.get(w["region_code"])
        if region is None:
            problem(f"{name}/warehouses.csv", f"{code}: unknown region")
        elif TIER_LEVEL[w["tier"]] != region["level"]:
            problem(f"{name}/warehouses.csv", f"{code}: tier {w['tier']} in a {region['level']}")

    # roads
    nodes = set(regions) | set(warehouses)
    adjacency: dict[str, list[tuple[str, int, str]]] = {n: [] for n in nodes}
    pairs: set[frozenset[str]] = set()
    ids: set[str] = set()
    for road in roads:
        a, b = road["from_code"], road["to_code"]
        where = f"{name}/roads.csv {road['id']}"
        if road["id"] in ids:
            problem(where, "duplicate id")
        ids.add(road["id"])
        if a not in nodes or b not in nodes:
            problem(where, "unknown end")
            continue
        if a == b:
            problem(where, "self-loop")
        if frozenset((a, b)) in pairs:
            problem(where, "duplicate pair")
        pairs.add(frozenset((a, b)))
        for key, minimum in (("distance_km", "0.1"), ("travel_time_h", "0.01")):
            if not TWO_DECIMALS.match(road[key]) or Decimal(road[key]) < Decimal(minimum):
                problem(where, f"{key} {road[key]}")
        if road["status"] != "open":
            problem(where, f"status {road['status']}")
        adjacency[a].append((b, hundredths(road["travel_time_h"]), road["id"]))
        adjacency[b].append((a, hundredths(road["travel_time_h"]), road["id"]))

    # stock
    for row in stock:
        where = f"{name}/stock.csv {row['warehouse_code']} {row['item_code']}"
        if row["warehouse_code"] not in warehouses or row["item_code"] not in items:
            problem(where, "unknown code")
        on_hand, floor = int(row["on_hand"]), int(row["floor"])
        if not 0 <= floor <= on_hand:
            problem(where, f"floor {floor} on_hand {on_hand}")
    low = [
        r
        for r in stock
        if r["warehouse_code"].endswith("-C")
        and int(r["on_hand"]) - int(r["floor"]) <= max(20, int(r["floor"]) // 5)
    ]
    if len({r["warehouse_code"] for r in low}) < 3:
        problem(f"{name}/stock.csv", "fewer than three county depots low on an item")
    available = {
        (r["warehouse_code"], r["item_code"]): int(r["on_hand"]) - int(r["floor"]) for r in stock
    }

    # policy
    weights: dict[str, int] = {}
    for norm in policy["norms"]:
        if norm["item"] not in items:
            problem(f"{name}/policy.yaml", f"norm item {norm['item']}")
        if weights.setdefault(norm["item"], norm["priority_weight"]) != norm["priority_weight"]:
            problem(f"{name}/policy.yaml", f"two weights for {norm['item']}")
        if norm["basis"] not in COUNT_FIELDS:
            problem(f"{name}/policy.yaml", f"basis {norm['basis']}")
    for prog in policy["subsidies"]["programmes"]:
        if prog["region_code"] not in regions:
            problem(f"{name}/policy.yaml", f"{prog['code']}: region {prog['region_code']}")
        if "event" in prog and not (root / "events" / f"{prog['event']}.yaml").exists():
            problem(f"{name}/policy.yaml", f"{prog['code']}: event {prog['event']}")
        money = [prog["budget"]] + [
            v
            for s in prog["standards"]
            for k, v in s.items()
            if k
            in (
                "per_household",
                "per_room",
                "per_person_month",
                "price_per_kg",
                "per_person",
                "cap_per_household",
            )
            and not isinstance(v, bool)  # per_household: true is a flag (× 1, not × people)
        ]
        for value in money:
            if not (isinstance(value, str) and MONEY.match(value)):
                problem(f"{name}/policy.yaml", f"{prog['code']}: money {value!r}")
    thresholds = policy["thresholds"]
    criteria = policy["criteria"]

    def fastest(source: str, closed: set[frozenset[str]]) -> dict[str, int]:
        best = {source: 0}
        heap = [(0, source)]
        while heap:
            t, node = heapq.heappop(heap)
            if t > best[node]:
                continue
            for other, dt, _ in adjacency[node]:
                if frozenset((node, other)) in closed:
                    continue
                if t + dt < best.get(other, math.inf):
                    best[other] = t + dt
                    heapq.heappush(heap, (t + dt, other))
        return best

    now = datetime.now(UTC)
    for path in sorted((root / "events").glob("*.yaml")):
        stem = path.stem
        where = f"{name}/events/{path.name}"
        event = yaml.safe_load(path.read_text(encoding="utf-8"))
        event_regions = [str(c) for c in event.get("region_codes") or []]
        closed = set()
        for a, b in event.get("closed_roads") or []:
            if frozenset((a, b)) not in pairs:
                problem(where, f"closed road {a}-{b} not in roads.csv")
            closed.add(frozenset((a, b)))
        latest: dict[str, tuple[datetime, int, dict]] = {}
        finals: set[str] = set()
        for seq, rep in enumerate(event["reports"]):
            code = rep["region_code"]
            at = rep["reported_at"]
            if code not in regions:
                problem(where, f"report region {code}")
                continue
            if set(COUNT_FIELDS) - set(rep):
                problem(where, f"{code}: missing counts")
            if at.utcoffset() != timedelta(hours=8) or at > now:
                problem(where, f"{code}: reported_at {at}")
            if event_regions and not ({code, *ancestors(code)} & set(event_regions)):
                problem(where, f"{code}: outside the event's regions")
            others = {c for c in latest if c != code}
            if others & (set(ancestors(code))) or any(code in ancestors(c) for c in others):
                problem(where, f"{code}: reported with an ancestor or descendant")
            if code in finals and rep["kind"] != "final":
                problem(where, f"{code}: {rep['kind']} after final")
            if rep["kind"] == "final":
                finals.add(code)
            if code not in latest or (at, seq) >= latest[code][:2]:
                latest[code] = (at, seq, rep)
        totals = {f: sum(r[f] for _, _, r in latest.values()) for f in COUNT_FIELDS}
        for _, _, r in latest.values():
            for f, v in r.items():
                if f not in COUNT_FIELDS and isinstance(v, int | float) and f != "region_code":
                    totals[f] = totals.get(f, 0) + v
        for crit, spec in criteria.items():
            fields = spec["fields"] if isinstance(spec, dict) else spec
            totals[crit] = sum(totals.get(f, 0) for f in fields)
            if isinstance(spec, dict) and "share_of" in spec:
                # A share criterion: per cent (rounded down to 0.01) of the population of
                # the regions at its level holding the reported regions.
                holders = {
                    next(
                        c
                        for c in (code, *ancestors(code))
                        if regions[c]["level"] == spec.get("within", "province")
                    )
                    for code in latest
                }
                base = sum(int(regions[c][spec["share_of"]]) for c in holders)
                totals[crit] = math.floor(totals[crit] * 10000 / base) / 100
        reached = {
            lvl: {c for c, v in crit.items() if totals[c] >= v} for lvl, crit in thresholds.items()
        }
        level = min((lvl for lvl, cs in reached.items() if cs), default=None)
        want_level, want_criteria = EXPECTED[(name, stem)]
        if level != want_level or reached.get(level) != want_criteria:
            problem(
                where,
                f"level {level} by {reached.get(level)}; expected {want_level} by {want_criteria}",
            )
        level = event.get("level") or level
        deadline = int(Decimal(str(policy["deadlines_h"][level])) * 100)
        cross = level in policy["cross_jurisdiction_levels"]
        times = {w: fastest(w, closed) for w in warehouses}
        eligible_any: set[str] = set()
        for code in latest:
            eligible = [
                w
                for w in warehouses
                if times[w].get(code, math.inf) <= deadline
                and (cross or warehouses[w]["region_code"] in {code, *ancestors(code)})
            ]
            eligible_any.update(eligible)
            if not eligible:
                problem(where, f"{code}: no warehouse within {deadline / 100} h")
            county = code if regions[code]["level"] == "county" else ancestors(code)[0]
            if f"WH-{county}-C" not in eligible:
                print(f"   note {stem}: {code} not within the deadline of its county depot")
        print(
            f"{name}/{stem}: level {level} (reached by {sorted(reached.get(level, []))}); "
            f"{ {c: totals[c] for c in criteria} }; deadline {deadline / 100} h, "
            f"{len(eligible_any)} eligible warehouses"
        )
        demand: dict[str, int] = {}
        for norm in policy["norms"]:
            per_person = Decimal(str(norm["per_person"]))
            for _, _, rep in latest.values():
                need = math.ceil(per_person * rep[norm["basis"]])
                demand[norm["item"]] = demand.get(norm["item"], 0) + need
        for item, need in demand.items():
            have = sum(v for (w, i), v in available.items() if i == item and w in eligible_any)
            flag = "SHORT" if have < need else ""
            print(f"   {item:<12} demand {need:>8}  eligible above floor {have:>8} {flag}")

    for path in root.rglob("*"):
        if path.is_file() and FORBIDDEN in path.read_text(encoding="utf-8", errors="ignore"):
            problem(str(path), f"mentions {FORBIDDEN}")


def main() -> int:
    for name in ("hohhot", "guizhou"):
        check_scenario(name)
    for path in (HERE / "sources").rglob("*"):
        if path.is_file() and FORBIDDEN in path.read_text(encoding="utf-8", errors="ignore"):
            problem(str(path), f"mentions {FORBIDDEN}")
    for line in problems:
        print(line)
    print("OK" if not problems else f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
