"""Parameters several reports declare the same way (descriptions are the Gutterball seed's, verbatim)."""

from __future__ import annotations

from fleetreport.reports.params import DAY_FORMAT_MESSAGE, Param, no_year_before_2000

MANAGEMENT_ENABLED_DESCRIPTION = (
    "Filter on subscriptions which have management enabled set to this value (boolean)"
)
PRODUCT_NAME_DESCRIPTION = "The name of a product on which to filter"
SKU_DESCRIPTION = "The entitlement sku on which to filter"
SUBSCRIPTION_NAME_DESCRIPTION = "The name of a subscription on which to filter"
TIMEZONE_DESCRIPTION = "The timezone to use when processing the request and returning results"


def custom_results_params() -> tuple[Param, ...]:
    """custom_results, include, exclude: attribute filtering of the full stored snapshot."""
    return (
        Param(
            "custom_results",
            "Enables/disables custom report result functionality via attribute filtering (boolean).",
            kind="boolean",
        ),
        Param(
            "include",
            "Includes the specified attribute in the result JSON",
            multi_valued=True,
            must_have=("custom_results",),
            must_not_have=("exclude",),
        ),
        Param(
            "exclude",
            "Excludes the specified attribute in the result JSON",
            multi_valued=True,
            must_have=("custom_results",),
            must_not_have=("include",),
        ),
    )


def day_param(name: str, description: str) -> Param:
    """A `yyyy-MM-dd` bound of a per-day report (status_trend, group_trend): no year before 2000."""
    return Param(
        name,
        description,
        kind="date",
        date_message=DAY_FORMAT_MESSAGE,
        validators=(no_year_before_2000,),
    )


def exclusive_filters(names: tuple[str, ...], descriptions: dict[str, str]) -> tuple[Param, ...]:
    """Filters that exclude one another (status_trend: product_name, sku, subscription_name,
    management_enabled)."""
    return tuple(
        Param(
            name,
            descriptions[name],
            kind="boolean" if name == "management_enabled" else "string",
            must_not_have=tuple(other for other in names if other != name),
        )
        for name in names
    )
