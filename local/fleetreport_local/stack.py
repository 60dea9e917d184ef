"""`fleetreport serve`: the whole API on 127.0.0.1 against an embedded moto server, shaped by template.yaml.

Start-up order matters: settings are validated first (a bad one is one line and a non-zero exit, before
anything starts), the HTTP port is bound before moto starts (a busy port fails fast) but connections are
refused until the stack is ready; resources are created from the template, one container per function
is warmed, demo data is seeded through the real code (the API's calls in-process, through the gateway),
and only then does the port listen and `.fleetreport/stack.json` announce the stack — so the first
request anyone makes already sees the demo data. Meanwhile one progress line on stderr; then one banner
on stdout. Handler output (Powertools JSON logs, WARNING and up unless LOG_LEVEL says otherwise) goes
to stderr; `--verbose` adds one line per request.
"""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from fleetreport_local.alerts_tail import create_alerts_tail
from fleetreport_local.environment import (
    LOCAL_REGION,
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
from fleetreport_local.logs import ServeLogging, configure_serve_logging
from fleetreport_local.motoserver import CannotListen, EmbeddedMotoServer
from fleetreport_local.poller import QueuePoller, queue_sources
from fleetreport_local.pool import ContainerPool
from fleetreport_local.progress import StartupProgress
from fleetreport_local.seed import SEEDERS, run_seeders
from fleetreport_local.seed_apps import DEMO_APPS
from fleetreport_local.seeding import SeedContext, decode
from fleetreport_local.server import ApiServer
from fleetreport_local.stackfile import read_stack_file, remove_stack_file, write_stack_file
from fleetreport_local.stream_poller import StreamPoller, StreamPump
from fleetreport_local.template import Template, create_resources, load_template
from fleetreport_local.tokens import mint_token

log = logging.getLogger("fleetreport.local")

TENANT = "demo"
BANNER_TOKEN_TTL = 24 * 3600  # a working day of local development without re-minting
BANNER_SUB = "demo-admin"  # the seeded triage actions are this operator's too
STARTUP_STREAM_INTERVAL = 2.0  # seconds between stream polls while the stack starts
SERVING_STREAM_INTERVAL = 0.1  # and once it serves
STARTUP_STEPS = 5  # moto, resources, warm functions, streams, listen (plus one per seeder)
# A stop takes a few seconds (pollers get 5 s together). One that takes longer is stuck — a daemon thread
# holding a lock the interpreter's exit needs — so every thread's stack goes to stderr and it exits 1.
STOP_WATCHDOG_SECONDS = 15
SIGNAL_POLL_SECONDS = 0.2  # how soon the main thread notices a signal another thread received
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass
class LocalStack:
    """The running pieces: moto, the function containers, the HTTP server and the queue pollers."""

    template: Template
    server: ApiServer
    moto: EmbeddedMotoServer | None = None
    aws_endpoint: str = ""
    pool: ContainerPool | None = None
    pollers: list[QueuePoller | StreamPoller] = field(default_factory=list)
    storage_hosts: tuple[str, ...] = ()  # moto also listens there (for `sam local` containers)
    _serving: threading.Thread | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    @classmethod
    def bind(cls, template: Template, host: str, port: int) -> LocalStack:
        """Claim the HTTP port first, so a busy port fails before anything else starts; it refuses
        connections until `open()`."""
        pool = ContainerPool(template)
        gateway = Gateway(template, pool.invoke, Cors.from_template(template))
        server = ApiServer(host, port, gateway, listen=False)
        return cls(template=template, server=server, pool=pool)

    def start(self, step: Callable[[str], None] = lambda label: None) -> None:
        """Storage, resources, warm containers and pollers: everything but the open port."""
        step("starting the embedded moto server")
        self.moto = EmbeddedMotoServer(also_on=self.storage_hosts)
        self.moto.start()
        self.aws_endpoint = self.moto.endpoint
        point_boto3_at(self.aws_endpoint)
        session = local_session()
        step("creating tables, bucket and queues from template.yaml")
        create_resources(self.template, session, self.aws_endpoint)
        create_alerts_tail(self.template, session, self.aws_endpoint)  # `fleetreport alerts tail`
        # Queue URLs are known now (EVENTS_QUEUE_URL): apply the functions' env again; alert links
        # point at this dashboard.
        apply_environment({**stack_environment(self.template, os.environ), "DASHBOARD_URL": self.api})
        assert self.pool is not None
        step(f"warming {len(self.template.functions())} functions")
        for logical_id, error in self.pool.warm().items():
            log.error("%s could not start (its requests will answer 500): %s", logical_id, error)
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
            # While seeding, a slow poll: `settle()` delivers every record before the port opens anyway,
            # and each round costs ~4 requests per mapping that the seeders would wait behind (GIL, moto's
            # DynamoDB lock). `open()` turns it to 0.1 s.
            stream_poller = StreamPoller(
                pump,
                self.pool.invoke,
                interval=STARTUP_STREAM_INTERVAL,
                moto=self.moto.stream_backends(LOCAL_REGION),
            )
            stream_poller.start()
            self.pollers.append(stream_poller)

    def settle(self) -> int:
        """Deliver every stream record written so far (the seeded groups' aggregates and alerts), so
        the first request sees them; returns how many were delivered."""
        assert self.pool is not None
        return sum(
            poller.pump.pump(self.pool.invoke) for poller in self.pollers if isinstance(poller, StreamPoller)
        )

    def open(self) -> None:
        """Listen on the bound port and serve: from here on, requests are answered."""
        self.server.listen()
        for poller in self.pollers:
            if isinstance(poller, StreamPoller):
                poller.interval = SERVING_STREAM_INTERVAL
        self._serving = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="http", daemon=True
        )
        self._serving.start()

    def call(self, method: str, path: str, body: Any, headers: dict[str, str]) -> tuple[int, Any]:
        """One API request through the gateway in this process (the seeders' way in before `open`)."""
        data = None if body is None else json.dumps(body).encode()
        reply = self.server.gateway.handle(method, path, headers.items(), data, server_port=self.server.port)
        return reply.status, decode(reply.body)

    def stop(self) -> None:
        for poller in self.pollers:
            poller.stop()
        if self._serving is not None:
            self.server.shutdown()
        self.server.server_close()
        deadline = time.monotonic() + 5  # one wait for them all (daemon threads: exit needs no join)
        for poller in self.pollers:
            poller.join(timeout=max(0.0, deadline - time.monotonic()))
        if self.moto is not None:
            self.moto.stop()

    def seed_context(self, tenant: str, progress: Callable[[str], None] | None = None) -> SeedContext:
        return SeedContext(
            api=self.api,
            aws_endpoint=self.aws_endpoint,
            tenant=tenant,
            admin_token=mint_token(
                role="admin", owner=tenant, ttl=BANNER_TOKEN_TTL, secret=jwt_secret(os.environ)
            ),
            template=self.template,
            session=local_session(),
            call=self.call,
            progress=progress or (lambda text: None),
        )


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _wait_for_a_signal() -> None:
    """Sleep in short waits until SIGTERM/SIGINT raises KeyboardInterrupt here.

    The kernel may deliver the signal to any of the stack's threads; Python then only flags it for the
    main thread, which runs the handler at its next bytecode. One unbounded wait would never get there
    (seen: a stack that ignored SIGTERM for 30 s, one stop in a dozen), so the waits are bounded.
    """
    idle = threading.Event()
    while True:
        idle.wait(SIGNAL_POLL_SECONDS)


