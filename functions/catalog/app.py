"""The catalog function (not implemented yet: every route answers 501)."""

from fleetreport.http import api_handler, make_resolver
from fleetreport.unimplemented import answer_501

app = make_resolver()
answer_501(
    app,
    [
        ("GET", "/reports"),
        ("GET", "/reports/<report_key>"),
    ],
)
lambda_handler = api_handler(app)
