"""The `fleetreport` CLI: `token` prints a dev JWT alone on stdout; every --help fits a screen with an
example; a usage error is one line and exit 2, any other failure one line and exit 1 (no traceback)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from fleetreport_local.cli import build_parser, main
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


# ---------------------------------------------------------------------- help and errors (issue 15)
def every_parser() -> list[argparse.ArgumentParser]:
    """The top-level parser and every (nested) command's parser."""
    found: list[argparse.ArgumentParser] = []
    pending = [build_parser()]
    while pending:
        parser = pending.pop()
        found.append(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending.extend(dict.fromkeys(action.choices.values()))
    return found


def test_every_help_fits_a_screen_and_ends_with_an_example(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    parsers = every_parser()
    assert len(parsers) >= 12  # fleetreport, its commands, apps/keys actions
    for parser in parsers:
        text = parser.format_help()
        lines = text.rstrip("\n").splitlines()
        assert len(lines) <= 24, f"{parser.prog} --help is {len(lines)} lines:\n{text}"
        assert max(len(line) for line in lines) <= 90, f"{parser.prog} --help is too wide:\n{text}"
        assert "examples:\n  " in text, f"{parser.prog} --help shows no example"
        assert "  fleetreport " in text.split("examples:")[1] or "make run" in text


def test_a_usage_error_is_one_line_naming_the_command_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["token", "--role", "root"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1
    assert err.startswith("fleetreport token: argument --role: invalid choice: 'root'")
    assert "fleetreport token --help" in err


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import fleetreport_local.tokens

    def broken(**claims: object) -> str:
        raise RuntimeError("signing failed:\n  the key is gone")

    monkeypatch.setattr(fleetreport_local.tokens, "mint_token", broken)
    assert main(["token"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "fleetreport token: RuntimeError: signing failed: the key is gone (--debug shows the traceback)\n"
    )
    with pytest.raises(RuntimeError, match="signing failed"):
        main(["--debug", "token"])


def test_the_console_script_reports_a_bad_option_without_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(FLEETREPORT), "send", "--no-such-option"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "--no-such-option" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_refuses_an_unknown_log_level_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fleetreport_local.stack import serve

    monkeypatch.setenv("LOG_LEVEL", "loud")
    monkeypatch.delenv("POWERTOOLS_LOG_LEVEL", raising=False)
    assert serve(port=0) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LOG_LEVEL" in err and "'LOUD'" in err
