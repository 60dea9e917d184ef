"""The groups function (not implemented yet: every route answers 501)."""

from fleetreport.http import api_handler, make_resolver
from fleetreport.unimplemented import answer_501

app = make_resolver()
answer_501(
    app,
    [
        ("GET", "/reports/groups"),
        ("GET", "/reports/groups/<group_hash>"),
        ("GET", "/reports/groups/<group_hash>/blobs"),
        ("PATCH", "/reports/groups/<group_hash>"),
        ("DELETE", "/reports/groups/<group_hash>"),
    ],
)
lambda_handler = api_handler(app)
