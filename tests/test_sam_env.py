"""`fleetreport sam-env` (issue 21): the `sam local --env-vars` file names every function of
template.yaml with every variable it declares (sam sets only declared ones), resolved to the running
stack's tables, bucket, queues and bus; a handler run with exactly that environment (as a container
would, endpoint rewritten to 127.0.0.1) answers its sample as `fleetreport invoke` does.

No Docker here: the stack is the cheapest real one — the embedded moto server with the template's
resources and a stack.json naming it, in this process; handlers run in child interpreters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from fleetreport.settings import Settings
from fleetreport_local.cli import main
from fleetreport_local.environment import jwt_secret, local_session
from fleetreport_local.motoserver import CannotListen, EmbeddedMotoServer
from fleetreport_local.running import live_stack_info
from fleetreport_local.samenv import (
    DOCKER_DESKTOP_HOST,
    LINUX_BRIDGE_HOST,
    SAM_SHELL_ENVIRONMENT,
    default_container_host,
    with_host,
)
from fleetreport_local.sample_events import ADMIN_TOKEN, EVENTS_DIR, Expected, contains, render
from fleetreport_local.stackfile import write_stack_file
from fleetreport_local.template import ROOT, create_resources, load_template
from fleetreport_local.tokens import mint_token
from test_local_stack import free_port, launch, stop, wait_until_up

FLEETREPORT = ROOT / ".venv" / "bin" / "fleetreport"
SHARED_LAYER = ROOT / "layers" / "shared"
# sam resolves `!Ref AppsTable` to "AppsTable": every name below must come from the file instead.
RESOURCE_VARIABLES = {
    "APPS_TABLE": "AppsTable",
    "GROUPS_TABLE": "GroupsTable",
    "BLOBS_TABLE": "BlobsTable",
    "COUNTERS_TABLE": "CountersTable",
    "COMPLIANCE_TABLE": "ComplianceTable",
    "ROLLUPS_TABLE": "RollupsTable",
    "IDEMPOTENCY_TABLE": "IdempotencyTable",
    "ALERTS_TABLE": "AlertsTable",
    "BLOB_BUCKET": "BlobBucket",
    "ALERTS_BUS": "AlertsBus",
}

CHILD = r"""
import json, sys
function_dir, layer_dir, event = sys.argv[1:4]
sys.path[:0] = [function_dir, layer_dir]

class Context:
    function_name = "sam-env"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sam-env"
    aws_request_id = "sam-env-test"
    def get_remaining_time_in_millis(self):
        return 29000

import app
print(json.dumps(app.lambda_handler(json.loads(event), Context())))
"""


@dataclass
class Running:
    state_dir: Path
    endpoint: str
    port: int


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """moto on 127.0.0.1 and 127.0.0.2 with the template's resources, announced in a stack.json."""
    state_dir = tmp_path_factory.mktemp("state")
    moto = EmbeddedMotoServer(also_on=("127.0.0.2",))
    moto.start()
    try:
        create_resources(load_template(), local_session(), moto.endpoint)
        previous = os.environ.get("FLEETREPORT_STATE_DIR")
        os.environ["FLEETREPORT_STATE_DIR"] = str(state_dir)
        write_stack_file(
            {
                "api": "http://127.0.0.1:3077",
                "aws_endpoint": moto.endpoint,
                "storage_hosts": moto.hosts,
                "tenant": "demo",
                "pid": os.getpid(),
            }
        )
        _, port = moto.get_host_and_port()
        yield Running(state_dir, moto.endpoint, port)
    finally:
        if previous is None:
            os.environ.pop("FLEETREPORT_STATE_DIR", None)
        else:
            os.environ["FLEETREPORT_STATE_DIR"] = previous
        moto.stop()


def sam_env(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, str]]:
    assert main(["sam-env", *args]) == 0, capsys.readouterr().err
    return dict(json.loads(capsys.readouterr().out))


