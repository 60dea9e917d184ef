"""Paging and sorting of report answers (SPEC §4.6; Gutterball's page/per_page/order/sort_by).

Any of the four parameters turns sorting on (default field: the report's `date`, default order
descending); `page`/`per_page` also cut a page (defaults 1 and 10). Without any of them the report's
natural order is kept. A paged answer carries `X-Total-Count` and a `Link` header whose URLs repeat
every query parameter of the request with `page=N`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fleetreport.errors import InvalidParameter
from fleetreport.reports.params import NOT_INTEGER, QueryParams, parse_integer

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 1000
ORDERS = {"asc": False, "ascending": False, "desc": True, "descending": True}  # → descending?
PAGING_PARAMS = ("page", "per_page", "order", "sort_by")


@dataclass(frozen=True)
class PageRequest:
    page: int | None
    per_page: int | None
    descending: bool
    sort_by: str

    @property
    def paged(self) -> bool:
        return self.page is not None or self.per_page is not None

    @property
    def page_number(self) -> int:
        return self.page or 1

    @property
    def page_size(self) -> int:
        return self.per_page or DEFAULT_PER_PAGE


def parse_page_request(
    query: QueryParams, sort_fields: Mapping[str, Any], default_sort: str
) -> PageRequest | None:
    """None when the request asks for neither paging nor sorting; raises InvalidParameter otherwise."""
    if not any(query.has(name) for name in PAGING_PARAMS):
        return None
    page = _bounded_integer(query, "page", 1, None, "Parameter must be greater than zero.")
    per_page = _bounded_integer(
        query, "per_page", 1, MAX_PER_PAGE, f"Parameter must be between 1 and {MAX_PER_PAGE}."
    )
    order = query.first("order")
    if order is not None and order.strip().lower() not in ORDERS:
        raise InvalidParameter("order", "Parameter must be one of: asc, ascending, desc, descending.")
    sort_by = query.first("sort_by")
    if sort_by is not None and sort_by not in sort_fields:
        allowed = ", ".join(sort_fields)
        raise InvalidParameter("sort_by", f'Unknown sort field "{sort_by}". Allowed: {allowed}.')
    descending = ORDERS[order.strip().lower()] if order is not None else True
    return PageRequest(page, per_page, descending, sort_by or default_sort)


def _bounded_integer(query: QueryParams, name: str, low: int, high: int | None, message: str) -> int | None:
    value = query.first(name)
    if value is None:
        return None
    number = parse_integer(value)
    if number is None:
        raise InvalidParameter(name, NOT_INTEGER)
    if number < low or (high is not None and number > high):
        raise InvalidParameter(name, message)
    return number


def sort_items[T](items: list[T], key: Callable[[T], Any], descending: bool) -> list[T]:
    """Stable sort where missing values (None) go last in ascending order, first in descending."""
    return sorted(items, key=lambda item: _nulls_last(key(item)), reverse=descending)


def _nulls_last(value: Any) -> tuple[bool, Any]:
    return (value is None, "" if value is None else value)


def cut_page[T](items: Sequence[T], request: PageRequest) -> list[T]:
    start = (request.page_number - 1) * request.page_size
    return list(items[start : start + request.page_size])


def page_headers(base_url: str, query: QueryParams, request: PageRequest, total: int) -> dict[str, str]:
    """`Link` (next/prev only where they exist, then first/last) and `X-Total-Count`."""
    last = max(1, math.ceil(total / request.page_size))
    page = request.page_number
    links: list[tuple[str, int]] = []
    if page < last:
        links.append(("next", page + 1))
    if page > 1:
        links.append(("prev", min(page - 1, last)))
    links += [("first", 1), ("last", last)]
    rendered = ", ".join(f'<{page_url(base_url, query, number)}>; rel="{rel}"' for rel, number in links)
    return {"Link": rendered, "X-Total-Count": str(total)}


def page_url(base_url: str, query: QueryParams, page: int) -> str:
    """The request URL with every query parameter kept, in order, and `page` set to `page`."""
    pairs: list[tuple[str, str]] = []
    placed = False
    for key, value in query.pairs:
        if key == "page":
            if not placed:
                pairs.append(("page", str(page)))
                placed = True
            continue
        pairs.append((key, value))
    if not placed:
        pairs.append(("page", str(page)))
    return f"{base_url}?{urlencode(pairs, quote_via=quote, safe='')}"