def serve(
    host: str = "127.0.0.1",
    port: int = 3000,
    seed: bool = True,
    out: TextIO | None = None,
    verbose: bool = False,
    storage_hosts: tuple[str, ...] = (),
) -> int:
    """Run the stack until Ctrl-C or SIGTERM; 0 on a clean stop, 1 when it cannot start.

    `storage_hosts`: addresses moto listens on besides 127.0.0.1 (docs/local.md: `sam local` on Linux).
    """
    banner_out = out or sys.stdout
    template = load_template()
    logging_choice = ServeLogging.choose(verbose, os.environ)
    try:
        if logging_choice.handler_level not in LOG_LEVELS:
            raise ConfigError(
                f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {logging_choice.handler_level!r})"
            )
        validate_settings(template, os.environ)
        os.environ["POWERTOOLS_LOG_LEVEL"] = logging_choice.handler_level  # read as the functions import
        apply_environment(stack_environment(template, os.environ))
        verify_jwt_configuration()
    except (ConfigError, ValueError) as exc:
        print(f"fleetreport serve: {exc}", file=sys.stderr)
        return 1
    try:
        stack = LocalStack.bind(template, host, port)
        stack.storage_hosts = storage_hosts
    except ValueError as exc:
        print(f"fleetreport serve: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"fleetreport serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    configure_serve_logging(logging_choice)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGINT, _raise_interrupt)
    progress = StartupProgress(sys.stderr, total=STARTUP_STEPS + (len(SEEDERS) if seed else 0))
    # Handlers and Powertools print to stdout; locally that belongs on stderr, next to the logs.
    sys.stdout = sys.stderr
    try:
        try:
            stack.start(progress.advance)
        except CannotListen as exc:
            progress.finish()
            print(f"fleetreport serve: {exc} (--storage-host / STORAGE_HOST)", file=sys.stderr)
            return 1
        ctx = stack.seed_context(TENANT, progress.detail)
        lines = run_seeders(ctx, on_step=progress.advance) if seed else []
        progress.advance("delivering the table streams (aggregates, alerts)")
        stack.settle()
        progress.advance(f"listening on {stack.api}")
        stack.open()
        _announce(stack)
        progress.finish()
        print_banner(banner_out, stack, lines)
        _wait_for_a_signal()
    except KeyboardInterrupt:
        progress.finish()
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        faulthandler.dump_traceback_later(STOP_WATCHDOG_SECONDS, exit=True, file=2)  # stderr
        log.info("stopping")
        remove_stack_file(os.getpid())
        stack.stop()
        faulthandler.cancel_dump_traceback_later()
        sys.stdout = sys.__stdout__
    return 0


