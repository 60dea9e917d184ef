"""The admin function (not implemented yet: every route answers 501)."""

from fleetreport.http import api_handler, make_resolver
from fleetreport.unimplemented import answer_501

app = make_resolver()
answer_501(
    app,
    [
        ("POST", "/apps"),
        ("GET", "/apps"),
        ("PATCH", "/apps/<app_id>"),
        ("GET", "/report-keys/list"),
        ("POST", "/report-keys/regenerate"),
    ],
)
lambda_handler = api_handler(app)
