"""Demo report groups: a few dozen reports posted through the real ingest API, some with details,
then one group resolved and one muted through the groups API. Returns curl lines to explore them."""

from __future__ import annotations

import base64
import gzip
import json
import logging
import urllib.error
import urllib.request
from typing import Any

from fleetreport_local.seeding import SeedContext

log = logging.getLogger("fleetreport.local.seed")

# (app, version, channel, platform, arch, type, reason, reports, with details)
DEMO_GROUPS = (
    ("desktop-client", "1.4.2", "stable", "windows", "amd64", "update_failure", "checksum_mismatch", 6, True),
    ("desktop-client", "1.4.2", "stable", "darwin", "arm64", "update_failure", "signature_invalid", 3, True),
    ("desktop-client", "1.4.3", "beta", "windows", "amd64", "crash", "access_violation", 5, True),
    ("desktop-client", "1.4.3", "beta", "linux", "amd64", "startup_failure", "missing_libssl", 2, False),
    ("desktop-client", "1.5.0", "nightly", "linux", "arm64", "install_failure", "disk_full", 4, False),
    ("desktop-client", "1.4.1", "stable", "windows", "amd64", "rollback_failure", "file_locked", 1, False),
    ("mobile-client", "2.0.1", "stable", "android", "arm64", "crash", "out_of_memory", 5, True),
    ("mobile-client", "2.0.1", "stable", "ios", "arm64", "startup_failure", "keychain_denied", 3, False),
    ("mobile-client", "2.1.0", "beta", "android", "arm64", "update_failure", "download_timeout", 4, True),
    ("mobile-client", "2.1.0", "beta", "android", "amd64", "crash", "null_pointer", 2, False),
)
RESOLVED = 5  # index in DEMO_GROUPS of the group marked resolved (an old release)
MUTED = 3  # ... and of the group muted (a known distro packaging issue)


def seed(ctx: SeedContext) -> list[str]:
    keys = _report_keys(ctx)
    hashes: list[str] = []
    posted = 0
    for index, (app, version, channel, platform, arch, kind, reason, reports, details) in enumerate(
        DEMO_GROUPS
    ):
        body: dict[str, Any] = {
            "application": {"name": app, "version": version, "channel": channel},
            "system": {"platform": platform, "arch": arch},
            "event": {"type": kind, "reason": reason},
        }
        group_hash = ""
        for n in range(reports):
            if details and n % 2 == 0:
                body["details"] = demo_details(app, version, reason, n)
            else:
                body.pop("details", None)
            headers = {"Authorization": f"Bearer {keys[app]}", "X-Device-ID": f"demo-{index}-{n}"}
            status, answer = _request(ctx.api, "POST", "/reports/ingest", body, headers)
            if status != 202:
                log.warning("seed: report not accepted (%s %s)", status, answer)
                continue
            posted += 1
            group_hash = answer["group_hash"]
        hashes.append(group_hash)
    admin = {"Authorization": f"Bearer {ctx.admin_token}"}
    _request(
        ctx.api,
        "PATCH",
        f"/reports/groups/{hashes[RESOLVED]}",
        {"status": "resolved", "note": "fixed in 1.4.2"},
        admin,
    )
    _request(
        ctx.api,
        "PATCH",
        f"/reports/groups/{hashes[MUTED]}",
        {"status": "muted", "tags": ["packaging"]},
        admin,
    )
    return _lines(ctx, posted, hashes[0])


def demo_details(app: str, version: str, reason: str, n: int) -> dict[str, str]:
    document = {
        "app": app,
        "version": version,
        "reason": reason,
        "attempt": n,
        "log": [f"step {i}: {'ok' if i < 3 else reason}" for i in range(4)],
    }
    payload = gzip.compress(json.dumps(document).encode())
    return {
        "encoding": "gzip+base64",
        "content_type": "application/json",
        "payload": base64.b64encode(payload).decode(),
    }


def _report_keys(ctx: SeedContext) -> dict[str, str]:
    """A working key per demo app: the apps seeder's when it is there, else whatever the API gives."""
    names = sorted({group[0] for group in DEMO_GROUPS})
    try:
        from fleetreport_local.seed_apps import create_app
    except ImportError:  # pragma: no cover - the apps seeder ships with the stack
        create_app = None
    keys = {}
    for name in names:
        if create_app is not None:
            keys[name] = create_app(ctx, name)[1]
            continue
        admin = {"Authorization": f"Bearer {ctx.admin_token}"}
        status, app = _request(ctx.api, "POST", "/apps", {"name": name, "reports": True}, admin)
        if status != 201:
            raise RuntimeError(f"cannot create demo app {name}: {status}")
        keys[name] = app["report_key"]
    return keys


def _lines(ctx: SeedContext, posted: int, sample_hash: str) -> list[str]:
    auth = f'-H "Authorization: Bearer {ctx.admin_token}"'
    api = ctx.api
    return [
        f"Report groups: {posted} reports in {len(DEMO_GROUPS)} groups (one resolved, one muted), "
        "some with details.",
        "List groups of an app, newest first:",
        f"  curl -s {auth} '{api}/reports/groups?app=desktop-client&limit=5'",
        "Filter them:",
        f"  curl -s {auth} '{api}/reports/groups?app=desktop-client&platform=windows"
        "&type=update_failure&status=open'",
        f"  curl -s {auth} '{api}/reports/groups?from=2020-01-01T00:00:00Z&status=muted'",
        "One group, and its detail blobs (presigned URLs valid 15 minutes):",
        f"  curl -s {auth} {api}/reports/groups/{sample_hash}",
        f"  curl -s {auth} {api}/reports/groups/{sample_hash}/blobs",
        "Triage it:",
        f"  curl -s -X PATCH {auth} -H 'Content-Type: application/json' "
        f'-d \'{{"status": "resolved", "tags": ["triaged"]}}\' {api}/reports/groups/{sample_hash}',
    ]


def _request(api: str, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        f"{api}{path}", data=data, method=method, headers={"Content-Type": "application/json", **headers}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
