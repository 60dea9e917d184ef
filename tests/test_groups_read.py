"""Reading report groups (SPEC §3.4, §2 scoping, §7 list cost): list, get one, blobs."""

from __future__ import annotations

import gzip
import re
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from fleetreport.groups.blobs import BlobLocation, presigned_url
from fleetreport.storage.aws import dynamodb, reset_clients
from fleetreport_local.tokens import ALL_PERMISSIONS
from groups_support import gzip_details, ingest, make_app, no_rate_limits, put_group, report

GROUP_KEYS = {
    "id", "group_hash", "app_id", "application", "system", "event", "stats", "status",
    "created_at", "updated_at",
}  # fmt: skip
RFC3339_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
HASH = re.compile(r"^[a-f0-9]{64}$")


def times(n: int) -> str:
    """Distinct last_seen values: times(0) is the oldest."""
    return f"2026-05-{1 + n // 24:02d}T{n % 24:02d}:00:00.000Z"


def groups(stack: Any, headers: dict[str, str], **query: Any) -> Any:
    return stack.http("GET", "/reports/groups", headers=headers, query=query)


@pytest.fixture
def admin(stack: Any) -> dict[str, str]:
    return stack.auth(role="admin", owner="t1", sub="admin-1")


# ---------------------------------------------------------------- list: shape
def test_list_answers_the_seed_shape(stack: Any, settings_env: Any, admin: dict[str, str]) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    for _ in range(3):
        ingest(stack, key, report(details=gzip_details()))
    ingest(stack, key, report(details={"encoding": "nope"}))
    result = groups(stack, admin)
    assert result.status == 200
    body = result.json()
    assert set(body) == {"items", "total", "page", "limit"}
    assert (body["total"], body["page"], body["limit"]) == (1, 1, 20)
    [group] = body["items"]
    assert set(group) == GROUP_KEYS
    assert HASH.match(group["group_hash"]) and group["app_id"] == app_id and group["id"]
    assert group["application"] == {"name": "test", "version": "1.4.2", "channel": "stable"}
    assert group["system"] == {"platform": "windows", "arch": "amd64"}
    assert group["event"] == {"type": "update_failure", "reason": "checksum_mismatch"}
    stats = group["stats"]
    assert (stats["count"], stats["details_stored"], stats["details_rejected"]) == (4, 3, 1)
    for stamp in (stats["first_seen"], stats["last_seen"], group["created_at"], group["updated_at"]):
        assert RFC3339_MS.match(stamp), stamp
    assert group["status"] == "open"
    assert "owner" not in result.text and "bucket" not in result.text


