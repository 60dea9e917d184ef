"""What a report is: its declaration (key, description, parameters, sort fields) and what a run returns."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from fleetreport.auth.principal import Principal
from fleetreport.reports.params import Param, ReportParameter, ReportParams


# Serializes `GET /reports` and `GET /reports/{report_key}` and is their OpenAPI schema.
class CatalogueEntry(BaseModel):
    """A report of the catalogue (Gutterball's `ReportDescription`)."""

    model_config = ConfigDict(frozen=True)
    key: str
    description: str
    parameters: list[ReportParameter]

    def to_json(self) -> dict[str, Any]:
        """The wire body: fields in declaration order, `multiValued` by its Gutterball name."""
        return self.model_dump(by_alias=True)


@dataclass
class ReportContext:
    """Everything a report run may use: who asks (tenant = JWT owner), the parameters, and `now`."""

    tenant: str
    params: ReportParams
    now: datetime
    table: Any  # ComplianceTable (boto3 Table)
    principal: Principal | None = None  # who asks (group_trend scopes apps by it); None sees no app


@dataclass
class RowsResult:
    """A list answer. `render` makes the default (minimized) DTO of a row, `document` its full stored
    snapshot (custom_results); both run only for the rows of the page being answered."""

    rows: list[Any]
    render: Callable[[Any], dict[str, Any]]
    document: Callable[[Any], dict[str, Any]]


@dataclass
class DaysResult:
    """A map answer (status_trend): `(day key, {status: count})` in ascending day order."""

    days: list[tuple[str, dict[str, int]]]


ReportResult = RowsResult | DaysResult
SortKey = Callable[[Any], Any]


@dataclass(frozen=True)
class ReportDefinition:
    key: str
    description: str
    parameters: tuple[Param, ...]
    run: Callable[[ReportContext], ReportResult]
    # sort_by names → key of a row (RowsResult) or of a (day key, counts) pair (DaysResult)
    sort_fields: Mapping[str, SortKey] = field(default_factory=dict)
    default_sort: str = "date"

    def catalogue_entry(self) -> CatalogueEntry:
        return CatalogueEntry(
            key=self.key,
            description=self.description,
            parameters=[param.catalogue_entry() for param in self.parameters],
        )

    def declares(self, name: str) -> bool:
        return any(param.name == name for param in self.parameters)
