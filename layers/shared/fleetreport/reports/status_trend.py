"""status_trend: per-day counts of consumers by status (SPEC §4.4).

Days are calendar days in `timezone` (default UTC); keys are each day's last millisecond formatted with
that zone's offset on that day (`2014-11-03T23:59:59.999-0500`). With one bound missing, the data's own
first/last matching snapshot day stands in for it; bounds in the future are clamped to today. The
counting itself lives in `fleetreport.compliance.trend.compute_status_trend` (shared with rollups).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

from fleetreport.compliance.queries import ComplianceReader
from fleetreport.compliance.records import ConsumerRecord
from fleetreport.compliance.trend import SnapshotFilter, compute_status_trend
from fleetreport.reports.common import (
    MANAGEMENT_ENABLED_DESCRIPTION,
    PRODUCT_NAME_DESCRIPTION,
    SKU_DESCRIPTION,
    SUBSCRIPTION_NAME_DESCRIPTION,
    TIMEZONE_DESCRIPTION,
    day_param,
    exclusive_filters,
)
from fleetreport.reports.dates import END_OF_DAY
from fleetreport.reports.days import day_key, day_of_in, requested_days
from fleetreport.reports.definition import DaysResult, ReportContext, ReportDefinition
from fleetreport.reports.params import Param, ReportParams
from fleetreport.reports.status_trend_rollups import status_trend_from_rollups

__all__ = ["DEFINITION", "day_key", "day_of_in", "requested_days", "run", "run_from_snapshots"]

EXCLUSIVE = ("product_name", "sku", "subscription_name", "management_enabled")
PARAMETERS = (
    day_param("start_date", "The start date on which to filter"),
    day_param("end_date", "The end date on which to filter"),
    Param("consumer_uuid", "The consumer UUID(s) on which to filter", multi_valued=True),
    Param("owner", "An owner key on which to filter"),
    *exclusive_filters(
        EXCLUSIVE,
        {
            "product_name": PRODUCT_NAME_DESCRIPTION,
            "sku": SKU_DESCRIPTION,
            "subscription_name": SUBSCRIPTION_NAME_DESCRIPTION,
            "management_enabled": MANAGEMENT_ENABLED_DESCRIPTION,
        },
    ),
    Param("timezone", TIMEZONE_DESCRIPTION, kind="timezone"),
)
# Day keys of one zone sort like the days they name.
SORT_FIELDS = {"date": lambda entry: entry[0]}


def snapshot_filter(params: ReportParams) -> SnapshotFilter:
    """Every value of a repeated text filter counts (`sku=a&sku=b` is a or b), not just the first."""
    return SnapshotFilter(
        consumer_uuids=frozenset(params.texts("consumer_uuid")),
        owner_keys=frozenset(params.texts("owner")),
        product_names=frozenset(params.texts("product_name")),
        skus=frozenset(params.texts("sku")),
        subscription_names=frozenset(params.texts("subscription_name")),
        management_enabled=params.boolean("management_enabled"),
    )


def consumers_in_scope(reader: ComplianceReader, params: ReportParams) -> Iterator[ConsumerRecord]:
    if params.has("consumer_uuid"):
        return reader.consumers_by_uuid(params.texts("consumer_uuid"))
    owners = list(dict.fromkeys(params.texts("owner")))
    if owners:
        return (consumer for owner in owners for consumer in reader.consumers_of_owner(owner))
    return reader.all_consumers()


def run(context: ReportContext) -> DaysResult:
    """Rollups first (unfiltered and `owner`-filtered requests, SPEC §5), else from snapshots."""
    served = status_trend_from_rollups(context)
    return served if served is not None else run_from_snapshots(context)


def run_from_snapshots(context: ReportContext) -> DaysResult:
    params = context.params
    zone = params.zone
    today = context.now.astimezone(zone).date()
    first, last = requested_days(params, today)
    reader = ComplianceReader(context.table, context.tenant)
    counts = compute_status_trend(
        reader,
        consumers_in_scope(reader, params),
        snapshot_filter(params),
        day_of_in(zone),
        since=datetime.combine(first, time(0), tzinfo=zone) if first else None,
        until=datetime.combine(last, END_OF_DAY, tzinfo=zone) if last else None,
    )
    if first is None or last is None:
        if counts.first_day is None or counts.last_day is None:
            return DaysResult([])  # no data and an open bound: nothing to show
        first = first or counts.first_day
        last = last or min(max(counts.last_day, first), today)
    return DaysResult([(day_key(day, zone), day_counts) for day, day_counts in counts.days(first, last)])


DEFINITION = ReportDefinition(
    key="status_trend",
    description="Lists the per-day status counts for all consumers",
    parameters=PARAMETERS,
    run=run,
    sort_fields=SORT_FIELDS,
)