def test_triage_fields_appear_only_when_set(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    put_group(stack, "t1", app_id, reason="plain", last_seen=times(1))
    put_group(
        stack, "t1", app_id, reason="triaged", last_seen=times(2), status="resolved",
        tags=["x", "y"], note="n", resolved_at=times(3), resolved_by="u1",
    )  # fmt: skip
    triaged, plain = groups(stack, admin).json()["items"]
    assert set(plain) == GROUP_KEYS
    assert set(triaged) == GROUP_KEYS | {"tags", "note", "resolved_at", "resolved_by"}
    assert (triaged["tags"], triaged["note"], triaged["resolved_by"]) == (["x", "y"], "n", "u1")


# ---------------------------------------------------------------- list: order and paging
def test_sorted_by_last_seen_descending_ties_by_group_hash(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    tied = sorted(put_group(stack, "t1", app_id, reason=f"tie{n}", last_seen=times(5)) for n in range(4))
    newest = put_group(stack, "t1", app_id, reason="newest", last_seen=times(9))
    oldest = put_group(stack, "t1", app_id, reason="oldest", last_seen=times(1))
    hashes = [g["group_hash"] for g in groups(stack, admin).json()["items"]]
    assert hashes == [newest, *tied, oldest]
    hashes_by_app = [g["group_hash"] for g in groups(stack, admin, app="test").json()["items"]]
    assert hashes_by_app == hashes


def test_pages_and_total(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    made = [put_group(stack, "t1", app_id, reason=f"r{n}", last_seen=times(n)) for n in range(25)]
    newest_first = list(reversed(made))
    first = groups(stack, admin).json()
    assert [g["group_hash"] for g in first["items"]] == newest_first[:20] and first["total"] == 25
    second = groups(stack, admin, page=2).json()
    assert [g["group_hash"] for g in second["items"]] == newest_first[20:] and second["page"] == 2
    small = groups(stack, admin, page=3, limit=7).json()
    assert [g["group_hash"] for g in small["items"]] == newest_first[14:21]
    assert (small["total"], small["page"], small["limit"]) == (25, 3, 7)
    assert groups(stack, admin, page=9).json() == {"items": [], "total": 25, "page": 9, "limit": 20}
    assert len(groups(stack, admin, limit=100).json()["items"]) == 25
    assert len(groups(stack, admin, limit=1).json()["items"]) == 1


def test_bad_page_or_limit_is_400(stack: Any, admin: dict[str, str]) -> None:
    for value in ["0", "-1", "abc", "1.5", "1e3", " 1", "9999999999"]:
        assert groups(stack, admin, page=value).json() == {"error": "invalid page"}, value
    for value in ["0", "101", "-5", "x", "2.0"]:
        assert groups(stack, admin, limit=value).json() == {"error": "invalid limit"}, value
    assert groups(stack, admin, limit="0").status == 400


# ---------------------------------------------------------------- list: filters
def test_dimension_filters_match_exactly(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    other_app, _ = make_app(stack, name="other")
    base = put_group(stack, "t1", app_id, last_seen=times(1))
    variants = {
        "version": put_group(stack, "t1", app_id, version="2.0", last_seen=times(2)),
        "channel": put_group(stack, "t1", app_id, channel="beta", last_seen=times(3)),
        "platform": put_group(stack, "t1", app_id, platform="linux", last_seen=times(4)),
        "arch": put_group(stack, "t1", app_id, arch="arm64", last_seen=times(5)),
        "type": put_group(stack, "t1", app_id, type="crash", last_seen=times(6)),
        "reason": put_group(stack, "t1", app_id, reason="disk_full", last_seen=times(7)),
    }
    put_group(stack, "t1", other_app, name="other", last_seen=times(8))
    values = {"version": "2.0", "channel": "beta", "platform": "linux", "arch": "arm64", "type": "crash"}
    values["reason"] = "disk_full"
    for name, wanted in values.items():
        found = [g["group_hash"] for g in groups(stack, admin, **{name: wanted}).json()["items"]]
        assert found == [variants[name]], name
    assert groups(stack, admin, version="2").json()["total"] == 0  # exact, not prefix
    assert groups(stack, admin, app="test").json()["total"] == 7
    assert groups(stack, admin, app="other").json()["total"] == 1
    assert groups(stack, admin, app="nope").json() == {"items": [], "total": 0, "page": 1, "limit": 20}
    both = groups(stack, admin, app="test", platform="windows", version="1.4.2", type="update_failure").json()
    expected = [variants["reason"], variants["arch"], variants["channel"], base]
    assert [g["group_hash"] for g in both["items"]] == expected
    assert groups(stack, admin, version="").json()["total"] == 8  # empty values are ignored


def test_status_filter(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    for n, status in enumerate(["open", "open", "resolved", "muted"]):
        put_group(stack, "t1", app_id, reason=f"r{n}", status=status, last_seen=times(n))
    totals = {s: groups(stack, admin, status=s).json()["total"] for s in ["open", "resolved", "muted", "all"]}
    assert totals == {"open": 2, "resolved": 1, "muted": 1, "all": 4}
    assert groups(stack, admin).json()["total"] == 4
    for bad in ["OPEN", "closed", "open,muted"]:
        assert groups(stack, admin, status=bad).json() == {"error": "invalid status"}


def test_from_and_to_bound_last_seen_inclusively(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    made = {n: put_group(stack, "t1", app_id, reason=f"r{n}", last_seen=times(n)) for n in range(6)}

    def hashes(**query: str) -> list[str]:
        return [g["group_hash"] for g in groups(stack, admin, **query).json()["items"]]

    assert hashes(**{"from": times(2)}) == [made[5], made[4], made[3], made[2]]
    assert hashes(to=times(2)) == [made[2], made[1], made[0]]
    assert hashes(**{"from": times(1), "to": times(3)}) == [made[3], made[2], made[1]]
    # any RFC 3339: offsets, no fraction, lowercase t/z, sub-millisecond precision
    assert hashes(**{"from": "2026-05-01T03:00:00+01:00", "to": "2026-05-01t03:00:00z"}) == [made[3], made[2]]
    assert hashes(**{"from": "2026-05-01T01:59:59.9999999Z", "to": "2026-05-01T02:00:00.0004Z"}) == [made[2]]
    assert hashes(**{"from": "2026-05-01T02:00:00.0001Z"}) == [made[5], made[4], made[3]]
    assert hashes(**{"from": times(4), "to": times(1)}) == []


def test_unparsable_bounds_are_400(stack: Any, admin: dict[str, str]) -> None:
    for bad in [
        "yesterday",
        "2026-05-01",
        "2026-13-01T00:00:00Z",
        "2026-05-01T25:00:00Z",
        "2026-05-01T00:00:00",
    ]:
        assert groups(stack, admin, **{"from": bad}).json() == {"error": "invalid from"}, bad
        assert groups(stack, admin, to=bad).json() == {"error": "invalid to"}, bad


# ---------------------------------------------------------------- get one
def test_get_one_group(stack: Any, settings_env: Any, admin: dict[str, str]) -> None:
    no_rate_limits(settings_env)
    _, key = make_app(stack)
    group_hash = ingest(stack, key, report()).json()["group_hash"]
    listed = groups(stack, admin).json()["items"][0]
    result = stack.http("GET", f"/reports/groups/{group_hash}", headers=admin)
    body = result.json()
    assert result.status == 200 and set(body.pop("activity")) == {"hourly", "daily"}  # SPEC §10
    assert body == listed


def test_get_rejects_a_malformed_hash_and_404s_an_unknown_one(stack: Any, admin: dict[str, str]) -> None:
    make_app(stack)
    for bad in ["abc", "A" * 64, "g" * 64, "a" * 63, "a" * 65]:
        result = stack.http("GET", f"/reports/groups/{bad}", headers=admin)
        assert (result.status, result.json()) == (400, {"error": "invalid group hash"}), bad
    result = stack.http("GET", f"/reports/groups/{'a' * 64}", headers=admin)
    assert (result.status, result.json()) == (404, {"error": "report group not found"})


def test_app_query_disambiguates_a_hash_shared_by_two_apps(stack: Any, admin: dict[str, str]) -> None:
    first, _ = make_app(stack, name="first")
    second, _ = make_app(stack, name="second")
    shared = "b" * 64
    put_group(stack, "t1", first, name="first", group_hash=shared, last_seen=times(1))
    put_group(stack, "t1", second, name="second", group_hash=shared, last_seen=times(2))
    path = f"/reports/groups/{shared}"
    assert stack.http("GET", path, headers=admin).json()["app_id"] == second  # most recently seen
    assert stack.http("GET", path, headers=admin, query={"app": "first"}).json()["app_id"] == first
    assert stack.http("GET", path, headers=admin, query={"app": "second"}).json()["app_id"] == second
    assert stack.http("GET", path, headers=admin, query={"app": "third"}).status == 404


# ---------------------------------------------------------------- blobs
def blobs(stack: Any, headers: dict[str, str], group_hash: str, **query: Any) -> Any:
    return stack.http("GET", f"/reports/groups/{group_hash}/blobs", headers=headers, query=query)


def test_blobs_newest_first_with_presigned_urls(stack: Any, settings_env: Any, admin: dict[str, str]) -> None:
    no_rate_limits(settings_env)
    _, key = make_app(stack)
    for n in range(3):
        group_hash = ingest(stack, key, report(details=gzip_details(f'{{"n": {n}}}'.encode()))).json()[
            "group_hash"
        ]
    result = blobs(stack, admin, group_hash)
    assert result.status == 200 and set(result.json()) == {"items"}
    items = result.json()["items"]
    assert [i["created_at"] for i in items] == sorted((i["created_at"] for i in items), reverse=True)
    s3 = boto3.client("s3")
    contents = []
    for item in items:
        assert set(item) == {
            "id", "group_hash", "app_id", "application", "system", "event", "created_at", "expires_at",
            "storage", "url",
        }  # fmt: skip
        assert set(item["storage"]) == {
            "key",
            "compressed_size",
            "decompressed_size",
            "content_type",
            "encoding",
        }
        url = urlsplit(item["url"])
        assert url.path.endswith(item["storage"]["key"])
        assert parse_qs(url.query)["X-Amz-Expires"] == ["900"]
        body = s3.get_object(Bucket=stack.name("BlobBucket"), Key=item["storage"]["key"])["Body"].read()
        contents.append(gzip.decompress(body))
    assert contents == [b'{"n": 2}', b'{"n": 1}', b'{"n": 0}']
    assert "owner" not in result.text and stack.name("BlobBucket") not in str([i["storage"] for i in items])
    assert [i["id"] for i in blobs(stack, admin, group_hash, limit=2).json()["items"]] == [
        i["id"] for i in items[:2]
    ]


def test_blob_limit_is_1_to_50(stack: Any, admin: dict[str, str]) -> None:
    app_id, _ = make_app(stack)
    group_hash = put_group(stack, "t1", app_id)
    for value in ["0", "51", "x", "-1"]:
        assert blobs(stack, admin, group_hash, limit=value).json() == {"error": "invalid limit"}
    assert blobs(stack, admin, group_hash, limit="50").status == 200
    assert blobs(stack, admin, "XYZ").json() == {"error": "invalid group hash"}


def test_unknown_group_has_no_blobs(stack: Any, admin: dict[str, str]) -> None:
    make_app(stack)
    assert blobs(stack, admin, "c" * 64).json() == {"items": []}


def test_a_blob_that_cannot_be_signed_is_skipped(
    stack: Any, settings_env: Any, admin: dict[str, str]
) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack)
    group_hash = ingest(stack, key, report(details=gzip_details())).json()["group_hash"]
    [good] = blobs(stack, admin, group_hash).json()["items"]
    stack.table("BlobsTable").put_item(
        Item={
            "group_key": f"{app_id}#{group_hash}", "blob_sk": "9999-01-01T00:00:00.000Z#x", "id": "x",
            "group_hash": group_hash, "app_id": app_id, "created_at": "9999-01-01T00:00:00.000Z",
            "storage": {"key": ""},
        }
    )  # fmt: skip
    assert [i["id"] for i in blobs(stack, admin, group_hash).json()["items"]] == [good["id"]]


def test_presigned_url_fetches_the_object_over_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real GET of the URL, against a moto server on 127.0.0.1 (mock_aws only intercepts botocore)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        reset_clients()
        s3 = boto3.client("s3", endpoint_url=f"http://{host}:{port}")
        s3.create_bucket(Bucket="blobs")
        s3.put_object(
            Bucket="blobs", Key="reports/a/b.json.gz", Body=b"gzip bytes", ContentType="application/gzip"
        )
        url = presigned_url(BlobLocation("g", "s", "blobs", "reports/a/b.json.gz"))
        assert url and url.startswith(f"http://{host}:{port}/")
        with urllib.request.urlopen(url, timeout=5) as answer:
            assert answer.read() == b"gzip bytes"
    finally:
        server.stop()
        reset_clients()


# ---------------------------------------------------------------- REPORTS_ENABLED
def test_group_routes_are_off_when_reports_are_disabled(
    stack: Any, settings_env: Any, admin: dict[str, str]
) -> None:
    settings_env(REPORTS_ENABLED="false")
    for method, path in [
        ("GET", "/reports/groups"), ("GET", f"/reports/groups/{'a' * 64}"),
        ("GET", f"/reports/groups/{'a' * 64}/blobs"), ("PATCH", f"/reports/groups/{'a' * 64}"),
        ("DELETE", f"/reports/groups/{'a' * 64}"),
    ]:  # fmt: skip
        assert stack.http(method, path, headers=admin, body={"status": "open"}).status == 404


# ---------------------------------------------------------------- tenancy (GET routes)
def team(stack: Any, owner: str, allowed: list[str], **flags: bool) -> dict[str, str]:
    permissions = {"apps": {**ALL_PERMISSIONS["apps"], **flags}, "reports": {"read": True}}
    return stack.auth(role="team", owner=owner, allowed_apps=allowed, permissions=permissions)


def test_read_routes_tenancy_matrix(stack: Any, settings_env: Any) -> None:
    no_rate_limits(settings_env)
    app_id, key = make_app(stack, tenant="t1")
    other_app, _ = make_app(stack, tenant="t1", name="other")
    foreign_app, _ = make_app(stack, tenant="t2")
    group_hash = ingest(stack, key, report(details=gzip_details())).json()["group_hash"]
    put_group(stack, "t2", foreign_app)  # the same hash in another owner's app of the same name
    sees, hidden, denied = "sees", "hidden", "denied"
    cases = {
        "admin of the owner": (stack.auth(role="admin", owner="t1"), sees),
        "admin of another owner": (stack.auth(role="admin", owner="t2x"), hidden),
        "team, app allowed": (team(stack, "t1", [app_id]), sees),
        "team, other app allowed": (team(stack, "t1", [other_app]), hidden),
        "team, nothing allowed": (team(stack, "t1", []), hidden),
        "team of another owner naming the app": (team(stack, "t2", [app_id]), hidden),
        "team without apps.download": (team(stack, "t1", [app_id], download=False), denied),
        "team with only apps.download": (
            stack.auth(role="team", owner="t1", allowed_apps=[app_id],
                       permissions={"apps": {"download": True}}), sees),
        "ingest role": (stack.auth(role="ingest", owner="t1"), denied),
    }  # fmt: skip
    for case, (headers, expected) in cases.items():
        listed = groups(stack, headers)
        one = stack.http("GET", f"/reports/groups/{group_hash}", headers=headers)
        blob_list = blobs(stack, headers, group_hash)
        if expected == denied:
            for result in (listed, one, blob_list):
                assert (result.status, result.json()) == (403, {"error": "Permission denied"}), case
            continue
        assert listed.status == one.status - (0 if expected == sees else 204) == 200, case
        if expected == sees:
            assert [g["app_id"] for g in listed.json()["items"]] == [app_id], case
            assert one.json()["app_id"] == app_id, case
            assert len(blob_list.json()["items"]) == 1, case
        else:
            assert listed.json()["items"] == [] and listed.json()["total"] == 0, case
            assert (one.status, one.json()) == (404, {"error": "report group not found"}), case
            assert (blob_list.status, blob_list.json()) == (200, {"items": []}), case


def test_read_routes_need_a_jwt(stack: Any) -> None:
    for path in ["/reports/groups", f"/reports/groups/{'a' * 64}", f"/reports/groups/{'a' * 64}/blobs"]:
        for headers in [{}, {"Authorization": "Bearer nope"}, {"Authorization": "rpk_" + "0" * 64}]:
            assert stack.http("GET", path, headers=headers).status == 401, (path, headers)


# ---------------------------------------------------------------- cost (SPEC §7)
class ReadCounter:
    """Counts GroupsTable items read (Query ScannedCount, BatchGetItem items) through the code's client."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.items = 0
        self.scans = 0
        self._current = ""
        events = dynamodb().meta.client.meta.events
        events.register("before-parameter-build.dynamodb", self._before)
        events.register("after-call.dynamodb", self._after)

    def _before(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._current = model.name
        self._ours = params.get("TableName") == self.table_name or self.table_name in params.get(
            "RequestItems", {}
        )

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        if not self._ours:
            return
        if self._current == "Scan":
            self.scans += 1
        if self._current == "Query":
            self.items += int(parsed.get("ScannedCount", 0))
        if self._current == "BatchGetItem":
            self.items += len(parsed.get("Responses", {}).get(self.table_name, []))


def bulk_groups(stack: Any, owner: str, app_id: str, n: int, prefix: str) -> None:
    with stack.table("GroupsTable").batch_writer() as batch:
        for i in range(n):
            put_group(stack, owner, app_id, reason=f"{prefix}{i}", last_seen=times(i % 500), batch=batch)


OTHERS = 150  # groups of another app of the owner, and of another owner


def test_list_cost_does_not_grow_with_other_apps_or_owners(stack: Any) -> None:
    app_a, _ = make_app(stack, tenant="t1", name="alpha")
    app_b, _ = make_app(stack, tenant="t1", name="beta")
    foreign, _ = make_app(stack, tenant="t2", name="alpha")
    bulk_groups(stack, "t1", app_a, 60, "a")
    admin_hdr = stack.auth(role="admin", owner="t1")
    team_hdr = team(stack, "t1", [app_a])
    views = {
        "admin, app filter": (admin_hdr, {"app": "alpha"}),
        "admin, app filter, page 2, status": (admin_hdr, {"app": "alpha", "page": 2, "status": "open"}),
        "team user": (team_hdr, {}),
        "team user, filtered": (team_hdr, {"platform": "windows", "limit": 5}),
        "admin, all apps": (admin_hdr, {}),
    }
    counter = ReadCounter(stack.name("GroupsTable"))

    def cost() -> dict[str, tuple[int, int]]:
        out = {}
        for view, (headers, query) in views.items():
            counter.items = 0
            answer = groups(stack, headers, **query).json()
            out[view] = (counter.items, answer["total"])
        return out

    before = cost()
    # a page of index entries (+3: the next page's first, the end of its run, a cursor's own); the
    # indexes project what a list item shows, so no full item is read
    assert before["admin, app filter"] == (20 + 3, 60)
    assert before["admin, app filter, page 2, status"] == (40 + 3, 60)  # page 2 skips 20 entries
    assert before["admin, all apps"] == (20 + 3, 60)
    # a dimension filter walks the app's partition (only what the filters need), then reads its page
    assert before["team user, filtered"] == (60 + 5, 60)
    # Each bulk group is a stream record the aggregates and alerts functions take in turn (a
    # transaction each on moto, which deep-copies every table first): 150 apiece keeps the test fast
    # and the table still 5 times larger than app alpha's 60 groups.
    bulk_groups(stack, "t2", foreign, OTHERS, "f")  # another owner (even with an app of the same name)
    bulk_groups(stack, "t1", app_b, OTHERS, "b")  # another app of the same owner
    after = cost()
    for view in views:
        if view != "admin, all apps":  # the admin's unfiltered view includes app beta by definition
            assert after[view] == before[view], view
    assert after["admin, all apps"] == (20 + 3, 60 + OTHERS)  # the same reads; beta counted, none of t2's
    assert counter.scans == 0


# ---------------------------------------------------------------- logs
def test_nothing_secret_reaches_the_logs(stack: Any, settings_env: Any, caplog: Any, capsys: Any) -> None:
    """Report keys, device ids, JWTs and payload bytes never appear in a log line or metric."""
    caplog.set_level("DEBUG")
    _, key = make_app(stack)
    device = "device-id-7f3a9c"
    secret_text = b'{"password": "hunter2-in-a-crash-dump"}'
    details = gzip_details(secret_text)
    token = stack.token(role="admin", owner="t1")
    admin_hdr = {"Authorization": f"Bearer {token}"}
    group_hash = ingest(stack, key, report(details=details), device=device).json()["group_hash"]
    ingest(stack, key, report(details=details), device=device)  # rate limited (1 per device per hour)
    ingest(
        stack, key, report(reason="x", details={**details, "payload": details["payload"][:-4]}), device=device
    )
    ingest(stack, key, report(name="other"), device=device)
    ingest(stack, "rpk_" + "9" * 64, report(), device=device)
    settings_env(BLOB_BUCKET="missing-bucket", COUNTERS_TABLE="missing-table")
    ingest(stack, key, report(reason="y", details=details), device=device)
    for path in ["/reports/groups", f"/reports/groups/{group_hash}", f"/reports/groups/{group_hash}/blobs"]:
        assert stack.http("GET", path, headers=admin_hdr).status == 200
    stack.http("PATCH", f"/reports/groups/{group_hash}", headers=admin_hdr, body={"note": "n"})
    stack.http("DELETE", f"/reports/groups/{group_hash}", headers=admin_hdr)
    logged = "\n".join(str(record.__dict__) for record in caplog.records) + capsys.readouterr().out
    assert "report counted" in logged and "details not stored" in logged  # the logs were captured
    for secret in [key, key[4:], device, details["payload"][:40], "hunter2", token]:
        assert secret not in logged, secret
