"""The `fleetreport` CLI: `token` prints a dev JWT alone on stdout; bad input is one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from fleetreport_local.cli import main
from fleetreport_local.tokens import DEV_SECRET

ROOT = Path(__file__).resolve().parents[1]
FLEETREPORT = ROOT / ".venv" / "bin" / "fleetreport"


def decode(token: str) -> dict[str, object]:
    return jwt.decode(token, DEV_SECRET, algorithms=["HS256"])


def test_token_prints_only_a_jwt_signed_with_the_dev_secret(capsys: pytest.CaptureFixture[str]) -> None:
    permissions = {"apps": {"download": True, "edit": False, "delete": False}, "reports": {"read": True}}
    status = main(
        [
            "token",
            "--role",
            "team",
            "--owner",
            "acme",
            "--sub",
            "alice",
            "--permissions",
            json.dumps(permissions),
            "--allowed-apps",
            "app-1, app-2",
            "--ttl",
            "120",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0
    assert out.endswith("\n") and out.count("\n") == 1
    claims = decode(out.strip())
    assert claims["sub"] == "alice"
    assert claims["owner"] == "acme"
    assert claims["role"] == "team"
    assert claims["permissions"] == permissions
    assert claims["allowed_apps"] == ["app-1", "app-2"]
    assert claims["exp"] - claims["iat"] == 120  # type: ignore[operator]


def test_token_for_an_ingest_principal_has_no_team_claims(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token", "--role", "ingest", "--owner", "acme"]) == 0
    claims = decode(capsys.readouterr().out.strip())
    assert (claims["role"], claims["owner"]) == ("ingest", "acme")
    assert "allowed_apps" not in claims


@pytest.mark.parametrize("permissions", ["{bad", "[1, 2]"])
def test_token_with_bad_permissions_exits_2_with_one_line(
    permissions: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["token", "--role", "team", "--owner", "acme", "--permissions", permissions])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "--permissions" in captured.err


def test_token_rejects_an_unknown_role() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--role", "root"])
    assert exited.value.code == 2


def test_invoke_without_a_running_stack_says_how_to_start_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FLEETREPORT_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    event = tmp_path / "event.json"
    event.write_text("{}")
    assert main(["invoke", "groups", "-e", str(event)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "fleetreport serve" in err


def test_the_console_script_prints_the_token_alone(tmp_path: Path) -> None:
    if not FLEETREPORT.exists():
        pytest.fail(f"{FLEETREPORT} missing: run `make venv`")
    done = subprocess.run(
        [str(FLEETREPORT), "token", "--owner", "demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1
    assert decode(lines[0])["role"] == "admin"


def test_cli_runs_as_a_module_with_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fleetreport_local.cli", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    for command in ("serve", "token", "invoke", "seed"):
        assert command in done.stdout
