"""Read template.yaml: the one source of truth for tables, bucket, queues, routes and function env.

The local stack and the tests build their AWS resources and find their handlers through this module,
so nothing about the system's shape is written twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
LOCAL_ACCOUNT = "123456789012"
LOCAL_PREFIX = "fleetreport-local"
LOCAL_PSEUDO = {
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": LOCAL_PREFIX,
    "AWS::AccountId": LOCAL_ACCOUNT,
}


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that keeps CloudFormation short-form intrinsics as {"Fn::X": ...} / {"Ref": ...}."""


def _intrinsic(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: str  # logical id

    @property
    def is_static(self) -> bool:
        return "{" not in self.path

    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(self.path))
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
        return re.compile(f"^{regex}$")


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    env: dict[str, str]
    has_queue: bool

    @property
    def name(self) -> str:
        """The folder name under functions/ (what the CLI's `invoke` takes)."""
        return self.code_uri.name


@dataclass
class Template:
    raw: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)
    # Physical names/URLs of resources already created (queue URLs come from the server that made them).
    created: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        defaults = {
            name: str(spec.get("Default", "")) for name, spec in self.raw.get("Parameters", {}).items()
        }
        self.parameters = {**defaults, **self.parameters}

    # ------------------------------------------------------------------ intrinsics
    def resources(self, kind: str | None = None) -> dict[str, dict[str, Any]]:
        return {
            name: res
            for name, res in self.raw["Resources"].items()
            if (kind is None or res["Type"] == kind) and self.condition_holds(res.get("Condition"))
        }

    def condition_holds(self, name: str | None) -> bool:
        if name is None:
            return True
        return bool(self.resolve(self.raw["Conditions"][name]))

    def physical_name(self, logical_id: str) -> str:
        return self.created.get(logical_id) or f"{LOCAL_PREFIX}-{logical_id}".lower()

    def queue_url(self, logical_id: str, endpoint: str) -> str:
        if logical_id in self.created:
            return self.created[logical_id]
        return f"{endpoint.rstrip('/')}/{LOCAL_ACCOUNT}/{self.physical_name(logical_id)}"

    def resolve(self, value: Any, endpoint: str = "http://127.0.0.1:5000") -> Any:
        """Evaluate the intrinsics the template uses, with local physical names."""
        if isinstance(value, list):
            return [self.resolve(v, endpoint) for v in value]
        if not isinstance(value, dict):
            return value
        if "Ref" in value:
            ref = value["Ref"]
            if ref in self.parameters:
                return self.parameters[ref]
            if ref == "AWS::NoValue":
                return None
            if ref == "AWS::Region":
                return "us-east-1"
            if ref in LOCAL_PSEUDO:
                return LOCAL_PSEUDO[ref]
            resource = self.raw["Resources"][ref]
            if resource["Type"] == "AWS::SQS::Queue":
                return self.queue_url(ref, endpoint)
            return self.physical_name(ref)
        if "Fn::GetAtt" in value:
            ref, attr = value["Fn::GetAtt"]
            if attr == "Arn":
                kind = self.raw["Resources"][ref]["Type"]
                if kind == "AWS::Events::EventBus":
                    return f"arn:aws:events:us-east-1:{LOCAL_ACCOUNT}:event-bus/{self.physical_name(ref)}"
                if kind == "AWS::Events::Rule":
                    return f"arn:aws:events:us-east-1:{LOCAL_ACCOUNT}:rule/{self.physical_name(ref)}"
                service = {"AWS::SQS::Queue": "sqs", "AWS::S3::Bucket": "s3"}.get(kind, "dynamodb")
                name = self.physical_name(ref).rstrip("/").rsplit("/", 1)[-1]  # a created queue's is its URL
                return f"arn:aws:{service}:us-east-1:{LOCAL_ACCOUNT}:{name}"
            return self.physical_name(ref)
        if "Fn::If" in value:
            cond, yes, no = value["Fn::If"]
            return self.resolve(yes if self.condition_holds(cond) else no, endpoint)
        if "Fn::Equals" in value:
            left, right = (self.resolve(v, endpoint) for v in value["Fn::Equals"])
            return str(left) == str(right)
        if "Fn::Not" in value:
            return not self.resolve(value["Fn::Not"][0], endpoint)
        if "Fn::And" in value:
            return all(self.resolve(v, endpoint) for v in value["Fn::And"])
        if "Fn::Or" in value:
            return any(self.resolve(v, endpoint) for v in value["Fn::Or"])
        if "Fn::FindInMap" in value:
            table, key, name = (self.resolve(v, endpoint) for v in value["Fn::FindInMap"])
            return self.raw["Mappings"][table][key][name]
        if set(value) == {"Condition"}:  # a condition used inside Fn::And/Or/Not
            return self.condition_holds(value["Condition"])
        if "Fn::Sub" in value:
            text = value["Fn::Sub"]
            return re.sub(
                r"\$\{([\w:.]+)\}",
                lambda m: str(
                    self.resolve(
                        {"Fn::GetAtt": m.group(1).split(".", 1)}
                        if "." in m.group(1)
                        else {"Ref": m.group(1)},
                        endpoint,
                    )
                ),
                text,
            )
        return {k: self.resolve(v, endpoint) for k, v in value.items()}

    # ------------------------------------------------------------------ functions and routes
    def functions(self, endpoint: str = "http://127.0.0.1:5000") -> dict[str, Function]:
        globals_fn = self.raw.get("Globals", {}).get("Function", {})
        global_env = globals_fn.get("Environment", {}).get("Variables", {})
        out = {}
        for logical_id, res in self.resources("AWS::Serverless::Function").items():
            props = res["Properties"]
            env_spec = {**global_env, **props.get("Environment", {}).get("Variables", {})}
            env = {k: str(self.resolve(v, endpoint) or "") for k, v in env_spec.items()}
            events = props.get("Events", {}).values()
            out[logical_id] = Function(
                logical_id=logical_id,
                code_uri=(ROOT / props["CodeUri"]).resolve(),
                handler=props.get("Handler", globals_fn.get("Handler", "app.lambda_handler")),
                env=env,
                has_queue=any(e["Type"] == "SQS" for e in events),
            )
        return out

    def routes(self) -> list[Route]:
        """HttpApi routes, static paths before parameterised ones (as API Gateway matches them)."""
        routes = []
        for logical_id, res in self.resources("AWS::Serverless::Function").items():
            for event in res["Properties"].get("Events", {}).values():
                if event["Type"] == "HttpApi":
                    props = event["Properties"]
                    routes.append(Route(props["Method"].upper(), props["Path"], logical_id))
        return sorted(routes, key=lambda r: (not r.is_static, -r.path.count("/"), r.path))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes():
            if route.method != method.upper():
                continue
            found = route.pattern().fullmatch(path)
            if found:
                return route, found.groupdict()
        return None


