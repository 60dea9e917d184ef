"""Store parsed compliance events exactly once per (tenant, event id).

Powertools idempotency (DynamoDBPersistenceLayer on IDEMPOTENCY_TABLE) remembers each event for
`IDEMPOTENCY_WINDOW_SECONDS`; its key hashes `[tenant, id]` so one tenant's event ids can never mute
another's. Beyond that window the writes themselves are idempotent (see `store`), so a very late
redelivery is still stored once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from fleetreport import jsontext
from fleetreport.compliance.events import (
    ComplianceCreated,
    ComplianceEvent,
    ConsumerCreated,
    ConsumerDeleted,
    Ignored,
)
from fleetreport.compliance.store import ComplianceWriter, Outcome
from fleetreport.errors import TemporarilyUnavailable
from fleetreport.settings import get_settings
from fleetreport.storage.aws import CLIENT_CONFIG, table

# SQS keeps messages (and the DLQ redrive window) for up to 14 days.
IDEMPOTENCY_WINDOW_SECONDS = 14 * 24 * 3600
MAX_TENANT_LENGTH = 128


@dataclass
class IngestSummary:
    received: int = 0
    stored: int = 0
    skipped: int = 0
    duplicates: int = 0
    snapshots_stored: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class InvalidBody(ValueError):
    """The request/message body is not JSON (NaN and Infinity included: they cannot be stored)."""


def loads_strict(text: str | bytes | None) -> Any:
    if text is None or text in ("", b""):
        raise InvalidBody("empty body")
    try:
        return jsontext.loads(text, allow_constants=False)
    except (ValueError, RecursionError):
        raise InvalidBody("not JSON") from None


def valid_tenant(tenant: str | None) -> bool:
    return bool(tenant) and len(tenant or "") <= MAX_TENANT_LENGTH and "#" not in (tenant or "")


def ingest_events(tenant: str, events: list[ComplianceEvent], lambda_context: Any = None) -> IngestSummary:
    """Apply already-validated events in order; storage errors propagate (the caller retries safely)."""
    settings = get_settings()
    summary = IngestSummary(received=len(events))
    writer = ComplianceWriter(
        table(settings.compliance_table),
        tenant,
        rollups=table(settings.rollups_table) if settings.rollups_table else None,
    )
    if any(not isinstance(event, Ignored) for event in events):
        writer.register_tenant()
    apply = _idempotent_apply(settings.idempotency_table) if settings.idempotency_table else _apply
    for event in events:
        if isinstance(event, Ignored):
            summary.skipped += 1
            continue
        if lambda_context is not None and settings.idempotency_table:
            _config(settings.idempotency_table).register_lambda_context(lambda_context)
        result = _apply_guarded(apply, tenant, event, writer)
        if result.get("outcome") == "duplicate":
            summary.duplicates += 1
            continue
        summary.stored += 1
        if isinstance(event, ComplianceCreated):
            summary.snapshots_stored += 1
    return summary


def _apply_guarded(
    apply: Any, tenant: str, event: ComplianceEvent, writer: ComplianceWriter
) -> dict[str, str]:
    """Idempotency failures in domain terms: the same event being stored right now by another
    delivery is a duplicate (that delivery finishes it or is retried); an unreachable idempotency
    store is a 503 / a retried message, never a 500."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
    )

    try:
        result: dict[str, str] = apply(
            key={"tenant": tenant, "id": event.event_id}, event=event, writer=writer
        )
    except IdempotencyAlreadyInProgressError:
        return {"outcome": "duplicate"}
    except IdempotencyPersistenceLayerError:
        raise TemporarilyUnavailable() from None
    return result


def store_event(writer: ComplianceWriter, event: ComplianceEvent) -> Outcome | None:
    """The writes of one parsed event (None for an ignored one); safe to repeat."""
    if isinstance(event, ConsumerCreated):
        return writer.consumer_created(event.consumer, event.created)
    if isinstance(event, ConsumerDeleted):
        return writer.consumer_deleted(event.consumer, event.deleted)
    if isinstance(event, ComplianceCreated):
        return writer.snapshot(event.event_id, event.consumer, event.snapshot)
    return None


def _apply(*, key: dict[str, str], event: ComplianceEvent, writer: ComplianceWriter) -> dict[str, str]:
    return {"outcome": store_event(writer, event) or "skipped"}


@lru_cache(maxsize=4)
def _config(table_name: str) -> Any:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[tenant, id]",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
        # Called only when the event was already processed: that is what makes it a duplicate.
        response_hook=lambda response, record: {"outcome": "duplicate"},
    )


@lru_cache(maxsize=4)
def _idempotent_apply(table_name: str) -> Any:
    """`_apply` behind Powertools idempotency; built on first use (the table name is a setting)."""
    import boto3
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    # A plain client: the resource layer's client re-serializes values Powertools already serialized.
    client = boto3.client("dynamodb", config=CLIENT_CONFIG)
    persistence = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client)
    return idempotent_function(
        _apply,
        data_keyword_argument="key",
        persistence_store=persistence,
        config=_config(table_name),
        key_prefix="compliance-event",
    )
