"""template.yaml is the source of truth: routes, tables and env as the spec describes them."""

from __future__ import annotations

from typing import Any

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


class _Recording(dict):  # type: ignore[type-arg]
    """A stored item that notes every attribute read from it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)


def test_group_indexes_project_every_attribute_a_list_item_shows_and_no_hour_counter() -> None:
    from fleetreport.groups.answers import LISTED_ATTRIBUTES, Group

    props = load_template().raw["Resources"]["GroupsTable"]["Properties"]
    table_keys = {k["AttributeName"] for k in props["KeySchema"]}
    item = _Recording({"group_hash": "a" * 64, "app_id": "app", "h2026120107": 3, "tags": ["x"]})
    Group.fields_of(item)
    shown = item.read | {"owner"}  # the list checks the owner of what an index returned
    assert shown == set(LISTED_ATTRIBUTES) | table_keys | {"last_seen"}  # every index's sort key
    indexes = {i["IndexName"]: i for i in props["GlobalSecondaryIndexes"]}
    assert set(indexes) == {"ByAppLastSeen", "ByOwnerLastSeen", "ByAppStatus"}
    for name, index in indexes.items():
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        assert keys[1] == "last_seen", name
        assert index["Projection"]["ProjectionType"] == "INCLUDE", name  # not ALL: no hour counters
        projected = set(index["Projection"]["NonKeyAttributes"]) | set(keys) | table_keys
        assert shown <= projected, (name, shown - projected)
    assert [k["AttributeName"] for k in indexes["ByAppLastSeen"]["KeySchema"]] == ["app_id", "last_seen"]
    assert [k["AttributeName"] for k in indexes["ByOwnerLastSeen"]["KeySchema"]] == ["owner", "last_seen"]
    assert sum(len(i["Projection"]["NonKeyAttributes"]) for i in indexes.values()) <= 100  # DynamoDB's cap


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


# ---------------------------------------------------------------- production on AWS (SPEC §11)
# Each check walks the template's own resources, so a function, table or dead-letter queue added
# later without its alarm fails here instead of going unwatched.


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in load_template().raw["Resources"].items() if res["Type"] == kind}


def _alarms() -> dict[str, dict[str, Any]]:
    return {name: res["Properties"] for name, res in _resources("AWS::CloudWatch::Alarm").items()}


def _api_functions() -> dict[str, dict[str, Any]]:
    return {
        name: res["Properties"]
        for name, res in _resources("AWS::Serverless::Function").items()
        if any(e["Type"] == "HttpApi" for e in res["Properties"].get("Events", {}).values())
    }


def _dead_letter_queues() -> set[str]:
    """Logical ids of every queue something dead-letters into (SAM names the queues it creates)."""
    queues = set()
    for res in _resources("AWS::SQS::Queue").values():
        target = res["Properties"].get("RedrivePolicy", {}).get("deadLetterTargetArn")
        if target:
            queues.add(target["Fn::GetAtt"][0])
    for name, res in _resources("AWS::Serverless::Function").items():
        for event_id, event in res["Properties"].get("Events", {}).items():
            config = event.get("Properties", {}).get("DeadLetterConfig")
            if config and config.get("Type") == "SQS":
                queues.add(f"{name}{event_id}Queue")
            elif config and "Arn" in config:
                queues.add(config["Arn"]["Fn::GetAtt"][0])
        target = res["Properties"].get("DeadLetterQueue", {}).get("TargetArn")
        if target:
            queues.add(target["Fn::GetAtt"][0])
    return queues


def _notifies_the_alarm_topic(alarm: dict[str, Any]) -> bool:
    return alarm.get("AlarmActions") == {
        "Fn::If": [
            "NotifyAlarms",
            [{"Fn::If": ["UseAlarmTopicArn", {"Ref": "AlarmTopicArn"}, {"Ref": "AlarmTopic"}]}],
            {"Ref": "AWS::NoValue"},
        ]
    }


def test_functions_run_on_arm64() -> None:
    globals_ = load_template().raw["Globals"]["Function"]
    assert globals_["Architectures"] == ["arm64"]
    for name, res in _resources("AWS::Serverless::Function").items():
        assert res["Properties"].get("Architectures", ["arm64"]) == ["arm64"], name
    for name, res in _resources("AWS::Serverless::LayerVersion").items():
        # sam build picks the layer's wheels (pydantic-core's native module) by BuildArchitecture.
        assert res["Properties"]["CompatibleArchitectures"] == ["arm64"], name
        assert res["Metadata"]["BuildArchitecture"] == "arm64", name


def test_api_functions_use_snapstart_behind_a_published_alias() -> None:
    runtime = load_template().raw["Globals"]["Function"]["Runtime"]
    assert runtime >= "python3.12"  # SnapStart for Python starts at 3.12
    functions = _api_functions()
    assert {"IngestFunction", "GroupsFunction", "AdminFunction", "RunReportFunction"} <= set(functions)
    for name, props in functions.items():
        # SAM points the HttpApi integration (and any SQS mapping) at the alias it publishes.
        assert props.get("AutoPublishAlias") == "live", name
        assert props.get("SnapStart") == {"ApplyOn": "PublishedVersions"}, name


def test_http_api_default_route_throttling_comes_from_parameters() -> None:
    template = load_template()
    settings = template.raw["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert settings == {
        "ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ApiThrottlingRateLimit"},
    }
    for parameter in ("ApiThrottlingBurstLimit", "ApiThrottlingRateLimit"):
        assert template.raw["Parameters"][parameter]["Type"] == "Number"
        assert int(template.raw["Parameters"][parameter]["Default"]) > 0


def test_every_dead_letter_queue_alarms_on_its_first_message() -> None:
    watched = set()
    for alarm in _alarms().values():
        if alarm.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
            [dimension] = alarm["Dimensions"]
            watched.add(dimension["Value"]["Fn::GetAtt"][0])
    assert {"ComplianceEventsDLQ", "RollupFunctionDailyQueue"} <= _dead_letter_queues()
    assert _dead_letter_queues() <= watched


def test_every_function_alarms_on_errors_and_throttles() -> None:
    watched: dict[str, set[str]] = {}
    for alarm in _alarms().values():
        if alarm.get("Namespace") == "AWS/Lambda":
            [dimension] = alarm["Dimensions"]
            watched.setdefault(dimension["Value"]["Ref"], set()).add(alarm["MetricName"])
    for name in _resources("AWS::Serverless::Function"):
        assert watched.get(name) == {"Errors", "Throttles"}, name


def test_every_table_alarms_on_throttled_requests() -> None:
    expressions = [
        query["Expression"]["Fn::Sub"]
        for alarm in _alarms().values()
        for query in alarm.get("Metrics", [])
        if isinstance(query.get("Expression"), dict)
    ]
    for name in _resources("AWS::DynamoDB::Table"):
        assert any(
            "SUM(ThrottledRequests)" in text and f"TableName = '${{{name}}}'" in text for text in expressions
        ), name


def test_api_5xx_rate_alarm_divides_errors_by_requests() -> None:
    alarm = _alarms()["Api5xxRateAlarm"]
    queries = {query["Id"]: query for query in alarm["Metrics"]}
    assert queries["errors"]["MetricStat"]["Metric"]["MetricName"] == "5xx"
    assert queries["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert "errors / requests" in queries["rate"]["Expression"]
    assert alarm["Threshold"] == {"Ref": "Alarm5xxRatePercent"}


def test_rollup_lag_alarm_watches_what_the_rollup_emits_and_a_silent_rollup() -> None:
    alarm = _alarms()["RollupLagAlarm"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("fleetreport", "RollupLagHours")
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "rollup"}]
    assert alarm["Threshold"] == {"Ref": "RollupLagAlarmHours"}
    assert alarm["TreatMissingData"] == "breaching"  # no run at all is lag too
    namespace = load_template().raw["Globals"]["Function"]["Environment"]["Variables"]
    assert namespace["POWERTOOLS_METRICS_NAMESPACE"] == "fleetreport"


def test_webhook_delivery_failures_alarm_reads_the_metric_from_any_function() -> None:
    [query] = _alarms()["WebhookDeliveryFailuresAlarm"]["Metrics"]
    assert query["Expression"] == "SELECT SUM(WebhookDeliveryFailures) FROM fleetreport"


def test_every_alarm_notifies_the_optional_topic() -> None:
    for name, alarm in _alarms().items():
        assert _notifies_the_alarm_topic(alarm), name


def test_alarm_topic_exists_only_for_an_email_without_a_topic_arn() -> None:
    cases = {
        ("", ""): (False, False),
        ("ops@example.com", ""): (True, True),
        ("", "arn:aws:sns:us-east-1:123456789012:ops"): (False, True),
        ("ops@example.com", "arn:aws:sns:us-east-1:123456789012:ops"): (False, True),
    }
    for (email, arn), (creates, notifies) in cases.items():
        template = load_template(parameters={"AlarmEmail": email, "AlarmTopicArn": arn})
        assert ("AlarmTopic" in template.resources("AWS::SNS::Topic")) is creates, (email, arn)
        assert template.condition_holds("NotifyAlarms") is notifies, (email, arn)


def test_one_dashboard() -> None:
    [dashboard] = _resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    for metric in ("5xx", "ThrottledRequests", "RollupLagHours", "WebhookDeliveryFailures"):
        assert metric in body
    # the compliance queue's refusals (layers/.../compliance/queue.py), next to the snapshots stored
    assert "SELECT SUM(EventsRejected) FROM fleetreport" in body


LAMBDA_APPLICATION_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


def test_functions_log_json_at_the_log_level_without_platform_records_per_invocation() -> None:
    template = load_template()
    globals_ = template.raw["Globals"]["Function"]
    logging = globals_["LoggingConfig"]
    assert logging["LogFormat"] == "JSON"  # Lambda filters JSON lines by their "level" only in JSON format
    assert logging["SystemLogLevel"] == "WARN"  # no platform.start / platform.report for a success
    assert globals_["Environment"]["Variables"]["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    for level in template.raw["Parameters"]["LogLevel"]["AllowedValues"]:
        chosen = load_template(parameters={"LogLevel": level}).resolve(logging["ApplicationLogLevel"])
        assert chosen in LAMBDA_APPLICATION_LEVELS, level  # WARNING is Lambda's WARN
        assert chosen == level.replace("WARNING", "WARN")
    for name, res in _resources("AWS::Serverless::Function").items():
        assert "LoggingConfig" not in res["Properties"], name  # one setting for every function


def test_tracing_is_a_parameter_off_unless_asked_for() -> None:
    template = load_template()
    parameter = template.raw["Parameters"]["Tracing"]
    assert parameter["Default"] == "PassThrough"
    assert set(parameter["AllowedValues"]) == {"Active", "PassThrough"}
    assert template.raw["Globals"]["Function"]["Tracing"] == {"Ref": "Tracing"}
    for name, res in _resources("AWS::Serverless::Function").items():
        assert "Tracing" not in res["Properties"], name
