"""consumer_trend: every snapshot of one consumer in a window, plus the last one before the window.

Window: the last `hours` hours, or `start_date`..`end_date` (a bare end date covers that whole day), or
everything when neither is given. Oldest first. Reads: the window's snapshots + 1.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fleetreport.compliance.queries import ComplianceReader
from fleetreport.compliance.records import SnapshotRecord
from fleetreport.compliance.timefmt import to_storage
from fleetreport.reports.common import custom_results_params
from fleetreport.reports.definition import ReportContext, ReportDefinition, RowsResult
from fleetreport.reports.dto import SnapshotRow, consumer_trend_dto, full_document
from fleetreport.reports.params import Param, ReportParams

PARAMETERS = (
    Param("consumer_uuid", "Filters the results by the specified consumer UUID.", mandatory=True),
    Param(
        "hours",
        "The number of hours to filter on (used indepent of date range).",
        kind="integer",
        must_not_have=("start_date", "end_date"),
    ),
    Param(
        "start_date",
        "The start date to filter on (used with end_date).",
        kind="date",
        must_have=("end_date",),
        must_not_have=("hours",),
    ),
    Param(
        "end_date",
        "The end date to filter on (used with start_date)",
        kind="date",
        must_have=("start_date",),
        must_not_have=("hours",),
    ),
    *custom_results_params(),
)

SORT_FIELDS = {
    "date": lambda row: row.snapshot.status_date,
    "status": lambda row: row.snapshot.status.lower(),
}


def window(params: ReportParams, now: datetime) -> tuple[datetime, datetime] | None:
    hours = params.integer("hours")
    if hours is not None:
        start, end = now - timedelta(hours=hours), now
        return (start, end) if start <= end else (end, start)
    start_date, end_date = params.start_instant("start_date"), params.end_instant("end_date")
    if start_date is not None and end_date is not None:
        return start_date, end_date
    return None


def run(context: ReportContext) -> RowsResult:
    params = context.params
    reader = ComplianceReader(context.table, context.tenant)
    uuid = params.text("consumer_uuid") or ""
    with_docs = bool(params.boolean("custom_results", False))
    snapshots: list[SnapshotRecord] = []
    bounds = window(params, context.now)
    if bounds is None:
        snapshots = list(reader.snapshots(uuid, with_docs=with_docs))
    else:
        since, until = to_storage(bounds[0]), to_storage(bounds[1])
        before = reader.latest_snapshot_before(uuid, since, with_docs=with_docs)
        snapshots = [before] if before else []
        if since <= until:
            snapshots += reader.snapshots(uuid, since=since, until=until, with_docs=with_docs)
    # The consumer's state is only part of the full document (consumerState); read it only then.
    consumer = next(iter(reader.consumers_by_uuid([uuid])), None) if with_docs and snapshots else None
    rows = [SnapshotRow(snapshot, consumer) for snapshot in snapshots]
    return RowsResult(rows, consumer_trend_dto, full_document)


DEFINITION = ReportDefinition(
    key="consumer_trend",
    description="Lists the status of each consumer over a date range",
    parameters=PARAMETERS,
    run=run,
    sort_fields=SORT_FIELDS,
)
