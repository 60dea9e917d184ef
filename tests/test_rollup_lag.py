"""Rollup lag (SPEC §11): the rollup reports how long closed days wait, and the alarm reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from compliance_support import consumer_created, load
from fleetreport.rollup.lag import rollup_lag_hours
from rollup_support import roll

NOW = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)


def tenant(complete: bool, status: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> dict[str, Any]:
    def span(days: tuple[str, ...]) -> dict[str, Any]:
        return {"days": len(days), "from": days[0] if days else None, "to": days[-1] if days else None}

    return {"tenant": "t", "status": span(status), "groups": span(groups), "complete": complete}


def summary(*tenants: dict[str, Any]) -> dict[str, Any]:
    return {
        "closed_day": "2026-05-19",
        "complete": all(t["complete"] for t in tenants),
        "tenants": list(tenants),
    }


def test_no_lag_when_every_tenant_is_rolled_through_the_last_closed_day() -> None:
    assert rollup_lag_hours(summary(tenant(True, ("2026-05-19",), ("2026-05-19",)), tenant(True)), NOW) == 0


def test_lag_counts_from_the_end_of_the_oldest_day_a_cut_short_tenant_left() -> None:
    behind = tenant(False, ("2026-05-16", "2026-05-17"))  # status stopped after the 17th: 18th pending
    assert rollup_lag_hours(summary(tenant(True), behind), NOW) == 24 + 9.5


def test_lag_of_a_tenant_whose_group_days_stopped_first_starts_after_its_last_group_day() -> None:
    behind = tenant(False, ("2026-05-15", "2026-05-19"), ("2026-05-15", "2026-05-16"))
    assert rollup_lag_hours(summary(behind), NOW) == 2 * 24 + 9.5


def test_a_tenant_cut_short_before_any_day_lags_at_least_since_the_last_closed_day() -> None:
    assert rollup_lag_hours(summary(tenant(False)), NOW) == 9.5


def emitted(output: str, name: str) -> list[float]:
    values = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            document = json.loads(line)
            if name in document:  # Powertools writes a metric's values as a list
                values += document[name] if isinstance(document[name], list) else [document[name]]
    return values


def test_the_scheduled_run_reports_no_lag_once_every_closed_day_is_rolled(
    stack: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    load(stack, "t1", [consumer_created("c1", "2026-05-01T10:00:00.000Z")])
    roll(datetime.now(UTC))  # every closed day rolled: nothing waits for the scheduled run
    capsys.readouterr()
    stack.invoke("rollup", {"source": "aws.scheduler"})
    assert emitted(capsys.readouterr().out, "RollupLagHours") == [0]
