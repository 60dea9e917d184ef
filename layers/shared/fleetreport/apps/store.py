"""AppsTable storage (docs/data-model.md): app items, name guards and report-key items.

Every change that touches more than one item (an app and its name guard, an app and its key) is one
DynamoDB transaction, so a name is never taken twice and a replaced key never keeps working.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from fleetreport.apps.keys import KEY_SORT, IssuedKey, issue_report_key, key_item_pk
from fleetreport.apps.models import App, AppChange, NewApp, utc_now
from fleetreport.errors import Conflict, TemporarilyUnavailable
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table
from fleetreport.storage.limits import can_be_key
from fleetreport.storage.pages import query_items

TENANTS_PK = "TENANTS"  # registry: one item per tenant that ever created an app (sk = tenant)


def tenant_pk(tenant: str) -> str:
    return f"T#{tenant}"


def app_sk(app_id: str) -> str:
    return f"APP#{app_id}"


def name_sk(name: str) -> str:
    return f"NAME#{name}"


class AppStore:
    """One tenant-partitioned view of AppsTable; the table is injected so seeders can point anywhere."""

    def __init__(self, apps_table: Any) -> None:
        self.table = apps_table
        self.client = apps_table.meta.client
        self.name = apps_table.name

    # ------------------------------------------------------------------ reads
    def get(self, tenant: str, app_id: str) -> App | None:
        if not can_be_key(app_sk(app_id), sort_key=True):
            return None  # an id no app has (DynamoDB would refuse the key)
        answer = self.table.get_item(Key={"pk": tenant_pk(tenant), "sk": app_sk(app_id)}, ConsistentRead=True)
        item = answer.get("Item")
        return App.from_item(item) if item else None

    def all_apps(self, tenant: str) -> list[App]:
        """Every app of the tenant, oldest first (one Query, paged through)."""
        condition = Key("pk").eq(tenant_pk(tenant)) & Key("sk").begins_with("APP#")
        items = query_items(self.table, {"KeyConditionExpression": condition})
        apps = [App.from_item(item) for item in items]
        return sorted(apps, key=lambda app: (app.created_at, app.app_id))

    def app_id_by_name(self, tenant: str, name: str) -> str | None:
        if not can_be_key(name_sk(name), sort_key=True):
            return None  # a name no app has (DynamoDB would refuse the key)
        answer = self.table.get_item(Key={"pk": tenant_pk(tenant), "sk": name_sk(name)})
        item = answer.get("Item")
        return str(item["app_id"]) if item else None

    # ------------------------------------------------------------------ writes
    def create(self, tenant: str, new: NewApp) -> tuple[App, IssuedKey | None]:
        """A new app, its name guard and (when reports are on) its first key, all or nothing."""
        now = utc_now()
        key = issue_report_key() if new.reports else None
        app = App(
            app_id=str(uuid.uuid4()), name=new.name, reports=new.reports, created_at=now, updated_at=now
        )
        if key is not None:
            app = _with_key(app, key, now)
        items = [
            self._put(_app_item(tenant, app), new_item=True),
            self._put(
                {"pk": tenant_pk(tenant), "sk": name_sk(app.name), "app_id": app.app_id}, new_item=True
            ),
        ]
        if key is not None:
            items.append(self._put(_key_item(tenant, app, key), new_item=True))
        items.append(self._put({"pk": TENANTS_PK, "sk": tenant}))  # the rollup finds tenants here
        self._transact(items, name_guard_index=1)
        return app, key

    def update(self, tenant: str, app: App, change: AppChange) -> tuple[App, IssuedKey | None]:
        """Rename and/or switch reports. Off deletes the key item, as faynoSync does (the old key is then
        unknown: 401 "invalid report key"); on (from off) issues a fresh key, shown once. A key item
        marked off by an earlier version is deleted when reports come back on, so an old key never
        works again."""
        now = utc_now()
        new_name = change.name if change.name is not None else app.name
        reports = change.reports if change.reports is not None else app.reports
        items: list[dict[str, Any]] = []
        guard_index: int | None = None
        if new_name != app.name:
            guard_index = len(items)
            items.append(
                self._put({"pk": tenant_pk(tenant), "sk": name_sk(new_name), "app_id": app.app_id}, True)
            )
            items.append(self._delete(tenant_pk(tenant), name_sk(app.name), owned_by=app.app_id))
        updated = replace(app, name=new_name, reports=reports, updated_at=now)
        key: IssuedKey | None = None
        if reports and not app.reports:
            key = issue_report_key()
            updated = _with_key(updated, key, now)
            items.append(self._put(_key_item(tenant, updated, key), new_item=True))
            if app.key_hash:
                items.append(self._delete(key_item_pk(app.key_hash), KEY_SORT))
        elif not reports and app.key_hash:
            items.append(self._delete(key_item_pk(app.key_hash), KEY_SORT))
            updated = _without_key(updated)
        elif app.key_hash and new_name != app.name:
            items.append(self._update_key(app.key_hash, new_name, reports))
        items.append(self._replace_app(tenant, app, updated))
        self._transact(items, name_guard_index=guard_index)
        return updated, key

    def regenerate(self, tenant: str, app: App) -> tuple[App, IssuedKey]:
        """Replace the app's key: the old key item goes in the same transaction the new one arrives."""
        now = utc_now()
        key = issue_report_key()
        updated = _with_key(replace(app, updated_at=now), key, now)
        items = [self._put(_key_item(tenant, updated, key), new_item=True)]
        if app.key_hash:
            items.append(self._delete(key_item_pk(app.key_hash), KEY_SORT))
        items.append(self._replace_app(tenant, app, updated))
        self._transact(items)
        return updated, key

    # ------------------------------------------------------------------ transaction parts
    def _put(self, item: dict[str, Any], new_item: bool = False) -> dict[str, Any]:
        put: dict[str, Any] = {"TableName": self.name, "Item": item}
        if new_item:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        return {"Put": put}

    def _delete(self, pk: str, sk: str, owned_by: str | None = None) -> dict[str, Any]:
        delete: dict[str, Any] = {"TableName": self.name, "Key": {"pk": pk, "sk": sk}}
        if owned_by is not None:
            delete["ConditionExpression"] = "app_id = :app_id"
            delete["ExpressionAttributeValues"] = {":app_id": owned_by}
        return {"Delete": delete}

    def _update_key(self, key_hash: str, name: str, reports: bool) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.name,
                "Key": {"pk": key_item_pk(key_hash), "sk": KEY_SORT},
                "UpdateExpression": "SET app_name = :name, reports = :reports",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {":name": name, ":reports": reports},
            }
        }

    def _replace_app(self, tenant: str, before: App, after: App) -> dict[str, Any]:
        """Write the app item only if nobody changed its name or key since we read it."""
        put = self._put(_app_item(tenant, after))
        values: dict[str, Any] = {":name": before.name}
        condition = "#name = :name AND "
        if before.key_id:
            condition += "key_id = :key_id"
            values[":key_id"] = before.key_id
        else:
            condition += "attribute_not_exists(key_id)"
        put["Put"].update(
            ConditionExpression=condition,
            ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues=values,
        )
        return put

    def _transact(self, items: list[dict[str, Any]], name_guard_index: int | None = None) -> None:
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in error.response.get("CancellationReasons", [])]
            if name_guard_index is not None and _failed(reasons, name_guard_index):
                raise Conflict("app already exists") from None
            if "TransactionConflict" in reasons or "ThrottlingError" in reasons:
                raise TemporarilyUnavailable() from None
            raise Conflict("app was changed by another request; try again") from None


