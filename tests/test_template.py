"""template.yaml is the source of truth: routes, tables and env as the spec describes them."""

from __future__ import annotations

from fleetreport_local.template import load_template

SPEC_ROUTES = {
    ("POST", "/reports/ingest"): "IngestFunction",
    ("GET", "/reports/groups"): "GroupsFunction",
    ("GET", "/reports/groups/{group_hash}"): "GroupsFunction",
    ("GET", "/reports/groups/{group_hash}/blobs"): "GroupsFunction",
    ("PATCH", "/reports/groups/{group_hash}"): "GroupsFunction",
    ("DELETE", "/reports/groups/{group_hash}"): "GroupsFunction",
    ("GET", "/reports"): "CatalogFunction",
    ("GET", "/reports/{report_key}"): "CatalogFunction",
    ("GET", "/reports/{report_key}/run"): "RunReportFunction",
    ("POST", "/events"): "EventsFunction",
    ("POST", "/apps"): "AdminFunction",
    ("GET", "/apps"): "AdminFunction",
    ("PATCH", "/apps/{app_id}"): "AdminFunction",
    ("GET", "/report-keys/list"): "AdminFunction",
    ("POST", "/report-keys/regenerate"): "AdminFunction",
}


def test_every_spec_route_is_served_by_its_function() -> None:
    routes = {(r.method, r.path): r.function for r in load_template().routes()}
    for route, function in SPEC_ROUTES.items():
        assert routes.get(route) == function, route


def test_static_routes_win_over_parameterised_ones() -> None:
    template = load_template()
    assert template.match("GET", "/reports/groups")[0].function == "GroupsFunction"  # type: ignore[index]
    route, params = template.match("GET", "/reports/status_trend")  # type: ignore[misc]
    assert (route.function, params) == ("CatalogFunction", {"report_key": "status_trend"})
    route, params = template.match("GET", "/reports/status_trend/run")  # type: ignore[misc]
    assert (route.function, params) == ("RunReportFunction", {"report_key": "status_trend"})
    assert template.match("GET", "/nowhere") is None


def test_groups_table_has_light_indexes_on_app_and_owner_by_last_seen() -> None:
    props = load_template().raw["Resources"]["GroupsTable"]["Properties"]
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert [k["AttributeName"] for k in indexes["ByAppLastSeen"]["KeySchema"]] == ["app_id", "last_seen"]
    assert [k["AttributeName"] for k in indexes["ByOwnerLastSeen"]["KeySchema"]] == ["owner", "last_seen"]
    assert all(i["Projection"]["ProjectionType"] != "ALL" for i in indexes.values())


def test_rollup_is_a_daily_utc_schedule_without_a_fixed_name() -> None:
    fn = load_template().raw["Resources"]["RollupFunction"]["Properties"]
    schedule = fn["Events"]["Daily"]
    assert schedule["Type"] == "ScheduleV2"
    assert schedule["Properties"]["OmitName"] is True
    assert schedule["Properties"]["ScheduleExpressionTimezone"] == "UTC"


def test_ingest_gets_the_spec_defaults() -> None:
    env = load_template().functions()["IngestFunction"].env
    assert env["REPORTS_MAX_BODY_BYTES"] == "262144"
    assert env["REPORTS_MAX_DETAILS_COMPRESSED_BYTES"] == "131072"
    assert env["REPORTS_MAX_DETAILS_DECOMPRESSED_BYTES"] == "1048576"
    assert env["REPORTS_MAX_BLOBS_PER_GROUP"] == "10"
    assert env["REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE"] == "100"
