"""The report catalogue: every report, in the stable order `GET /reports` lists them."""

from __future__ import annotations

from fleetreport.errors import ReportNotFound
from fleetreport.reports import consumer_status, consumer_trend, group_trend, status_trend
from fleetreport.reports.definition import CatalogueEntry, ReportDefinition

REPORTS: tuple[ReportDefinition, ...] = (
    consumer_status.DEFINITION,
    consumer_trend.DEFINITION,
    status_trend.DEFINITION,
    group_trend.DEFINITION,
)
_BY_KEY = {report.key: report for report in REPORTS}


def find_report(key: str) -> ReportDefinition:
    report = _BY_KEY.get(key)
    if report is None:
        raise ReportNotFound(key)
    return report


def catalogue() -> list[CatalogueEntry]:
    return [report.catalogue_entry() for report in REPORTS]
