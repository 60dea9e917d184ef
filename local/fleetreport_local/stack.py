"""`fleetreport serve`: the whole API on 127.0.0.1 against an embedded moto server, shaped by template.yaml.

Start-up order matters: settings are validated first (a bad one is one line and a non-zero exit, before
anything starts), the HTTP port is bound before moto starts (a busy port fails fast), resources are
created from the template, one container per function is warmed, then demo data is seeded through the
running API and `.fleetreport/stack.json` announces the stack. Handler output (Powertools JSON logs)
goes to stderr; stdout carries only the banner.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, TextIO

from fleetreport_local.environment import (
    ConfigError,
    apply_environment,
    jwt_secret,
    local_session,
    point_boto3_at,
    stack_environment,
    validate_settings,
    verify_jwt_configuration,
)
from fleetreport_local.gateway import Cors, Gateway
from fleetreport_local.logs import configure_logging
from fleetreport_local.motoserver import EmbeddedMotoServer
from fleetreport_local.poller import QueuePoller, queue_sources
from fleetreport_local.pool import ContainerPool
from fleetreport_local.seed import run_seeders
from fleetreport_local.seeding import SeedContext
from fleetreport_local.server import ApiServer
from fleetreport_local.stackfile import read_stack_file, remove_stack_file, write_stack_file
from fleetreport_local.stream_poller import StreamPoller, StreamPump
from fleetreport_local.template import Template, create_resources, load_template
from fleetreport_local.tokens import mint_token

log = logging.getLogger("fleetreport.local")

TENANT = "demo"
BANNER_TOKEN_TTL = 24 * 3600  # a working day of local development without re-minting


@dataclass
class LocalStack:
    """The running pieces: moto, the function containers, the HTTP server and the queue pollers."""

    template: Template
    server: ApiServer
    moto: EmbeddedMotoServer | None = None
    aws_endpoint: str = ""
    pool: ContainerPool | None = None
    pollers: list[QueuePoller | StreamPoller] = field(default_factory=list)
    _serving: threading.Thread | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @classmethod
    def bind(cls, template: Template, host: str, port: int) -> LocalStack:
        """Claim the HTTP port first, so a busy port fails before anything else starts."""
        pool = ContainerPool(template)
        server = ApiServer(host, port, Gateway(template, pool.invoke, Cors.from_template(template)))
        return cls(template=template, server=server, pool=pool)

    def start(self) -> None:
        self.moto = EmbeddedMotoServer()
        self.moto.start()
        self.aws_endpoint = self.moto.endpoint
        point_boto3_at(self.aws_endpoint)
        session = local_session()
        create_resources(self.template, session, self.aws_endpoint)
        # Queue URLs are known now (EVENTS_QUEUE_URL): apply the functions' env again.
        apply_environment(stack_environment(self.template, os.environ))
        assert self.pool is not None
        for logical_id, error in self.pool.warm().items():
            log.error("%s could not start (its requests will answer 500): %s", logical_id, error)
        self._serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="http", daemon=True
        )
        self._serving.start()
        for source in queue_sources(self.template):
            sqs = session.client("sqs", endpoint_url=self.aws_endpoint)
            poller = QueuePoller(source, self.template.created[source.queue], sqs, self.pool.invoke)
            poller.start()
            self.pollers.append(poller)
        # DynamoDB Streams (the groups table's aggregates and alerts), polled like the queues
        pump = StreamPump(
            self.template,
            streams=session.client("dynamodbstreams", endpoint_url=self.aws_endpoint),
            dynamodb=session.client("dynamodb", endpoint_url=self.aws_endpoint),
            sqs=session.client("sqs", endpoint_url=self.aws_endpoint),
        )
        if pump.sources:
            stream_poller = StreamPoller(pump, self.pool.invoke, interval=0.1)
            stream_poller.start()
            self.pollers.append(stream_poller)

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self._serving is not None:
            self.server.shutdown()
        self.server.server_close()
        for poller in self.pollers:
            poller.join(timeout=5)
        if self.moto is not None:
            self.moto.stop()

    def seed_context(self, tenant: str) -> SeedContext:
        return SeedContext(
            api=self.api,
            aws_endpoint=self.aws_endpoint,
            tenant=tenant,
            admin_token=mint_token(
                role="admin", owner=tenant, ttl=BANNER_TOKEN_TTL, secret=jwt_secret(os.environ)
            ),
            template=self.template,
            session=local_session(),
        )


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def serve(host: str = "127.0.0.1", port: int = 3000, seed: bool = True, out: TextIO | None = None) -> int:
    """Run the stack until Ctrl-C or SIGTERM; 0 on a clean stop, 1 when it cannot start."""
    banner_out = out or sys.stdout
    template = load_template()
    try:
        validate_settings(template, os.environ)
        apply_environment(stack_environment(template, os.environ))
        verify_jwt_configuration()
    except (ConfigError, ValueError) as exc:
        print(f"fleetreport serve: {exc}", file=sys.stderr)
        return 1
    try:
        stack = LocalStack.bind(template, host, port)
    except ValueError as exc:
        print(f"fleetreport serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"fleetreport serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    configure_logging()
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    # Handlers and Powertools print to stdout; locally that belongs on stderr, next to the logs.
    sys.stdout = sys.stderr
    try:
        stack.start()
        lines = run_seeders(stack.seed_context(TENANT)) if seed else []
        _announce(stack)
        print_banner(banner_out, stack, lines)
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        log.info("stopping")
        remove_stack_file(os.getpid())
        stack.stop()
        sys.stdout = sys.__stdout__
    return 0


def _announce(stack: LocalStack) -> None:
    previous = read_stack_file()
    if previous and previous.get("pid") not in (None, os.getpid()):
        log.warning("replacing the stack.json of pid %s (another `fleetreport serve`?)", previous.get("pid"))
    write_stack_file(
        {"api": stack.api, "aws_endpoint": stack.aws_endpoint, "tenant": TENANT, "pid": os.getpid()}
    )


def print_banner(out: TextIO, stack: LocalStack, seed_lines: list[str]) -> None:
    token = mint_token(
        role="admin", owner=TENANT, sub="demo-admin", ttl=BANNER_TOKEN_TTL, secret=jwt_secret(os.environ)
    )
    api = stack.api
    lines = [
        "fleetreport local stack",
        f"  API           {api}",
        f"  AWS (moto)    {stack.aws_endpoint}",
        f"  tenant        {TENANT}",
        f"  admin token   {token}",
        "",
        "Try:",
        f"  export TOKEN={token}",
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/reports/groups',
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/apps',
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/reports',
        f'  curl -s -H "Authorization: Bearer $TOKEN" "{api}/reports/status_trend/run?timezone=UTC"',
        f"  open {api}/swagger   (the API in Swagger UI)   or   {api}/   (the dashboard)",
        "  fleetreport token --role team --owner demo --allowed-apps APP_ID   # more tokens",
        *(["", *seed_lines] if seed_lines else []),
        "",
        "Ctrl-C stops the stack (all data is in memory and goes with it).",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()
