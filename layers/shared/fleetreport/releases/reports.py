"""Every accepted report marks its device active on its release (and crashed, for a crash type).

Called by ingest after the report is counted. The mark is the device-day item of releases/devices.py:
written once per device and day (or first crash of the day), so most reports add no write at all.
A failure here never fails the report (it is already counted; a retry would count it twice): it is
logged and counted in the `ReleaseMarksFailed` metric.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from fleetreport.groups.models import Dimensions
from fleetreport.http import logger, metrics
from fleetreport.releases.devices import Activity, device_hash, mark_active
from fleetreport.settings import Settings


def mark_report_device(
    settings: Settings, owner: str, app_id: str, dims: Dimensions, device_id: str, now: datetime
) -> None:
    if not settings.releases_table:
        return  # a deployment without release health (older template): nothing to mark
    activity = Activity(
        owner=owner,
        app_id=app_id,
        version=dims.version,
        channel=dims.channel,
        platform=dims.platform,
        arch=dims.arch,
        digest=device_hash(app_id, device_id),
        now=now,
        crashed=dims.type in settings.crash_types(),
    )
    try:
        mark_active(settings.releases_table, activity)
    except (ClientError, BotoCoreError) as error:
        logger.warning("release mark failed", extra={"app_id": app_id, "error_type": type(error).__name__})
        metrics.add_metric(name="ReleaseMarksFailed", unit=MetricUnit.Count, value=1)
