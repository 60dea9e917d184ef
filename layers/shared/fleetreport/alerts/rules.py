"""Per-app alert rules (SPEC §10): `GET/PUT /apps/{app_id}/alerts`.

Rules live next to the app in AppsTable (`T#{tenant}` / `ALERTS#{app_id}`), with the app's webhook
secret. The secret signs every webhook body, so it must be readable by the delivery function; it is
shown to the operator once (first PUT, or `rotate_secret`) and never again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from fleetreport.alerts.models import SIGNALS
from fleetreport.apps.admin import visible_app
from fleetreport.apps.models import utc_now
from fleetreport.apps.store import default_store, tenant_pk
from fleetreport.auth.principal import Principal
from fleetreport.errors import BadRequest
from fleetreport.groups.models import EVENT_TYPES
from fleetreport.releases.health import ReleaseHealth, parse_release_health
from fleetreport.settings import get_settings
from fleetreport.storage.aws import table

MAX_URL_LENGTH = 2048
MAX_INTERVAL_MINUTES = 7 * 24 * 60
DEFAULT_INTERVAL_MINUTES = 60
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def rules_sk(app_id: str) -> str:
    return f"ALERTS#{app_id}"


@dataclass(frozen=True)
class AlertRules:
    """What to alert on: signals and event types (empty = all), where, and how often per group+signal."""

    signals: list[str] = field(default_factory=lambda: list(SIGNALS))
    types: list[str] = field(default_factory=list)
    webhook_url: str | None = None
    min_interval_minutes: int = DEFAULT_INTERVAL_MINUTES
    release_health: ReleaseHealth = field(default_factory=ReleaseHealth)

    def wants(self, signal: str, event_type: str) -> bool:
        # release signals (SPEC §12) are about a version, not an event type: `types` does not filter them
        return signal in self.signals and (not self.types or not event_type or event_type in self.types)

    def to_json(self) -> dict[str, Any]:
        return {
            "signals": list(self.signals),
            "types": list(self.types),
            "webhook_url": self.webhook_url,
            "min_interval_minutes": self.min_interval_minutes,
            "release_health": self.release_health.to_json(),
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> AlertRules:
        return cls(
            signals=[str(s) for s in item.get("signals", [])],
            types=[str(t) for t in item.get("types", [])],
            webhook_url=item.get("webhook_url") or None,
            min_interval_minutes=int(item.get("min_interval_minutes", DEFAULT_INTERVAL_MINUTES)),
            release_health=ReleaseHealth.from_item(item.get("release_health")),
        )


def parse_rules(body: Any, allow_http_loopback: bool) -> tuple[AlertRules, bool]:
    """The rules of a PUT body and whether it asks for a new secret; 400 naming the bad field."""
    if not isinstance(body, dict):
        raise BadRequest("invalid request body")
    signals = body.get("signals", list(SIGNALS))
    if not _list_of(signals, SIGNALS) or not signals:
        raise BadRequest(f"invalid signals: a non-empty list of {', '.join(SIGNALS)}")
    types = body.get("types", [])
    if types is None:
        types = []
    if not _list_of(types, tuple(sorted(EVENT_TYPES))):
        raise BadRequest(f"invalid types: a list of {', '.join(sorted(EVENT_TYPES))}")
    url = body.get("webhook_url")
    if url is not None and not valid_webhook_url(url, allow_http_loopback):
        raise BadRequest("invalid webhook_url")
    interval = body.get("min_interval_minutes", DEFAULT_INTERVAL_MINUTES)
    if (
        isinstance(interval, bool)
        or not isinstance(interval, int)
        or not 0 <= interval <= MAX_INTERVAL_MINUTES
    ):
        raise BadRequest(f"invalid min_interval_minutes: a whole number from 0 to {MAX_INTERVAL_MINUTES}")
    rotate = body.get("rotate_secret", False)
    if not isinstance(rotate, bool):
        raise BadRequest("invalid rotate_secret")
    health = parse_release_health(body.get("release_health"))
    rules = AlertRules(
        list(dict.fromkeys(signals)), list(dict.fromkeys(types)), url or None, interval, health
    )
    return rules, rotate


def _list_of(value: Any, allowed: tuple[str, ...]) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value)


def valid_webhook_url(url: Any, allow_http_loopback: bool) -> bool:
    """https:// with a host and no credentials; http:// only to loopback when the stack allows it."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        return False
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        return False
    if not host or parts.username or parts.password:
        return False
    if parts.scheme == "https":
        return True
    return allow_http_loopback and parts.scheme == "http" and host in LOOPBACK_HOSTS


def new_secret() -> str:
    return "whsec_" + secrets.token_hex(32)


# ---------------------------------------------------------------------- storage
def read_rules(tenant: str, app_id: str) -> tuple[AlertRules, str] | None:
    """The app's rules and secret, or None when none were ever PUT."""
    item = (
        table(get_settings().apps_table)
        .get_item(Key={"pk": tenant_pk(tenant), "sk": rules_sk(app_id)}, ConsistentRead=True)
        .get("Item")
    )
    if not item:
        return None
    return AlertRules.from_item(item), str(item.get("secret", ""))


def _write_rules(tenant: str, app_id: str, rules: AlertRules, secret: str) -> None:
    item: dict[str, Any] = {
        "pk": tenant_pk(tenant),
        "sk": rules_sk(app_id),
        "app_id": app_id,
        "signals": rules.signals,
        "types": rules.types,
        "min_interval_minutes": rules.min_interval_minutes,
        "release_health": rules.release_health.to_item(),
        "secret": secret,
        "updated_at": utc_now(),
    }
    if rules.webhook_url:
        item["webhook_url"] = rules.webhook_url
    table(get_settings().apps_table).put_item(Item=item)


# ---------------------------------------------------------------------- the routes' rules
def get_alert_rules(principal: Principal, app_id: str) -> dict[str, Any]:
    """`GET /apps/{app_id}/alerts` → the rules (defaults if none were set); never the secret."""
    principal.require("apps", "edit")
    app = visible_app(principal, app_id, default_store())
    found = read_rules(principal.owner, app.app_id)
    rules = found[0] if found else AlertRules()
    return {"app_id": app.app_id, **rules.to_json(), "configured": found is not None}


def put_alert_rules(principal: Principal, app_id: str, body: Any) -> dict[str, Any]:
    """`PUT /apps/{app_id}/alerts` → the rules; plus `webhook_secret` when this PUT issued one."""
    principal.require("apps", "edit")
    rules, rotate = parse_rules(body, get_settings().alerts_allow_http_loopback)
    app = visible_app(principal, app_id, default_store())
    found = read_rules(principal.owner, app.app_id)
    issued = None if found and found[1] and not rotate else new_secret()
    _write_rules(principal.owner, app.app_id, rules, issued or (found[1] if found else ""))
    answer: dict[str, Any] = {"app_id": app.app_id, **rules.to_json(), "configured": True}
    if issued:
        answer["webhook_secret"] = issued
    return answer
