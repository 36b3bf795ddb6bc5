"""The network map's geometry: regions, warehouses and roads placed on an SVG canvas.

Pure code on plain records (relief.network.records), so it runs from a folder or the
database alike. The projection is equirectangular, fitted to the bounding box of the
points: longitude is scaled by cos(mean latitude) so that a province at 26° N and one at
41° N both keep their shape, which is all a county-to-province map needs (no tiles, no
external map data: the UI runs offline).

Two hooks are left for the response pages, both empty on the plain network map:
`affected` shades regions (region code → response level 1..4) and `flows` draws plan
lines from a warehouse to a region with a width by quantity, along the roads of the
plan line's `path` when it has one (issue 13: a straight line crossed a closed road).

Place names: every region gets a label; `labels` marks as `minor` those of townships and
villages and any that would overlap a label already placed (larger regions first), and
the page shows minor labels only once the map is zoomed in (static/mapzoom.js).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from relief.network.records import Region, Road, Warehouse

WIDTH = 960
HEIGHT = 640
PADDING = 28
# Draw order and size: bigger symbols underneath, so that a provincial and a prefecture
# warehouse in the same city both stay clickable.
TIER_ORDER = ("provincial", "prefecture", "county")
TIER_SIZE = {"provincial": 11.0, "prefecture": 8.0, "county": 5.5}
REGION_RADIUS = {"province": 14.0, "prefecture": 11.0, "county": 8.0, "township": 3.5}
REGION_RADIUS_DEFAULT = 2.5  # villages: many, small
# Warehouses closer than this (px) are drawn side by side instead of on top of each other.
NUDGE = 14.0
# Place names: the font size at zoom 1 and a CJK glyph's width in font sizes.
LABEL_SIZE = 11.0
GLYPH_WIDTH = 1.0
MAJOR_LEVELS = ("province", "prefecture", "county")


@dataclass(frozen=True, slots=True)
class Flow:
    """A planned movement to draw: from a warehouse to a region, `quantity` in units."""

    warehouse_code: str
    region_code: str
    quantity: int
    path: tuple[str, ...] = ()  # node codes from the warehouse to the region, along roads


@dataclass(frozen=True, slots=True)
class Point:
    code: str
    name: str
    kind: str  # a tier for warehouses, a level for regions
    x: float
    y: float
    size: float
    shade: int | None = None  # a response level for an affected region


@dataclass(frozen=True, slots=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    closed: bool = False
    label: str = ""
    width: float = 1.0
    # A flow along its roads: every node's position, the first and last equal (x1, y1)
    # and (x2, y2). Empty for roads and for flows without a path.
    points: tuple[tuple[float, float], ...] = ()

    @property
    def mid(self) -> tuple[float, float]:
        return round((self.x1 + self.x2) / 2, 1), round((self.y1 + self.y2) / 2, 1)

    @property
    def svg_points(self) -> str:
        """The `points` of an SVG polyline: the path's nodes, else the two ends."""
        nodes = self.points or ((self.x1, self.y1), (self.x2, self.y2))
        return " ".join(f"{x},{y}" for x, y in nodes)


@dataclass(frozen=True, slots=True)
class Label:
    """A place name at (x, y), left-aligned beside its symbol; `minor` ones show on zoom."""

    code: str
    text: str
    x: float
    y: float
    minor: bool


@dataclass
class MapDrawing:
    width: int
    height: int
    regions: list[Point] = field(default_factory=list)
    warehouses: list[Point] = field(default_factory=list)
    roads: list[Line] = field(default_factory=list)
    flows: list[Line] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.regions and not self.warehouses


class Projection:
    """Equirectangular projection of (lat, lon) onto a canvas, fitted to a bounding box."""

    def __init__(
        self,
        coords: Iterable[tuple[float, float]],
        width: int = WIDTH,
        height: int = HEIGHT,
        padding: int = PADDING,
    ) -> None:
        points = list(coords)
        lats = [lat for lat, _ in points] or [0.0]
        lons = [lon for _, lon in points] or [0.0]
        self.min_lat, self.max_lat = min(lats), max(lats)
        self.min_lon, self.max_lon = min(lons), max(lons)
        self.kx = math.cos(math.radians((self.min_lat + self.max_lat) / 2))
        span_x = (self.max_lon - self.min_lon) * self.kx
        span_y = self.max_lat - self.min_lat
        inner_w, inner_h = width - 2 * padding, height - 2 * padding
        # One scale for both axes keeps the shape; a single point (no span) sits centred.
        scales = ([inner_w / span_x] if span_x else []) + ([inner_h / span_y] if span_y else [])
        scale = min(scales, default=1.0)
        self.scale = scale
        self.off_x = padding + (inner_w - span_x * scale) / 2
        self.off_y = padding + (inner_h - span_y * scale) / 2

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.off_x + (lon - self.min_lon) * self.kx * self.scale
        y = self.off_y + (self.max_lat - lat) * self.scale  # north up
        return round(x, 1), round(y, 1)


