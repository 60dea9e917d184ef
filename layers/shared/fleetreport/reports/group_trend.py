"""group_trend (SPEC §4.5): per-day counts of ingested reports for one app, by event type.

Declared here so the catalogue, validation and docs list it; its computation comes with the daily
rollups. Until then a valid request is answered 501 with a displayMessage.
"""

from __future__ import annotations

from fleetreport.errors import ReportError
from fleetreport.reports.common import TIMEZONE_DESCRIPTION, day_param
from fleetreport.reports.definition import DaysResult, ReportContext, ReportDefinition
from fleetreport.reports.params import Param


class ReportNotAvailable(ReportError):
    status = 501

    def __init__(self, key: str) -> None:
        super().__init__(f"Report {key} is not available yet.")


PARAMETERS = (
    Param("app", "The id of the app whose reports are counted", mandatory=True),
    Param("version", "The application version on which to filter"),
    Param("channel", "The release channel on which to filter"),
    Param("platform", "The platform on which to filter"),
    Param("arch", "The architecture on which to filter"),
    Param("type", "The event type on which to filter"),
    Param("reason", "The event reason on which to filter"),
    day_param("start_date", "The start date on which to filter"),
    day_param("end_date", "The end date on which to filter"),
    Param("timezone", TIMEZONE_DESCRIPTION, kind="timezone"),
)


def run(context: ReportContext) -> DaysResult:
    raise ReportNotAvailable("group_trend")


DEFINITION = ReportDefinition(
    key="group_trend",
    description="Lists the per-day counts of ingested reports for one app, by event type",
    parameters=PARAMETERS,
    run=run,
    sort_fields={"date": lambda entry: entry[0]},
)
