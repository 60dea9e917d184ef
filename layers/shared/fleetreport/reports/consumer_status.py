"""consumer_status: the latest snapshot (at `on_date`, default now) of every consumer in scope.

Reads are sized to the answer (SPEC §7): consumers come from the tenant partition, the ByOwnerKey
index (`owner`) or a BatchGet (`consumer_uuid`); a consumer whose maintained latest status is dated at
or before `on_date` needs no further read, otherwise one snapshot Query (desc, Limit 1). So ≤ 1 item
per consumer in scope for now, ≤ 2 for a past date, never every snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator

from fleetreport.compliance.queries import ComplianceReader
from fleetreport.compliance.records import ConsumerRecord, SnapshotRecord
from fleetreport.compliance.timefmt import to_storage
from fleetreport.reports.common import (
    MANAGEMENT_ENABLED_DESCRIPTION,
    PRODUCT_NAME_DESCRIPTION,
    SKU_DESCRIPTION,
    SUBSCRIPTION_NAME_DESCRIPTION,
    custom_results_params,
)
from fleetreport.reports.definition import ReportContext, ReportDefinition, RowsResult
from fleetreport.reports.dto import SnapshotRow, consumer_status_dto, full_document, latest_status_of
from fleetreport.reports.params import Param, ReportParams

PARAMETERS = (
    Param("consumer_uuid", "Filters the results by the specified consumer UUID.", multi_valued=True),
    Param("owner", "The Owner key(s) to filter on.", multi_valued=True),
    Param("status", "The subscription status to filter on [valid, invalid, partial].", multi_valued=True),
    Param("on_date", "The date to filter on. Defaults to NOW.", kind="date"),
    Param("product_name", PRODUCT_NAME_DESCRIPTION),
    Param("sku", SKU_DESCRIPTION),
    Param("subscription_name", SUBSCRIPTION_NAME_DESCRIPTION),
    Param("management_enabled", MANAGEMENT_ENABLED_DESCRIPTION, kind="boolean"),
    custom_results_params()[0],
    Param(
        "include_reasons",
        "Include status reasons in results",
        kind="boolean",
        must_not_have=("custom_results",),
    ),
    *custom_results_params()[1:],
)

SORT_FIELDS = {
    "date": lambda row: row.snapshot.status_date,
    "status": lambda row: row.snapshot.status.lower(),
    "uuid": lambda row: row.snapshot.uuid,
    "name": lambda row: row.consumer.name,
    "owner": lambda row: row.owner_key,
    "last_checkin": lambda row: row.last_checkin,
}


def run(context: ReportContext) -> RowsResult:
    params = context.params
    reader = ComplianceReader(context.table, context.tenant)
    with_docs = bool(params.boolean("custom_results", False))
    on_date = params.end_instant("on_date")  # a bare date means "by the end of that day"
    instant = to_storage(on_date or context.now)
    rows = []
    for consumer in consumers_in_scope(reader, params, with_docs):
        if not consumer.exists_at(instant):
            continue
        snapshot = latest_snapshot_on(reader, consumer, instant, with_docs)
        if snapshot is not None and matches(SnapshotRow(snapshot, consumer), params):
            rows.append(SnapshotRow(snapshot, consumer))
    rows.sort(key=lambda row: row.snapshot.uuid)
    include_reasons = bool(params.boolean("include_reasons", True))
    return RowsResult(rows, lambda row: consumer_status_dto(row, include_reasons), full_document)


def consumers_in_scope(
    reader: ComplianceReader, params: ReportParams, with_docs: bool
) -> Iterator[ConsumerRecord]:
    """The narrowest read that covers the filters: by uuid, else by owner key, else the whole tenant."""
    if params.has("consumer_uuid"):
        yield from reader.consumers_by_uuid(params.texts("consumer_uuid"), with_docs=with_docs)
        return
    if params.has("owner"):
        seen: set[str] = set()
        for owner_key in dict.fromkeys(params.texts("owner")):
            for consumer in reader.consumers_of_owner(owner_key, with_docs=with_docs):
                if consumer.uuid not in seen:
                    seen.add(consumer.uuid)
                    yield consumer
        return
    yield from reader.all_consumers(with_docs=with_docs)


def latest_snapshot_on(
    reader: ComplianceReader, consumer: ConsumerRecord, instant: str, with_docs: bool
) -> SnapshotRecord | None:
    """The consumer's latest snapshot dated ≤ instant; the consumer item answers when it is not newer."""
    if consumer.status_date is None:
        return None  # never reported
    if consumer.status_date <= instant:
        return latest_status_of(consumer)
    return reader.latest_snapshot_at(consumer.uuid, instant, with_docs=with_docs)


def matches(row: SnapshotRow, params: ReportParams) -> bool:
    """Filters are OR within a parameter, AND across parameters; all on the chosen snapshot. A text
    filter given several times matches any of its values, multiValued in the catalogue or not
    (Gutterball's query reads product_name, sku and subscription_name as lists too)."""
    snapshot = row.snapshot
    statuses = {status.lower() for status in params.texts("status")}
    owners = set(params.texts("owner"))
    management = params.boolean("management_enabled")
    return (
        (not statuses or snapshot.status.lower() in statuses)
        and (not owners or row.owner_key in owners)
        and _any_of(params.texts("product_name"), snapshot.product_names)
        and _any_of(params.texts("sku"), snapshot.skus)
        and _any_of(params.texts("subscription_name"), snapshot.subscription_names)
        and (management is None or snapshot.management_enabled == management)
    )


def _any_of(wanted: list[str], present: frozenset[str]) -> bool:
    return not wanted or not present.isdisjoint(wanted)


DEFINITION = ReportDefinition(
    key="consumer_status",
    description="List the status of all consumers",
    parameters=PARAMETERS,
    run=run,
    sort_fields=SORT_FIELDS,
)
