"""Demo apps for the local stack: `desktop-client` and `mobile-client`, reports on, keys printed once
(as `export DESKTOP_CLIENT_KEY=rpk_…` lines of the banner).

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
    """Create (or re-key) the demo apps; returns banner lines exporting their keys, and a curl."""
    exports: list[str] = []
    for name in DEMO_APPS:
        _, key = create_app(ctx, name)
        exports.append(f"  export {key_variable(name)}={key}")
    report = (
        '{"application": {"name": "desktop-client", "version": "1.4.2", "channel": "stable"}, '
        '"system": {"platform": "windows", "arch": "amd64"}, '
        '"event": {"type": "update_failure", "reason": "checksum_mismatch"}}'
    )
    return [
        f"Apps {' and '.join(DEMO_APPS)} (their ids: GET /apps); their report keys, shown only now:",
        *exports,
        "  curl -s -X POST "
        f'{ctx.api}/reports/ingest -H "Authorization: Bearer ${key_variable(DEMO_APPS[0])}" \\',
        "    -H 'X-Device-ID: my-laptop' -H 'Content-Type: application/json' \\",
        f"    -d '{report}'",
    ]


def key_variable(app_name: str) -> str:
    """The shell variable the banner exports an app's key as: desktop-client -> DESKTOP_CLIENT_KEY."""
    return app_name.upper().replace("-", "_") + "_KEY"


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