@lru_cache(maxsize=4)
def _raw_template(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506


def load_template(path: Path = TEMPLATE_PATH, parameters: dict[str, str] | None = None) -> Template:
    """A fresh view of the template (its `created` map is per stack/test, the parsed YAML is shared)."""
    return Template(_raw_template(path), dict(parameters or {}))


# ---------------------------------------------------------------------- resources
def _table_spec(name: str, props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if props.get("GlobalSecondaryIndexes"):
        spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    stream = props.get("StreamSpecification")
    if stream:  # CloudFormation names the view type only; the API also wants the switch
        spec["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
    return spec


def create_resources(template: Template, session: Any, endpoint: str) -> dict[str, str]:
    """Create every table (with its indexes and TTL), bucket and queue of the template.

    `session` is a boto3 Session already pointed at moto; returns logical id -> physical name/url.
    """
    made: dict[str, str] = {}
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    for logical_id, res in template.resources("AWS::DynamoDB::Table").items():
        props = template.resolve(res["Properties"], endpoint)
        name = template.physical_name(logical_id)
        ddb.create_table(**_table_spec(name, props))
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        made[logical_id] = name
    s3 = session.client("s3", endpoint_url=endpoint)
    for logical_id in template.resources("AWS::S3::Bucket"):
        name = template.physical_name(logical_id)
        s3.create_bucket(Bucket=name)
        made[logical_id] = name
    sqs = session.client("sqs", endpoint_url=endpoint)
    queues = template.resources("AWS::SQS::Queue")
    # Dead-letter queues first, so redrive policies can point at them.
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {})):
        props = template.resolve(queues[logical_id].get("Properties", {}), endpoint)
        attributes = {}
        if "VisibilityTimeout" in props:
            attributes["VisibilityTimeout"] = str(props["VisibilityTimeout"])
        if "RedrivePolicy" in props:
            attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
        url = sqs.create_queue(QueueName=template.physical_name(logical_id), Attributes=attributes)[
            "QueueUrl"
        ]
        made[logical_id] = url
    template.created.update(made)
    made.update(create_event_buses(template, session, endpoint))
    return made


def create_event_buses(template: Template, session: Any, endpoint: str) -> dict[str, str]:
    """EventBridge buses and their rules with SQS targets (moto delivers put_events to them)."""
    made: dict[str, str] = {}
    events = session.client("events", endpoint_url=endpoint)
    for logical_id in template.resources("AWS::Events::EventBus"):
        name = template.physical_name(logical_id)
        events.create_event_bus(Name=name)
        made[logical_id] = name
    template.created.update(made)
    for logical_id, res in template.resources("AWS::Events::Rule").items():
        props = template.resolve(res["Properties"], endpoint)
        name, bus = template.physical_name(logical_id), props.get("EventBusName", "default")
        events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(props["EventPattern"]))
        targets = [{"Id": target["Id"], "Arn": target["Arn"]} for target in props.get("Targets", [])]
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)
    return made
