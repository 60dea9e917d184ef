"""Report parameters: ONE declaration per parameter drives validation, the catalogue and the docs.

Validation follows Gutterball's order (SPEC §4.3): parameters in declaration order, and for each one
required → integer → date → time zone → other validators (Boolean, year) → must-have → must-not-have;
the first failure is the answer (`InvalidParameter(name, message)` → 400 `"<name>: <message>"`).
Unknown parameters are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from fleetreport.errors import InvalidParameter
from fleetreport.reports.dates import ReportDate, parse_report_date, parse_timezone

Kind = Literal["string", "integer", "date", "timezone", "boolean"]

REQUIRED = "Required parameter."
NOT_INTEGER = "Parameter must be an Integer value."
DATETIME_FORMAT_MESSAGE = "Invalid date string. Expected format: yyyy-MM-dd'T'HH:mm:ss.SSSZ"
DAY_FORMAT_MESSAGE = "Invalid date string. Expected format: yyyy-MM-dd"
BAD_TIMEZONE = (
    "Invalid time zone string. Time zones must be recognized time zone names or offsets specified in "
    'the form of "GMT[+-]HH:?MM".'
)
NOT_BOOLEAN = "Parameter must be a Boolean value."
BAD_YEAR = "Invalid year; years must be no earlier than 2000."
BOOLEANS = {
    **dict.fromkeys(("true", "1", "yes", "y", "on"), True),
    **dict.fromkeys(("false", "0", "no", "n", "off"), False),
}
INT32 = range(-(2**31), 2**31)
_INTEGER = re.compile(r"[+-]?[0-9]+")

# A validator returns the message of its failure, or None.
Validator = Callable[[str], str | None]


# The same model serializes the catalogue and is its OpenAPI schema (its docstring is the
# schema's description), so the answer and the document cannot drift.
class ReportParameter(BaseModel):
    """A parameter of a report, in validation order (Gutterball's `ReportParameter`)."""

    model_config = ConfigDict(frozen=True)
    name: str
    description: str
    mandatory: bool
    multi_valued: bool = Field(alias="multiValued")


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    mandatory: bool = False
    multi_valued: bool = False
    kind: Kind = "string"
    date_message: str = DATETIME_FORMAT_MESSAGE
    validators: tuple[Validator, ...] = ()
    must_have: tuple[str, ...] = ()
    must_not_have: tuple[str, ...] = ()

    def catalogue_entry(self) -> ReportParameter:
        return ReportParameter(
            name=self.name,
            description=self.description,
            mandatory=self.mandatory,
            multiValued=self.multi_valued,
        )

    def validate(self, query: QueryParams) -> None:
        values = query.values(self.name)
        if values is None:
            if self.mandatory:
                raise InvalidParameter(self.name, REQUIRED)
            return
        for check in self._checks():
            for value in values:
                message = check(value)
                if message:
                    raise InvalidParameter(self.name, message)
        for other in self.must_have:
            if not query.has(other):
                raise InvalidParameter(self.name, f"Parameter must be used with {other}.")
        for other in self.must_not_have:
            if query.has(other):
                raise InvalidParameter(self.name, f"Parameter must not be used with {other}.")

    def _checks(self) -> list[Validator]:
        kind_check: dict[Kind, Validator] = {
            "integer": lambda value: None if parse_integer(value) is not None else NOT_INTEGER,
            "date": lambda value: None if parse_report_date(value) else self.date_message,
            "timezone": lambda value: None if parse_timezone(value) else BAD_TIMEZONE,
            "boolean": lambda value: None if parse_boolean(value) is not None else NOT_BOOLEAN,
        }
        checks = [kind_check[self.kind]] if self.kind in kind_check else []
        return checks + list(self.validators)


def no_year_before_2000(value: str) -> str | None:
    parsed = parse_report_date(value)
    return BAD_YEAR if parsed is not None and parsed.day.year < 2000 else None


def parse_integer(value: str) -> int | None:
    """Java's Integer.parseInt: optional sign, ASCII digits, 32-bit range, no surrounding spaces."""
    if not _INTEGER.fullmatch(value):
        return None
    number = int(value)
    return number if number in INT32 else None


def parse_boolean(value: str) -> bool | None:
    return BOOLEANS.get(value.strip().lower())


@dataclass
class QueryParams:
    """The query string as ordered (name, value) pairs; a repeated name is a multi-valued parameter."""

    pairs: list[tuple[str, str]] = field(default_factory=list)

    def values(self, name: str) -> list[str] | None:
        found = [value for key, value in self.pairs if key == name]
        return found or None

    def has(self, name: str) -> bool:
        return any(key == name for key, _ in self.pairs)

    def first(self, name: str) -> str | None:
        return next((value for key, value in self.pairs if key == name), None)


@dataclass
class ReportParams:
    """Validated parameters with typed accessors; dates are read in the report's time zone."""

    query: QueryParams
    zone: tzinfo = UTC

    def has(self, name: str) -> bool:
        return self.query.has(name)

    def text(self, name: str) -> str | None:
        return self.query.first(name)

    def texts(self, name: str) -> list[str]:
        return self.query.values(name) or []

    def integer(self, name: str) -> int | None:
        value = self.query.first(name)
        return parse_integer(value) if value is not None else None

    def boolean(self, name: str, default: bool | None = None) -> bool | None:
        value = self.query.first(name)
        if value is None:
            return default
        return parse_boolean(value)

    def date(self, name: str) -> ReportDate | None:
        value = self.query.first(name)
        return parse_report_date(value) if value is not None else None

    def start_instant(self, name: str) -> datetime | None:
        parsed = self.date(name)
        return parsed.start(self.zone) if parsed else None

    def end_instant(self, name: str) -> datetime | None:
        parsed = self.date(name)
        return parsed.end(self.zone) if parsed else None


def validate(parameters: Iterable[Param], query: QueryParams) -> ReportParams:
    """Check every declared parameter in order; the report's zone is its `timezone` parameter, or UTC."""
    declared = list(parameters)
    for param in declared:
        param.validate(query)
    zone: tzinfo = UTC
    if any(param.kind == "timezone" for param in declared):
        value = query.first("timezone")
        zone = (parse_timezone(value) if value else None) or UTC
    return ReportParams(query, zone)