def _announce(stack: LocalStack) -> None:
    previous = read_stack_file()
    if previous and previous.get("pid") not in (None, os.getpid()):
        log.warning("replacing the stack.json of pid %s (another `fleetreport serve`?)", previous.get("pid"))
    write_stack_file(
        {
            "api": stack.api,
            "aws_endpoint": stack.aws_endpoint,
            "storage_hosts": stack.moto.hosts if stack.moto else ["127.0.0.1"],
            "tenant": TENANT,
            "pid": os.getpid(),
        }
    )


def print_banner(out: TextIO, stack: LocalStack, seed_lines: list[str]) -> None:
    """The one thing `fleetreport serve` prints on stdout: where things are, a token, what to try."""
    token = mint_token(
        role="admin", owner=TENANT, sub=BANNER_SUB, ttl=BANNER_TOKEN_TTL, secret=jwt_secret(os.environ)
    )
    api = stack.api
    demo = (
        ["Demo data (the story behind it: docs/demo.md):", *seed_lines]
        if seed_lines
        else ["No demo data (--no-seed): `fleetreport seed` loads it."]
    )
    lines = [
        f"fleetreport is running: tenant {TENANT!r}, storage in memory (moto at {stack.aws_endpoint})",
        "",
        f"  API        {api}",
        f"  Swagger    {api}/swagger",
        f"  Dashboard  {api}/   (sign in with the token)",
        "",
        f"  export TOKEN={token}",
        f'  curl -s -H "Authorization: Bearer $TOKEN" "{api}/reports/groups?app={DEMO_APPS[0]}&limit=3"',
        "",
        *demo,
        "",
        "TOKEN is an admin of 'demo' for 24 h; for team users, other tenants or role ingest:",
        "  .venv/bin/fleetreport token --help",
        "Ctrl-C stops the stack; its data lives in memory and goes with it.",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()
