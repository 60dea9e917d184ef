"""Local only: a queue that receives every alert signal of the stack's bus, for `fleetreport alerts tail`.

On AWS an operator adds their own rules to the alerts bus (docs/alerts.md); locally the stack adds this
one, so signals can be watched as they happen without a webhook.
"""

from __future__ import annotations

import json
from typing import Any

from fleetreport_local.template import LOCAL_ACCOUNT, LOCAL_PREFIX, Template

TAIL_QUEUE = f"{LOCAL_PREFIX}-alerts-tail"
TAIL_RULE = f"{LOCAL_PREFIX}-alerts-tail"
ALERTS_BUS = "AlertsBus"


def create_alerts_tail(template: Template, session: Any, endpoint: str) -> str | None:
    """Create the tail queue and a catch-all rule on the alerts bus; its URL (None without a bus)."""
    bus = template.created.get(ALERTS_BUS)
    if bus is None:
        return None
    url = str(session.client("sqs", endpoint_url=endpoint).create_queue(QueueName=TAIL_QUEUE)["QueueUrl"])
    events = session.client("events", endpoint_url=endpoint)
    events.put_rule(Name=TAIL_RULE, EventBusName=bus, EventPattern=json.dumps({"source": ["fleetreport"]}))
    arn = f"arn:aws:sqs:us-east-1:{LOCAL_ACCOUNT}:{TAIL_QUEUE}"
    events.put_targets(Rule=TAIL_RULE, EventBusName=bus, Targets=[{"Id": "tail", "Arn": arn}])
    return url
