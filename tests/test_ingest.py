"""POST /reports/ingest (SPEC §3.1, §3.2): the checks in their order, the group hash, the counting upsert."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from typing import Any

import pytest
from fleetreport.apps.keys import KEY_SORT, hash_report_key, key_item_pk
from fleetreport_local.apigw import http_api_event
from fleetreport_local.invoker import Invoker, to_http_result
from groups_support import group_item, ingest, make_app, no_rate_limits, report

FIELDS = [
    ("application", "name"),
    ("application", "version"),
    ("application", "channel"),
    ("system", "platform"),
    ("system", "arch"),
    ("event", "type"),
    ("event", "reason"),
]
INVALID = {
    ("application", "name"): "bad_name!",
    ("application", "version"): "1.4.2-beta",
    ("application", "channel"): "stable-1",
    ("system", "platform"): "win_dows",
    ("system", "arch"): "amd-64",
    ("event", "type"): "Crash",
    ("event", "reason"): "bad reason",
}


def error(result: Any) -> str:
    return str(result.json()["error"])


def without(body: dict[str, Any], section: str, leaf: str) -> dict[str, Any]:
    body[section].pop(leaf)
    return body


@pytest.fixture
def atomic_moto(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real DynamoDB applies each request atomically; moto's in-memory backend takes no lock, so two
    threads' UpdateItems can interleave inside moto. One lock per emulated request restores the
    service's guarantee - and no more: a read-modify-write in our code would still lose counts."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def one_request_at_a_time(self: Any, request: Any) -> Any:
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", one_request_at_a_time)


@pytest.fixture
def app(stack: Any, settings_env: Any) -> tuple[str, str]:
    no_rate_limits(settings_env)
    return make_app(stack)


# ---------------------------------------------------------------- the happy path and the hash
def test_accepted_report_answers_202_with_the_group_hash(stack: Any, app: tuple[str, str]) -> None:
    result = ingest(stack, app[1], report())
    assert result.status == 202
    expected = hashlib.sha256(b"test|1.4.2|stable|windows|amd64|update_failure|checksum_mismatch").hexdigest()
    assert result.json() == {"status": "accepted", "group_hash": expected, "stored_details": False}


def test_group_hash_is_not_normalised(stack: Any, app: tuple[str, str]) -> None:
    first = ingest(stack, app[1], report(platform="windows")).json()["group_hash"]
    second = ingest(stack, app[1], report(platform="Windows")).json()["group_hash"]
    assert first != second


def test_first_report_creates_an_open_group_with_zeroed_stats(stack: Any, app: tuple[str, str]) -> None:
    app_id, key = app
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    item = group_item(stack, app_id, group_hash)
    assert item is not None
    assert item["count"] == 1 and item["details_stored"] == 0 and item["details_rejected"] == 0
    assert item["status"] == "open" and item["owner"] == "t1"
    assert item["first_seen"] == item["last_seen"] == item["created_at"] == item["updated_at"]
    assert (item["app_name"], item["app_version"], item["event_reason"]) == (
        "test",
        "1.4.2",
        "checksum_mismatch",
    )
    hour = "h" + item["last_seen"][:13].replace("-", "").replace("T", "")
    assert item[hour] == 1


def test_next_report_counts_and_moves_last_seen_only(stack: Any, app: tuple[str, str]) -> None:
    app_id, key = app
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    first = group_item(stack, app_id, group_hash)
    ingest(stack, key, report())
    second = group_item(stack, app_id, group_hash)
    assert first and second
    assert second["count"] == 2
    assert second["first_seen"] == first["first_seen"] and second["created_at"] == first["created_at"]
    assert second["id"] == first["id"]
    assert second["last_seen"] >= first["last_seen"]


def test_unknown_fields_are_ignored(stack: Any, app: tuple[str, str]) -> None:
    body = report()
    body["extra"] = {"anything": [1, 2]}
    body["application"]["build"] = "x"
    assert ingest(stack, app[1], body).status == 202


def test_null_details_mean_no_details(stack: Any, app: tuple[str, str]) -> None:
    body = report()
    body["details"] = None
    assert ingest(stack, app[1], body).json()["stored_details"] is False


# ---------------------------------------------------------------- check 1: the report key
def test_missing_non_bearer_or_malformed_key_is_401(stack: Any, app: tuple[str, str]) -> None:
    for authorization in [
        None,
        "",
        "Bearer",
        "Basic {key}",
        "Token {key}",
        "Bearer rpk_123",
        "Bearer {key}x",
    ]:
        headers = {"X-Device-ID": "d1"}
        if authorization is not None:
            headers["Authorization"] = authorization.format(key=app[1])
        result = stack.http("POST", "/reports/ingest", headers=headers, body=report())
        assert (result.status, error(result)) == (401, "invalid report key"), authorization


def test_unknown_key_is_401(stack: Any, app: tuple[str, str]) -> None:
    result = ingest(stack, "rpk_" + "0" * 64, report())
    assert (result.status, error(result)) == (401, "invalid report key")


def test_bearer_scheme_is_case_insensitive_and_trimmed(stack: Any, app: tuple[str, str]) -> None:
    headers = {"Authorization": f"  bEaReR   {app[1]}  ", "X-Device-ID": "d1"}
    assert stack.http("POST", "/reports/ingest", headers=headers, body=report()).status == 202


def test_unknown_key_wins_over_an_empty_device_id(stack: Any, app: tuple[str, str]) -> None:
    result = ingest(stack, "rpk_" + "1" * 64, "not json", device="")
    assert (result.status, error(result)) == (401, "invalid report key")


# ---------------------------------------------------------------- check 2: the device id
def test_missing_or_blank_device_id_is_400(stack: Any, app: tuple[str, str]) -> None:
    for device in [None, "", "   "]:
        result = ingest(stack, app[1], report(), device=device)
        assert (result.status, error(result)) == (400, "missing X-Device-ID"), device


def test_device_id_is_checked_before_reports_are_disabled(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    settings_env(REPORTS_ENABLED="false")
    result = ingest(stack, key, report(), device="")
    assert (result.status, error(result)) == (400, "missing X-Device-ID")


# ---------------------------------------------------------------- check 3: reports disabled
def test_reports_disabled_is_403_even_with_a_bad_body(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    settings_env(REPORTS_ENABLED="false")
    result = ingest(stack, key, "not json")
    assert (result.status, error(result)) == (403, "reports are disabled for this app")


def test_the_key_of_an_app_whose_reports_were_turned_off_is_unknown(stack: Any, settings_env: Any) -> None:
    """Turning reports off deletes the key (SPEC §3.1, faynoSync): check 1 answers, whatever follows."""
    _, key = make_app(stack, reports=False)
    for body in (report(), "not json"):
        result = ingest(stack, key, body)
        assert (result.status, error(result)) == (401, "invalid report key")


def test_a_key_marked_off_by_an_earlier_version_is_still_refused(stack: Any, settings_env: Any) -> None:
    """Key items the previous version marked `reports: false` (instead of deleting) answer 403."""
    _, key = make_app(stack)
    stack.table("AppsTable").update_item(
        Key={"pk": key_item_pk(hash_report_key(key)), "sk": KEY_SORT},
        UpdateExpression="SET reports = :off",
        ExpressionAttributeValues={":off": False},
    )
    result = ingest(stack, key, report())
    assert (result.status, error(result)) == (403, "reports are disabled for this app")


def test_reports_enabled_false_is_403(stack: Any, app: tuple[str, str], settings_env: Any) -> None:
    settings_env(REPORTS_ENABLED="false")
    result = ingest(stack, app[1], report(name="other"))
    assert (result.status, error(result)) == (403, "reports are disabled for this app")


# ---------------------------------------------------------------- check 4: the body
def padded(size: int) -> bytes:
    """A valid report body of exactly `size` bytes (an ignored field carries the padding)."""
    body = report()
    body["padding"] = ""
    base = len(json.dumps(body).encode())
    body["padding"] = "x" * (size - base)
    raw = json.dumps(body).encode()
    assert len(raw) == size
    return raw


def test_body_exactly_at_the_limit_is_accepted_one_byte_over_is_413(stack: Any, app: tuple[str, str]) -> None:
    assert ingest(stack, app[1], padded(262144)).status == 202
    result = ingest(stack, app[1], padded(262145))
    assert (result.status, error(result)) == (413, "request body too large")


def test_body_size_is_checked_before_the_fields(stack: Any, app: tuple[str, str]) -> None:
    result = ingest(stack, app[1], b'{"x": "' + b"y" * 262144 + b'"}')
    assert (result.status, error(result)) == (413, "request body too large")


def test_base64_encoded_body_is_measured_after_decoding(stack: Any, app: tuple[str, str]) -> None:
    invoker = Invoker(stack.template)
    event = http_api_event(
        "POST",
        "/reports/ingest",
        route_key="POST /reports/ingest",
        headers={"Authorization": f"Bearer {app[1]}", "X-Device-ID": "d1"},
        body=base64.b64encode(padded(262144)).decode(),
    )
    event["isBase64Encoded"] = True
    assert to_http_result(invoker.invoke("ingest", event)).status == 202
    event["body"] = base64.b64encode(padded(262145)).decode()
    assert to_http_result(invoker.invoke("ingest", event)).status == 413
    event["body"] = "%%% not base64"
    assert to_http_result(invoker.invoke("ingest", event)).json() == {"error": "invalid request body"}


def test_body_that_is_not_a_json_object_is_400(stack: Any, app: tuple[str, str]) -> None:
    for body in ["not json", "", "[1, 2]", '"text"', "{", "null", "1e999999"]:
        result = ingest(stack, app[1], body)
        assert (result.status, error(result)) == (400, "invalid request body"), body


# ---------------------------------------------------------------- checks 5 and 6: fields
def test_missing_fields_are_reported_in_spec_order(stack: Any, app: tuple[str, str]) -> None:
    for index, (section, leaf) in enumerate(FIELDS):
        body = report()
        body[section].pop(leaf)
        for later in FIELDS[index + 1 :]:  # later fields are missing too, earlier ones are valid
            body[later[0]][later[1]] = ""
        result = ingest(stack, app[1], body)
        assert (result.status, error(result)) == (400, f"missing {section}.{leaf}")


def test_missing_or_non_object_section_is_a_missing_field(stack: Any, app: tuple[str, str]) -> None:
    for section in ["application", "system", "event"]:
        first_leaf = next(leaf for s, leaf in FIELDS if s == section)
        for broken in ["oops", None, [1]]:
            body = report()
            body[section] = broken
            assert error(ingest(stack, app[1], body)) == f"missing {section}.{first_leaf}"


def test_missing_field_wins_over_an_earlier_invalid_one(stack: Any, app: tuple[str, str]) -> None:
    body = report(name="bad!")
    body["event"].pop("reason")
    assert error(ingest(stack, app[1], body)) == "missing event.reason"


def test_invalid_fields_are_reported_in_spec_order(stack: Any, app: tuple[str, str]) -> None:
    for index, (section, leaf) in enumerate(FIELDS):
        body = report()
        for later_section, later_leaf in FIELDS[index:]:
            body[later_section][later_leaf] = INVALID[(later_section, later_leaf)]
        result = ingest(stack, app[1], body)
        assert (result.status, error(result)) == (400, f"invalid {section}.{leaf}")


def test_every_field_is_capped_at_128_characters(stack: Any, app: tuple[str, str]) -> None:
    for section, leaf in FIELDS:
        body = report()
        body[section][leaf] = {"name": "a", "version": "1", "type": "crash"}.get(leaf, "a") * 129
        assert error(ingest(stack, app[1], body)) == f"invalid {section}.{leaf}"


def test_non_string_field_is_invalid(stack: Any, app: tuple[str, str]) -> None:
    for section, leaf in FIELDS:
        for value in [12, True, ["a"], {"a": 1}]:
            body = report()
            body[section][leaf] = value
            assert error(ingest(stack, app[1], body)) == f"invalid {section}.{leaf}", value


def test_valid_edge_values_are_accepted(stack: Any, app: tuple[str, str]) -> None:
    for values in [
        {"version": "2026.05-1", "channel": "nightly2", "platform": "linux-musl", "arch": "arm64"},
        {"reason": "A.b_c-" + "x" * 122},
        {"version": "9" * 128},
        {"type": "crash"},
        {"type": "startup_failure"},
        {"type": "install_failure"},
        {"type": "rollback_failure"},
    ]:
        assert ingest(stack, app[1], report(**values)).status == 202, values


def test_name_with_spaces_and_hyphens_is_valid(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    _, key = make_app(stack, name="My App-2")
    assert ingest(stack, key, report(name="My App-2")).status == 202


# ---------------------------------------------------------------- check 7: the key's app
def test_report_for_another_app_is_403(stack: Any, app: tuple[str, str]) -> None:
    result = ingest(stack, app[1], report(name="other"))
    assert (result.status, error(result)) == (403, "report key does not belong to this application")


def test_wrong_app_is_checked_before_rate_limits(stack: Any, settings_env: Any) -> None:
    _, key = make_app(stack)
    settings_env(REPORTS_RATE_LIMIT_PER_KEY_PER_MINUTE="1")
    assert ingest(stack, key, report(), device="a").status == 202
    assert ingest(stack, key, report(), device="b").status == 429
    assert ingest(stack, key, report(name="other"), device="c").status == 403


# ---------------------------------------------------------------- §3.2 the upsert
def set_status(stack: Any, app_id: str, group_hash: str, status: str, **extra: Any) -> None:
    names = {"#s": "status", **{f"#{k}": k for k in extra}}
    values = {":s": status, **{f":{k}": v for k, v in extra.items()}}
    sets = ", ".join(["#s = :s", *[f"#{k} = :{k}" for k in extra]])
    stack.table("GroupsTable").update_item(
        Key={"app_id": app_id, "group_hash": group_hash},
        UpdateExpression=f"SET {sets}",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def test_resolved_group_reopens_on_new_report(stack: Any, app: tuple[str, str]) -> None:
    app_id, key = app
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    set_status(
        stack, app_id, group_hash, "resolved", resolved_at="2026-05-20T10:00:00.000Z", resolved_by="u1"
    )
    assert ingest(stack, key, report()).status == 202
    item = group_item(stack, app_id, group_hash)
    assert item and item["status"] == "open" and item["count"] == 2
    assert "resolved_at" not in item and "resolved_by" not in item


def test_muted_group_stays_muted(stack: Any, app: tuple[str, str]) -> None:
    app_id, key = app
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    set_status(stack, app_id, group_hash, "muted")
    ingest(stack, key, report())
    item = group_item(stack, app_id, group_hash)
    assert item and item["status"] == "muted" and item["count"] == 2


def test_tags_and_note_survive_new_reports(stack: Any, app: tuple[str, str]) -> None:
    app_id, key = app
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    set_status(stack, app_id, group_hash, "resolved", tags=["a", "b"], note="known issue", resolved_by="u")
    ingest(stack, key, report())
    item = group_item(stack, app_id, group_hash)
    assert item and item["tags"] == ["a", "b"] and item["note"] == "known issue"


def test_same_dimensions_in_two_apps_are_two_groups(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    app_a, key_a = make_app(stack, tenant="t1")
    app_b, key_b = make_app(stack, tenant="t2")
    hash_a = ingest(stack, key_a, report()).json()["group_hash"]
    hash_b = ingest(stack, key_b, report()).json()["group_hash"]
    assert hash_a == hash_b
    a, b = group_item(stack, app_a, hash_a), group_item(stack, app_b, hash_b)
    assert a and b and a["owner"] == "t1" and b["owner"] == "t2" and a["id"] != b["id"]


def test_concurrent_reports_never_lose_a_count(stack: Any, app: tuple[str, str], atomic_moto: None) -> None:
    """Each thread is its own warm "container" (a resolver serves one request at a time)."""
    app_id, key = app
    threads, per_thread = 8, 10
    containers = [Invoker(stack.template) for _ in range(threads)]
    for container in containers:  # import outside the race, as a warm container would have
        container.module("IngestFunction")
    statuses: list[int] = []

    def post(container: Invoker, n: int) -> None:
        for i in range(per_thread):
            result = container.http(
                "POST",
                "/reports/ingest",
                headers={"Authorization": f"Bearer {key}", "X-Device-ID": f"d{n}-{i}"},
                body=report(),
            )
            statuses.append(result.status)

    workers = [threading.Thread(target=post, args=(c, n)) for n, c in enumerate(containers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert statuses == [202] * threads * per_thread
    group_hash = hashlib.sha256(
        b"test|1.4.2|stable|windows|amd64|update_failure|checksum_mismatch"
    ).hexdigest()
    item = group_item(stack, app_id, group_hash)
    assert item and item["count"] == threads * per_thread


def test_concurrent_reports_reopen_a_resolved_group_once_and_count_all(
    stack: Any, app: tuple[str, str], atomic_moto: None
) -> None:
    app_id, key = app
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    set_status(
        stack, app_id, group_hash, "resolved", resolved_at="2026-05-20T10:00:00.000Z", resolved_by="u1"
    )
    containers = [Invoker(stack.template) for _ in range(4)]
    for container in containers:
        container.module("IngestFunction")

    def post(container: Invoker, n: int) -> None:
        for i in range(5):
            headers = {"Authorization": f"Bearer {key}", "X-Device-ID": f"r{n}-{i}"}
            container.http("POST", "/reports/ingest", headers=headers, body=report())

    workers = [threading.Thread(target=post, args=(c, n)) for n, c in enumerate(containers)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    item = group_item(stack, app_id, group_hash)
    assert item and item["count"] == 21 and item["status"] == "open" and "resolved_by" not in item


def test_ingest_emits_the_reports_ingested_metric(stack: Any, app: tuple[str, str], capsys: Any) -> None:
    ingest(stack, app[1], report())
    assert '"ReportsIngested"' in capsys.readouterr().out