def _failed(reasons: list[str | None], index: int) -> bool:
    return index < len(reasons) and reasons[index] == "ConditionalCheckFailed"


def _with_key(app: App, key: IssuedKey, now: str) -> App:
    return replace(
        app, reports=True, key_id=key.key_id, key_prefix=key.prefix, key_hash=key.key_hash, key_updated_at=now
    )


def _without_key(app: App) -> App:
    return replace(app, key_id=None, key_prefix=None, key_hash=None, key_updated_at=None)


def _app_item(tenant: str, app: App) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": tenant_pk(tenant), "sk": app_sk(app.app_id)}
    item.update({k: v for k, v in asdict(app).items() if v is not None})
    return item


def _key_item(tenant: str, app: App, key: IssuedKey) -> dict[str, Any]:
    return {
        "pk": key_item_pk(key.key_hash),
        "sk": KEY_SORT,
        "tenant": tenant,
        "app_id": app.app_id,
        "app_name": app.name,
        "reports": True,
        "key_id": key.key_id,
    }


# ---------------------------------------------------------------------- entry points for other areas
def default_store() -> AppStore:
    return AppStore(table(get_settings().apps_table))


def list_apps(tenant: str) -> list[App]:
    """Every app of a tenant (groups list: app names and ids in scope)."""
    return default_store().all_apps(tenant)


def find_apps_by_name(tenant: str, name: str) -> list[str]:
    """The ids of the tenant's apps called `name` (names are unique per tenant: zero or one id)."""
    app_id = default_store().app_id_by_name(tenant, name)
    return [app_id] if app_id else []