def draw_network(
    regions: Sequence[Region],
    warehouses: Sequence[Warehouse],
    roads: Sequence[Road],
    *,
    affected: Mapping[str, int] | None = None,
    flows: Sequence[Flow] = (),
    closed_road_ids: Collection[int] = (),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> MapDrawing:
    """Place every region, warehouse and road; shade `affected` regions and draw `flows`.
    A road is drawn closed when the network says so or when its id is in `closed_road_ids`
    (an event's closures, which leave the network's own status alone)."""
    affected = affected or {}
    project = Projection(
        [(r.lat, r.lon) for r in regions] + [(w.lat, w.lon) for w in warehouses], width, height
    )
    drawing = MapDrawing(width=width, height=height)
    where: dict[str, tuple[float, float]] = {}
    # Larger regions first so that townships sit on top of their county's ring.
    level_rank = {level: i for i, level in enumerate(REGION_RADIUS)}
    for region in sorted(regions, key=lambda r: (level_rank.get(r.level, 9), r.code)):
        x, y = project(region.lat, region.lon)
        where[region.code] = (x, y)
        drawing.regions.append(
            Point(
                code=region.code,
                name=region.name,
                kind=region.level,
                x=x,
                y=y,
                size=REGION_RADIUS.get(region.level, REGION_RADIUS_DEFAULT),
                shade=affected.get(region.code),
            )
        )
    tier_rank = {tier: i for i, tier in enumerate(TIER_ORDER)}
    placed: list[tuple[float, float]] = []
    for warehouse in sorted(warehouses, key=lambda w: (tier_rank.get(w.tier, 9), w.code)):
        x, y = project(warehouse.lat, warehouse.lon)
        # A provincial and a prefecture warehouse often share their city's coordinates:
        # set the later one beside the earlier so both can be seen and clicked.
        while any(abs(x - px) < NUDGE and abs(y - py) < NUDGE for px, py in placed):
            x = round(x + NUDGE, 1)
        placed.append((x, y))
        where[warehouse.code] = (x, y)
        drawing.warehouses.append(
            Point(
                code=warehouse.code,
                name=warehouse.name,
                kind=warehouse.tier,
                x=x,
                y=y,
                size=TIER_SIZE.get(warehouse.tier, TIER_SIZE["county"]),
            )
        )
    for road in roads:
        if road.from_code not in where or road.to_code not in where:
            continue  # a road to a node outside the drawn set (cannot happen for a whole network)
        (x1, y1), (x2, y2) = where[road.from_code], where[road.to_code]
        drawing.roads.append(
            Line(
                x1,
                y1,
                x2,
                y2,
                closed=road.status == "closed" or road.id in closed_road_ids,
                label=f"{road.from_code} – {road.to_code}: {road.distance_km} km",
            )
        )
    biggest = max((f.quantity for f in flows), default=0)
    for flow in flows:
        if flow.warehouse_code not in where or flow.region_code not in where:
            continue
        (x1, y1), (x2, y2) = where[flow.warehouse_code], where[flow.region_code]
        # Along the roads when the path is known end to end; a path through a node that is
        # not drawn falls back to the straight line rather than a wrong shape.
        path = flow.path
        along = (
            tuple(where[code] for code in path)
            if len(path) >= 2
            and path[0] == flow.warehouse_code
            and path[-1] == flow.region_code
            and all(code in where for code in path)
            else ()
        )
        drawing.flows.append(
            Line(
                x1,
                y1,
                x2,
                y2,
                label=f"{flow.warehouse_code} → {flow.region_code}: {flow.quantity}",
                # 1.5 to 6 px wide, by the share of the largest flow.
                width=round(1.5 + 4.5 * flow.quantity / biggest, 1) if biggest else 1.5,
                points=along,
            )
        )
    drawing.labels = place_labels(drawing.regions)
    return drawing


def place_labels(regions: Sequence[Point]) -> list[Label]:
    """A label per region right of its symbol. Larger regions are placed first; a township's
    or village's label, and any label whose box would overlap one already shown, is minor
    (shown only when zoomed in), so the dense city cluster stays readable at zoom 1."""
    rank = {level: i for i, level in enumerate(REGION_RADIUS)}
    shown: list[tuple[float, float, float, float]] = []
    out = []
    for p in sorted(regions, key=lambda r: (rank.get(r.kind, 9), r.code)):
        x, y = round(p.x + p.size + 2, 1), round(p.y + LABEL_SIZE / 3, 1)
        box = (x, y - LABEL_SIZE, x + len(p.name) * LABEL_SIZE * GLYPH_WIDTH, y + 2)
        overlaps = any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in shown
        )
        minor = p.kind not in MAJOR_LEVELS or overlaps
        if not minor:
            shown.append(box)
        out.append(Label(code=p.code, text=p.name, x=x, y=y, minor=minor))
    return out


def star_points(x: float, y: float, size: float) -> str:
    """The SVG `points` of a five-pointed star centred on (x, y) (provincial warehouses)."""
    out = []
    for i in range(10):
        r = size if i % 2 == 0 else size * 0.45
        angle = math.radians(-90 + 36 * i)
        out.append(f"{x + r * math.cos(angle):.1f},{y + r * math.sin(angle):.1f}")
    return " ".join(out)


def diamond_points(x: float, y: float, size: float) -> str:
    """The SVG `points` of a diamond (prefecture warehouses)."""
    return f"{x},{y - size} {x + size},{y} {x},{y + size} {x - size},{y}"
