"""Demo apps for the local stack: `desktop-client` and `mobile-client`, reports on, keys printed once.

Other seeders call `create_app(ctx, name)` to get an app id and a working report key; within one
process the same name always gives back the same key (a second call never rotates the printed one).
"""

from __future__ import annotations

from typing import Any

from fleetreport.apps.keys import KEY_SORT, hash_report_key, key_item_pk
from fleetreport.apps.models import AppChange, NewApp
from fleetreport.apps.store import AppStore

from fleetreport_local.seeding import SeedContext

DEMO_APPS = ("desktop-client", "mobile-client")

# (aws endpoint, tenant, app name) -> (app id, plaintext key) issued by this process.
_issued: dict[tuple[str, str, str], tuple[str, str]] = {}


def seed(ctx: SeedContext) -> list[str]:
    """Create (or re-key) the demo apps and return lines with their ids, keys and a curl example."""
    lines = [f"Apps of tenant {ctx.tenant!r} (report keys are shown only now):"]
    keys: dict[str, str] = {}
    for name in DEMO_APPS:
        app_id, key = create_app(ctx, name)
        keys[name] = key
        lines.append(f"  {name:<15} id={app_id}  report key: {key}")
    lines += [
        "",
        "List apps:",
        f'  curl -s {ctx.api}/apps -H "Authorization: Bearer {ctx.admin_token}"',
        "Send a report:",
        f"  curl -s -X POST {ctx.api}/reports/ingest "
        f'-H "Authorization: Bearer {keys[DEMO_APPS[0]]}" -H "X-Device-ID: demo-device-1" '
        "-H 'Content-Type: application/json' "
        "-d '"
        '{"application": {"name": "desktop-client", "version": "1.4.2", "channel": "stable"}, '
        '"system": {"platform": "windows", "arch": "amd64"}, '
        '"event": {"type": "update_failure", "reason": "checksum_mismatch"}}'
        "'",
    ]
    return lines


def create_app(ctx: SeedContext, name: str) -> tuple[str, str]:
    """An app of the seed tenant with reports on, and its plaintext report key: `(app_id, key)`.

    Creates the app when missing; an existing app gets a fresh key (plaintext is never stored, so an
    older key cannot be shown again) unless this process already issued one that still works.
    """
    store = apps_store(ctx)
    remembered = _issued.get((ctx.aws_endpoint, ctx.tenant, name))
    if remembered and _key_exists(store, remembered[1]):
        return remembered
    app_id = store.app_id_by_name(ctx.tenant, name)
    app = store.get(ctx.tenant, app_id) if app_id else None
    if app is None:
        created, key = store.create(ctx.tenant, NewApp(name=name, reports=True))
        assert key is not None
        result = (created.app_id, key.plaintext)
    elif app.reports:
        _, key = store.regenerate(ctx.tenant, app)
        result = (app.app_id, key.plaintext)
    else:
        _, maybe_key = store.update(ctx.tenant, app, AppChange(reports=True, name=None))
        assert maybe_key is not None
        result = (app.app_id, maybe_key.plaintext)
    _issued[(ctx.aws_endpoint, ctx.tenant, name)] = result
    return result


def apps_store(ctx: SeedContext) -> AppStore:
    """AppsTable of the running stack, reached directly (seeding does not need the API up)."""
    resource: Any = ctx.session.resource("dynamodb", endpoint_url=ctx.aws_endpoint)
    return AppStore(resource.Table(ctx.template.physical_name("AppsTable")))


def _key_exists(store: AppStore, plaintext: str) -> bool:
    answer = store.table.get_item(Key={"pk": key_item_pk(hash_report_key(plaintext)), "sk": KEY_SORT})
    return "Item" in answer
