"""Nothing secret in logs (SPEC §8), across the admin and compliance flows.

test_groups_read (`test_nothing_secret_reaches_the_logs`) covers ingest and the group routes; this
covers what it does not: report keys shown on creation, regeneration and re-enabling, JWTs (valid,
expired, forged, under-privileged), compliance event payloads over HTTP and SQS (poison messages
included), the reports run over them, and a rollup. Everything our code and Powertools log at the
deployed level is captured (records and stdout); botocore's own DEBUG lines, which echo request
parameters and are never enabled in a deployment, are left out.
"""

from __future__ import annotations

import json
from typing import Any

from auth_support import HS_SECRET
from compliance_support import compliance, entitlement
from fleetreport_local.apigw import sqs_event
from fleetreport_local.tokens import DEV_SECRET, mint_token

NOW = "2026-05-20T10:00:00.000+0000"
PAYLOAD_SECRETS = ["HOSTSECRET-7731", "FACTSECRET-99", "PRODUCTSECRET-42", "REASONSECRET-5", "POISONSECRET-1"]


def secret_event(uuid: str, event_id: str) -> dict[str, Any]:
    event = compliance(
        uuid,
        NOW,
        "invalid",
        entitlements=[entitlement("SKU-1", "PRODUCTSECRET-42")],
        reasons=[{"key": "NOTCOVERED", "attributes": {"name": "REASONSECRET-5"}}],
        event_id=event_id,
    )
    entity = json.loads(event["entity"])
    entity["consumer"]["name"] = "HOSTSECRET-7731"
    entity["consumer"]["facts"] = {"secret.fact": "FACTSECRET-99"}
    event["entity"] = json.dumps(entity)
    return event


def admin_flow(stack: Any, admin: dict[str, str]) -> list[str]:
    """Create, list, regenerate, revoke and re-issue keys; use them. Returns every key shown."""
    created = stack.http("POST", "/apps", headers=admin, body={"name": "secret-app", "reports": True}).json()
    app_id, shown = created["id"], [created["report_key"]]
    assert stack.http("GET", "/report-keys/list", headers=admin).status == 200
    regenerated = stack.http("POST", "/report-keys/regenerate", headers=admin, body={"app_id": app_id})
    shown.append(regenerated.json()["key_value"])
    assert stack.http("PATCH", f"/apps/{app_id}", headers=admin, body={"reports": False}).status == 200
    reissued = stack.http("PATCH", f"/apps/{app_id}", headers=admin, body={"reports": True}).json()
    shown.append(reissued["report_key"])
    report = {
        "application": {"name": "secret-app", "version": "1.0", "channel": "stable"},
        "system": {"platform": "linux", "arch": "amd64"},
        "event": {"type": "crash", "reason": "boom"},
    }
    for key in shown:  # the old ones are refused, the current one counts
        headers = {"Authorization": f"Bearer {key}", "X-Device-ID": "DEVICESECRET-3"}
        stack.http("POST", "/reports/ingest", headers=headers, body=report)
    return shown


def compliance_flow(stack: Any, ingest_token: str, admin: dict[str, str]) -> None:
    headers = {"Authorization": f"Bearer {ingest_token}"}
    assert stack.http("POST", "/events", headers=headers, body=secret_event("c1", "e-1")).status == 200
    bad = secret_event("c2", "e-2")
    bad["entity"] = bad["entity"].replace(NOW, "POISONSECRET-1")  # an invalid status date
    assert stack.http("POST", "/events", headers=headers, body=[bad]).status == 400
    batch = sqs_event([json.dumps(secret_event("c3", "e-3")), '{"POISONSECRET-1": ', json.dumps(bad)])
    for record in batch["Records"]:
        record["messageAttributes"] = {"owner": {"stringValue": "t1", "dataType": "String"}}
    assert len(stack.invoke("events", batch)["batchItemFailures"]) == 2
    for path, query, status in [
        ("/reports/consumer_status/run", {}, 200),
        ("/reports/consumer_status/run", {"custom_results": "true"}, 200),
        ("/reports/consumer_trend/run", {"consumer_uuid": "c1"}, 200),
        ("/reports/status_trend/run", {"start_date": "2026-05-19", "end_date": "2026-05-21"}, 200),
        ("/reports/consumer_status/run", {"on_date": "POISONSECRET-1"}, 400),
    ]:
        assert stack.http("GET", path, headers=admin, query=query).status == status, (path, query)
    stack.invoke("rollup", {"date": "2026-05-20"})


def refused_tokens(stack: Any) -> list[str]:
    """Tokens that must be refused without being written down anywhere."""
    expired = mint_token(role="admin", owner="t1", ttl=-3600)
    forged = mint_token(role="admin", owner="t1", secret=HS_SECRET)
    team = mint_token(role="team", owner="t1", permissions={"apps": {}}, allowed_apps=[])
    for token, status in ((expired, 401), (forged, 401), (team, 403)):
        for method, path in [("GET", "/apps"), ("GET", "/reports/groups"), ("GET", "/reports")]:
            answer = stack.http(method, path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status == status, (path, answer.status, answer.text)
    return [expired, forged, team]


def test_no_key_token_device_id_or_event_payload_is_logged(stack: Any, caplog: Any, capsys: Any) -> None:
    caplog.set_level("DEBUG")
    for noisy in ("botocore", "boto3", "urllib3", "moto", "s3transfer"):
        caplog.set_level("INFO", logger=noisy)
    admin_token = mint_token(role="admin", owner="t1")
    ingest_token = mint_token(role="ingest", owner="t1")
    admin = {"Authorization": f"Bearer {admin_token}"}
    keys = admin_flow(stack, admin)
    compliance_flow(stack, ingest_token, admin)
    tokens = [admin_token, ingest_token, *refused_tokens(stack)]
    out = capsys.readouterr()
    logged = "\n".join(str(record.__dict__) for record in caplog.records) + out.out + out.err
    assert "report counted" in logged and "compliance events consumed" in logged  # the logs were captured
    secrets = [*keys, *(key[4:] for key in keys), *tokens, "DEVICESECRET-3", *PAYLOAD_SECRETS, DEV_SECRET]
    leaked = [secret[:24] for secret in secrets if secret in logged]
    assert leaked == []
    signatures = [token.rsplit(".", 1)[1] for token in tokens]  # not even the signature part of a JWT
    assert [s for s in signatures if s in logged] == []
