"""The map's geometry (pure: plain records in, positions out)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relief.network.records import Region, Road, Warehouse
from relief.web.netmap import HEIGHT, PADDING, WIDTH, Flow, Projection, draw_network

REGIONS = [
    Region("P", "Province", "province", None, 40.0, 110.0),
    Region("C1", "West county", "county", "P", 41.0, 109.0),
    Region("C2", "East county", "county", "P", 39.0, 112.0),
]
WAREHOUSES = [
    Warehouse("W-P", "Core", "provincial", "P", 40.0, 110.0),
    Warehouse("W-B", "Backbone", "prefecture", "P", 40.0, 110.0),
    Warehouse("W-C1", "Depot", "county", "C1", 41.0, 109.0),
]
ROADS = [
    Road(1, "W-P", "W-C1", Decimal("120"), Decimal("2"), "open"),
    Road(2, "W-C1", "C2", Decimal("300"), Decimal("5"), "closed"),
]


def test_projection_fits_the_bounding_box_with_north_up_and_west_left():
    project = Projection([(39.0, 109.0), (41.0, 112.0)])
    xs, ys = zip(*(project(lat, lon) for lat, lon in [(39.0, 109.0), (41.0, 112.0)]), strict=True)
    assert all(PADDING - 0.1 <= x <= WIDTH - PADDING + 0.1 for x in xs)
    assert all(PADDING - 0.1 <= y <= HEIGHT - PADDING + 0.1 for y in ys)
    north_y = project(41.0, 110.0)[1]
    south_y = project(39.0, 110.0)[1]
    west_x = project(40.0, 109.0)[0]
    east_x = project(40.0, 112.0)[0]
    assert north_y < south_y and west_x < east_x
    # Fitted, not tiny: the constraining axis spans the whole canvas inside the padding.
    fill = max(
        (max(xs) - min(xs)) / (WIDTH - 2 * PADDING), (max(ys) - min(ys)) / (HEIGHT - 2 * PADDING)
    )
    assert fill == pytest.approx(1.0, abs=0.01)


def test_projection_keeps_shape_a_degree_of_longitude_shrinks_with_latitude():
    project = Projection([(59.0, 10.0), (61.0, 12.0)])
    x0, y0 = project(60.0, 10.0)
    x1, _ = project(60.0, 11.0)
    _, y1 = project(61.0, 10.0)
    # cos(60°) = 0.5: a degree east is half as long on the map as a degree north.
    assert (x1 - x0) / (y0 - y1) == pytest.approx(0.5, abs=0.01)


def test_a_single_point_sits_in_the_middle():
    project = Projection([(30.0, 100.0)])
    assert project(30.0, 100.0) == (WIDTH / 2, HEIGHT / 2)


def test_network_places_every_node_and_marks_closed_roads():
    drawing = draw_network(REGIONS, WAREHOUSES, ROADS)
    assert [p.code for p in drawing.warehouses] == ["W-P", "W-B", "W-C1"]  # big ones first
    assert {p.code for p in drawing.regions} == {"P", "C1", "C2"}
    assert [line.closed for line in drawing.roads] == [False, True]
    assert drawing.flows == [] and all(p.shade is None for p in drawing.regions)


def test_an_events_closures_are_drawn_closed_without_the_network_status():
    drawing = draw_network(REGIONS, WAREHOUSES, ROADS, closed_road_ids={1})
    assert [line.closed for line in drawing.roads] == [True, True]


def test_warehouses_at_the_same_place_are_drawn_side_by_side():
    drawing = draw_network(REGIONS, WAREHOUSES, ROADS)
    core, backbone = drawing.warehouses[0], drawing.warehouses[1]
    assert core.y == backbone.y and backbone.x > core.x
    # The road from the core warehouse starts where the core is drawn.
    assert (drawing.roads[0].x1, drawing.roads[0].y1) == (core.x, core.y)


def test_affected_regions_are_shaded_and_flows_are_drawn_by_quantity():
    drawing = draw_network(
        REGIONS,
        WAREHOUSES,
        ROADS,
        affected={"C2": 2},
        flows=[Flow("W-C1", "C2", 100), Flow("W-P", "C2", 25), Flow("W-P", "NOWHERE", 5)],
    )
    assert {p.code: p.shade for p in drawing.regions} == {"P": None, "C1": None, "C2": 2}
    assert [line.width for line in drawing.flows] == [6.0, 2.6]


def test_a_flow_with_a_path_is_drawn_through_every_node_of_its_path():
    drawing = draw_network(
        REGIONS,
        WAREHOUSES,
        ROADS,
        flows=[
            Flow("W-P", "C2", 10, ("W-P", "W-C1", "C2")),
            Flow("W-P", "C1", 5),  # no path: the straight line
            Flow("W-P", "C2", 1, ("W-P", "NOWHERE", "C2")),  # a node not drawn: straight
        ],
    )
    where = {p.code: (p.x, p.y) for p in drawing.regions + drawing.warehouses}
    along, straight, unknown = drawing.flows
    assert along.points == (where["W-P"], where["W-C1"], where["C2"])
    assert along.svg_points == " ".join(f"{x},{y}" for x, y in along.points)
    assert straight.points == () and straight.svg_points == (
        f"{where['W-P'][0]},{where['W-P'][1]} {where['C1'][0]},{where['C1'][1]}"
    )
    assert unknown.points == ()


def test_every_region_has_a_label_and_small_or_crowded_ones_show_only_when_zoomed():
    regions = [
        *REGIONS,
        Region("C3", "Crowded county", "county", "P", 39.0, 112.001),  # on top of C2
        Region("T1", "Township", "township", "C1", 41.2, 109.2),
    ]
    drawing = draw_network(regions, WAREHOUSES, ROADS)
    labels = {label.code: label for label in drawing.labels}
    assert {code: label.text for code, label in labels.items()} == {r.code: r.name for r in regions}
    assert not labels["P"].minor and not labels["C1"].minor and not labels["C2"].minor
    assert labels["C3"].minor  # would overlap C2's label
    assert labels["T1"].minor  # townships only when zoomed in
    c1 = next(p for p in drawing.regions if p.code == "C1")
    assert labels["C1"].x > c1.x  # beside its symbol, not on it


def test_a_closed_roads_cross_sits_at_the_middle_of_the_road():
    drawing = draw_network(REGIONS, WAREHOUSES, ROADS)
    road = drawing.roads[1]
    assert road.closed
    assert road.mid == (round((road.x1 + road.x2) / 2, 1), round((road.y1 + road.y2) / 2, 1))