def test_the_file_names_every_function_with_every_variable_it_declares(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    env = sam_env(capsys, "--host", LINUX_BRIDGE_HOST)
    functions = load_template().functions()
    assert set(env) == set(functions)
    for logical_id, function in functions.items():
        assert set(env[logical_id]) == set(function.env), logical_id
        assert env[logical_id]["AWS_ENDPOINT_URL"] == f"http://{LINUX_BRIDGE_HOST}:{running.port}"


def test_every_setting_the_code_reads_is_in_the_file_where_the_template_declares_it(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """The code reads its environment through Settings (and boto3: AWS_ENDPOINT_URL); a setting the
    template leaves out keeps its default under sam local as on AWS."""
    env = sam_env(capsys)
    read = {field.alias for field in Settings.model_fields.values() if field.alias} | {"AWS_ENDPOINT_URL"}
    for logical_id, function in load_template().functions().items():
        declared = read & set(function.env)
        assert declared <= set(env[logical_id]), logical_id
        assert {"AWS_ENDPOINT_URL", "JWT_SECRET", "APPS_TABLE"} <= declared


def test_the_names_are_the_running_stacks_resources(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    env = sam_env(capsys, "--host", "127.0.0.2")
    session = local_session()
    tables = session.client("dynamodb", endpoint_url=running.endpoint).list_tables()["TableNames"]
    buckets = [
        b["Name"] for b in session.client("s3", endpoint_url=running.endpoint).list_buckets()["Buckets"]
    ]
    events = session.client("events", endpoint_url=running.endpoint)
    buses = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    sqs = session.client("sqs", endpoint_url=with_host(running.endpoint, "127.0.0.2"))
    template = load_template()
    seen = 0
    for logical_id, variables in env.items():
        for name, resource in RESOURCE_VARIABLES.items():
            if name in variables:
                assert variables[name] == template.physical_name(resource)
                assert variables[name] in [*tables, *buckets, *buses], (logical_id, name)
                seen += 1
        for name in ("EVENTS_QUEUE_URL", "ROLLUP_QUEUE_URL"):
            if name in variables:
                url = variables[name]
                assert url.startswith(f"http://127.0.0.2:{running.port}/")
                assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
                seen += 1
        assert variables["JWT_SECRET"] == jwt_secret(os.environ)  # what `fleetreport token` signs with
    assert seen >= len(env)


def test_the_default_host_is_docker_desktops_name_or_the_linux_bridge() -> None:
    assert default_container_host("Darwin") == DOCKER_DESKTOP_HOST
    assert default_container_host("Windows") == DOCKER_DESKTOP_HOST
    assert default_container_host("Linux") == LINUX_BRIDGE_HOST


def test_a_host_the_storage_does_not_listen_on_is_warned_about(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sam-env", "--host", "172.17.0.1"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "STORAGE_HOST=172.17.0.1 make run" in err
    for quiet in ("127.0.0.2", DOCKER_DESKTOP_HOST):
        assert main(["sam-env", "--host", quiet]) == 0
        assert capsys.readouterr().err == ""


def test_the_storage_answers_on_every_address_it_listens_on(running: Running) -> None:
    tables = {
        host: boto3.client(
            "dynamodb", endpoint_url=f"http://{host}:{running.port}", **_credentials()
        ).list_tables()["TableNames"]
        for host in ("127.0.0.1", "127.0.0.2")
    }
    assert tables["127.0.0.1"] == tables["127.0.0.2"] != []


def test_without_a_running_stack_sam_env_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEETREPORT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert main(["sam-env"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "fleetreport serve" in captured.err


def test_a_storage_host_that_is_not_this_machines_fails_to_start() -> None:
    moto = EmbeddedMotoServer(also_on=("203.0.113.1",))  # TEST-NET-3: documentation only, never local
    with pytest.raises(CannotListen, match=r"storage cannot listen on 203\.0\.113\.1:\d+"):
        moto.start()


# ---------------------------------------------------------------------- a handler under sam's environment
def run_as_container(logical_id: str, variables: dict[str, str], event: dict[str, Any]) -> Any:
    """The handler in a child interpreter with exactly the file's variables and what sam adds
    (credentials and region from its own environment), the function folder and the layer on the path."""
    function = load_template().functions()[logical_id]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **SAM_SHELL_ENVIRONMENT, **variables}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(function.code_uri), str(SHARED_LAYER), json.dumps(event)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=function.code_uri,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def fleetreport_invoke(running: Running, function: str, sample: Path) -> Any:
    done = subprocess.run(
        [str(FLEETREPORT), "invoke", function, "-e", str(sample)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FLEETREPORT_STATE_DIR": str(running.state_dir)},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_a_handler_with_exactly_the_files_environment_answers_as_fleetreport_invoke_does(
    running: Running, capsys: pytest.CaptureFixture[str]
) -> None:
    """admin_create_app under sam's environment writes into the running stack (`fleetreport invoke`
    then lists the app); admin_list_apps gives both the same answer, the one the sample documents."""
    env = sam_env(capsys)  # the platform's default host, rewritten as the container reaches it
    container = urlsplit_host(env["AdminFunction"]["AWS_ENDPOINT_URL"])
    variables = {
        name: value.replace(f"//{container}:", "//127.0.0.1:") for name, value in env["AdminFunction"].items()
    }
    token = mint_token(role="admin", owner="demo", secret=jwt_secret(os.environ))
    created = EVENTS_DIR / "admin_create_app.json"
    event, expected = render(created.read_text(), {ADMIN_TOKEN: token})
    answer = run_as_container("AdminFunction", variables, event)
    assert_answers(answer, expected)

    listed = EVENTS_DIR / "admin_list_apps.json"
    event, expected = render(listed.read_text(), {ADMIN_TOKEN: token})
    by_sam_env = run_as_container("AdminFunction", variables, event)
    by_invoke = fleetreport_invoke(running, "admin", listed)
    assert_answers(by_sam_env, expected)
    assert (by_sam_env["statusCode"], json.loads(by_sam_env["body"])) == (
        by_invoke["statusCode"],
        json.loads(by_invoke["body"]),
    )


def urlsplit_host(url: str) -> str:
    return urlsplit(url).hostname or ""


def assert_answers(response: dict[str, Any], expected: Expected | None) -> None:
    assert expected is not None
    assert response["statusCode"] == expected.status, response
    assert contains(json.loads(response["body"]), expected.body) == []


def _credentials() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def test_the_fixture_is_the_stack_the_cli_finds(running: Running) -> None:
    assert live_stack_info()["aws_endpoint"] == running.endpoint


# ---------------------------------------------------------------------- `fleetreport serve --storage-host`
@pytest.mark.stack
def test_serve_with_a_storage_host_announces_it_and_its_storage_answers_there(tmp_path: Path) -> None:
    started = wait_until_up(launch(tmp_path, "--port", str(free_port()), STORAGE_HOST="127.0.0.2"))
    try:
        assert started.info is not None
        assert started.info["storage_hosts"] == ["127.0.0.1", "127.0.0.2"]
        port = urlsplit(started.info["aws_endpoint"]).port
        dynamodb = boto3.client("dynamodb", endpoint_url=f"http://127.0.0.2:{port}", **_credentials())
        assert load_template().physical_name("AppsTable") in dynamodb.list_tables()["TableNames"]
    finally:
        assert stop(started) == 0


@pytest.mark.stack
def test_serve_with_a_storage_host_it_cannot_listen_on_stops_with_one_line(tmp_path: Path) -> None:
    started = launch(tmp_path, "--port", str(free_port()), "--storage-host", "203.0.113.1")
    assert started.process.wait(timeout=60) == 1
    log = started.log.read_text()
    assert "Traceback" not in log
    assert log.strip().splitlines()[-1].startswith("fleetreport serve: storage cannot listen on 203.0.113.1")
    assert not started.stack_json.exists()
