"""``colibri serve``: the scheduler and the REST API, until SIGTERM or SIGINT.

Start: settings are checked, the store opened (and migrated), the ``local`` environment
made to exist, every interrupted update finished or undone (as ``colibri recover`` would);
then the API listens on ``COLIBRI_API_HOST:COLIBRI_API_PORT`` (127.0.0.1:8080 by default),
the first admin token is created when there is no token at all, the URL and that token are
printed (the token only this once), and the scheduler starts.

Stop (SIGTERM or SIGINT): the scheduler claims nothing more, the API stops answering (open
requests get a few seconds), and running updates get ``COLIBRI_SHUTDOWN_GRACE`` seconds to
finish. Updates still running then are left as they are, mid-transaction: the process exits
at once without touching them, and the next start finishes or undoes them from the journal.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from colibri.cli.common import ExitCode, configure_logging, fail_cleanly
from colibri.cli.options import HostOpt, LogOpt
from colibri.config import Settings, load_settings
from colibri.errors import ConfigError

if TYPE_CHECKING:
    from colibri.bootstrap.serve import Service
    from colibri.domain.tokens import IssuedToken

__all__ = ["serve"]

log = logging.getLogger(__name__)

_STARTUP_TIMEOUT = 30.0
_REQUEST_GRACE = 5  # seconds open requests (and event streams) get at shutdown


def serve(host: HostOpt = None, log_level: LogOpt = None) -> None:
    """Run the service: the scheduler and the REST API (OpenAPI pages at /docs).

    Prints the API's URL, and on first start the admin token (once: keep it). Stops on
    SIGTERM or SIGINT, letting running updates finish for COLIBRI_SHUTDOWN_GRACE seconds;
    the rest are finished or undone at the next start. Listens on 127.0.0.1:8080 unless
    COLIBRI_API_HOST / COLIBRI_API_PORT say otherwise.
    """
    with fail_cleanly():
        settings = load_settings(docker_host=host, log_level=log_level)
        configure_logging(settings.log_level)
        from colibri.bootstrap.serve import serve as assemble

        with assemble(settings) as service:
            _report_recovery(service)
            stop = _stop_on_signals()
            server = _ApiServer(service.app, settings)
            url = server.start()
            _warn_if_exposed(settings)
            issued = service.tokens.ensure_admin(settings.admin_token)
            typer.echo(f"Colibri is serving on {url} (API documentation: {url}/docs)")
            _show_token(issued, settings)
            service.scheduler.start()
            _wait(stop, server)
            _shut_down(service, server, settings)


def _warn_if_exposed(settings: Settings) -> None:
    """A warning when the API is reachable from other machines, more so without TLS."""
    if is_loopback(settings.api_host):
        return
    how = "over HTTPS" if settings.tls_cert else "over plain HTTP: tokens travel in clear text"
    message = (
        f"the API listens on {settings.api_host}, reachable from other machines, {how}; "
        "use COLIBRI_TLS_CERT/COLIBRI_TLS_KEY or a reverse proxy with TLS, "
        "or COLIBRI_API_HOST=127.0.0.1"
    )
    log.warning(message)
    typer.echo(f"Warning: {message}", err=True)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) is this machine only."""
    import ipaddress

    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve anywhere


def _readable(path: Path | None, variable: str) -> str | None:
    """``path`` as uvicorn takes it, once it is known to be a readable file."""
    if path is None:
        return None
    try:
        with path.open("rb"):
            pass
    except OSError as exc:
        raise ConfigError(f"{variable}={path}: cannot be read ({exc.strerror})") from None
    return str(path)


def _report_recovery(service: Service) -> None:
    for outcome in service.recovered:
        status = outcome.status.value if outcome.status else "unresolved"
        typer.echo(
            f"recovered {outcome.container} (run {outcome.run_id}): {status}, {outcome.reason}"
        )


def _show_token(issued: IssuedToken | None, settings: Settings) -> None:
    if issued is None:
        typer.echo(
            "Admin token: created on the first start and not shown again; "
            "`colibri token create --name NAME --permission admin` makes another."
        )
        return
    if settings.admin_token:  # not even its start: the operator chose it, and knows it
        typer.echo("Admin token created from COLIBRI_ADMIN_TOKEN.")
        return
    typer.echo(f"Admin token (shown only this once, keep it): {issued.secret}")


def _stop_on_signals() -> threading.Event:
    """An event set by the first SIGTERM or SIGINT (a second SIGINT exits at once)."""
    stop = threading.Event()

    def handle(signum: int, _frame: Any) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            os._exit(ExitCode.FAILURE)
        log.warning("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def _wait(stop: threading.Event, server: _ApiServer) -> None:
    while not stop.wait(1.0):
        if not server.alive:
            log.error("the API server stopped on its own: stopping")
            return


def _shut_down(service: Service, server: _ApiServer, settings: Settings) -> None:
    service.scheduler.request_stop()
    server.stop()
    if service.stop(settings.shutdown_grace):
        typer.echo("Colibri stopped.")
        return
    typer.echo(
        "Colibri stopped; updates still running were left to recovery at the next start.",
        err=True,
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(ExitCode.OK)  # not waiting for them, nor closing what they use


class _ApiServer:
    """uvicorn in a thread of its own; the main thread keeps the signals."""

    def __init__(self, app: Any, settings: Settings) -> None:
        import uvicorn

        verbose = settings.log_level in {"DEBUG", "INFO"}
        proxies = list(settings.trusted_proxies)
        config = uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_config=None,  # our logging, as configured
            access_log=verbose,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=_REQUEST_GRACE,
            proxy_headers=bool(proxies),  # X-Forwarded-For only from configured proxies
            forwarded_allow_ips=proxies or "",
            ssl_certfile=_readable(settings.tls_cert, "COLIBRI_TLS_CERT"),
            ssl_keyfile=_readable(settings.tls_key, "COLIBRI_TLS_KEY"),
        )
        self.scheme = "https" if settings.tls_cert else "http"
        self.host = settings.api_host
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="colibri-api", daemon=True)

    @property
    def alive(self) -> bool:
        return self.thread.is_alive()

    def start(self) -> str:
        """Listen; the URL it listens on. ``ConfigError`` when it cannot (address in use)."""
        self.thread.start()
        self.thread.join(0.05)
        waited = 0.05
        while not self.server.started and self.thread.is_alive() and waited < _STARTUP_TIMEOUT:
            self.thread.join(0.05)
            waited += 0.05
        if not self.server.started:
            self.stop()
            raise ConfigError(
                f"the API cannot listen on {self.host} (COLIBRI_API_HOST/COLIBRI_API_PORT); "
                "see the message above"
            )
        port = self.server.servers[0].sockets[0].getsockname()[1]
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{shown}:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(_REQUEST_GRACE + 5)
