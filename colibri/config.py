"""Settings from ``COLIBRI_*`` environment variables, validated once at start.

Every error names the variable that was wrong and what it should look like. Settings are built
by :func:`load_settings` when a command starts, never at import time.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from colibri.domain.invalid import Invalid
from colibri.domain.refs import parse_reference
from colibri.domain.tokens import check_secret
from colibri.errors import BadReference, ConfigError

if TYPE_CHECKING:  # the gate's types load only when a gate setting is given or asked for
    from colibri.domain.criteria import Level, OnFailure, UnknownAs

__all__ = ["ENV_PREFIX", "Settings", "load_settings"]

ENV_PREFIX = "COLIBRI_"

CommaList = Annotated[tuple[str, ...], NoDecode]


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "colibri"


def _default_docker_config() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


class Settings(BaseSettings):
    """Colibri's configuration. Each field is read from ``COLIBRI_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str = ""
    docker_host: str = Field(default_factory=lambda: os.environ.get("DOCKER_HOST", ""))
    docker_config: Path = Field(default_factory=_default_docker_config)
    certs_dir: Path = Path("/etc/docker/certs.d")
    insecure_registries: CommaList = ()
    #: the D-Bus bus of the systemd that runs podman units: SYSTEM, SESSION or an address
    systemd_bus: str = "SYSTEM"
    registry_concurrency: int = Field(4, ge=1, le=64)
    registry_timeout: float = Field(10.0, gt=0, le=300)
    rate_limit_wait: float = Field(10.0, ge=0, le=3600)
    rate_limit_reserve: int = Field(5, ge=0)
    engine_concurrency: int = Field(8, ge=1, le=64)
    engine_timeout: float = Field(60.0, gt=0, le=3600)
    log_level: str = "WARNING"
    environment: str = Field("local", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    health_timeout: float = Field(120.0, gt=0, le=3600)
    stability_window: float = Field(10.0, ge=0, le=3600)
    probe_timeout: float = Field(30.0, gt=0, le=3600)
    failpoint: str | None = None
    update_concurrency: int = Field(4, ge=1, le=64)
    """COLIBRI_UPDATE_CONCURRENCY: containers updated at once per environment (default 4;
    1 updates one after another). Containers that depend on one another stay in order."""

    # -- the update gate: vulnerability scan and signature (see colibri.domain.gate_policy) --
    scanner: str = "none"
    """COLIBRI_SCANNER: ``none``, ``trivy``, ``grype`` or ``both`` (default ``none``)."""
    trivy_path: str = "trivy"
    """COLIBRI_TRIVY_PATH: the ``trivy`` program (default: found on PATH)."""
    grype_path: str = "grype"
    """COLIBRI_GRYPE_PATH: the ``grype`` program (default: found on PATH)."""
    trivy_server: str | None = None
    """COLIBRI_TRIVY_SERVER: a ``trivy server`` URL; matching then uses the server's DB."""
    scan_timeout: float = Field(600.0, gt=0, le=86400)
    """COLIBRI_SCAN_TIMEOUT: seconds one scan may take before it is killed (default 600)."""
    scan_source: str = "docker"
    """COLIBRI_SCAN_SOURCE: ``docker`` (the image pulled into the daemon, default) or
    ``remote`` (straight from the registry)."""
    criteria: str = "never"
    """COLIBRI_CRITERIA: ``never`` (default: no scan), ``critical``, ``high``, ``medium``
    or ``low``: an update is blocked by any counted finding of that severity or worse.
    Per container: label ``colibri.criteria``."""
    criteria_only_fixable: bool = False
    """COLIBRI_CRITERIA_ONLY_FIXABLE: only findings with a fixed version count (default
    false). Per container: ``colibri.criteria.only-fixable``."""
    criteria_not_worse: bool = False
    """COLIBRI_CRITERIA_NOT_WORSE: allow an image no worse than the running one, severity by
    severity, on the same DB build (default false). Per container:
    ``colibri.criteria.not-worse``."""
    criteria_unknown_as: str = "critical"
    """COLIBRI_CRITERIA_UNKNOWN_AS: how an unrated finding counts: ``critical`` (default),
    ``high``, ``medium``, ``low`` or ``ignore``. Per container:
    ``colibri.criteria.unknown-as``."""
    scan_failure: str = "block"
    """COLIBRI_SCAN_FAILURE: ``block`` (default) or ``warn``: what a failed scan or a stale
    vulnerability DB does. Per container: ``colibri.scan-failure``."""
    scan_db_max_age: timedelta | None = timedelta(days=5)  # criteria.DEFAULT_MAX_DB_AGE
    """COLIBRI_SCAN_DB_MAX_AGE: the oldest vulnerability DB trusted, as ``5d``, ``120h`` or
    seconds; ``off`` trusts any age (default 5d)."""
    ignore_file: Path | None = None
    """COLIBRI_IGNORE_FILE: a JSON file of accepted vulnerabilities (id, reason, package,
    repository glob, expires); see colibri.domain.gate_policy."""
    require_signature: bool = False
    """COLIBRI_REQUIRE_SIGNATURE: update only to images signed by COLIBRI_COSIGN_KEY (default
    false). Per container: ``colibri.require-signature``."""
    cosign_key: Path | None = None
    """COLIBRI_COSIGN_KEY: a PEM file of trusted cosign public keys (ECDSA, RSA, Ed25519)."""
    signature_repository: str | None = None
    """COLIBRI_SIGNATURE_REPOSITORY: where ``.sig`` signatures are stored when not next to the
    image (cosign's COSIGN_REPOSITORY), e.g. ``registry.lan/signatures``."""

    # -- the operator's controls (see colibri.domain.controls) ---------------------------------
    window: str | None = None
    """COLIBRI_WINDOW: when updates may start, as ``Sat,Sun 02:00-05:00 Europe/Paris``
    (several joined with ``;``); default: any time. Per container: ``colibri.window``."""
    min_age: str | None = None
    """COLIBRI_MIN_AGE: how old a new image must be before it is installed, as ``3d``;
    default: no minimum. Per container: ``colibri.min-age``."""

    # -- colibri serve: the API, the admin token, the scheduler ---------------------------------
    api_host: str = Field("127.0.0.1", min_length=1, max_length=255)
    """COLIBRI_API_HOST: the address the API listens on (default 127.0.0.1: this machine
    only; ``0.0.0.0`` for every interface)."""
    api_port: int = Field(8080, ge=0, le=65535)
    """COLIBRI_API_PORT: the API's TCP port (default 8080; 0 picks a free one, printed)."""
    admin_token: str | None = None
    """COLIBRI_ADMIN_TOKEN: the secret of the admin token created on first start (at least 32
    printable characters); without it a random one is created and printed once."""
    scheduler_workers: int = Field(4, ge=1, le=64)
    """COLIBRI_SCHEDULER_WORKERS: updates run at once by the scheduler, and again by "run
    now" requests (default 4)."""
    scheduler_tick: float = Field(1.0, gt=0, le=60)
    """COLIBRI_SCHEDULER_TICK: seconds between two looks for due settings (default 1)."""
    shutdown_grace: float = Field(30.0, ge=0, le=3600)
    """COLIBRI_SHUTDOWN_GRACE: seconds SIGTERM lets running updates finish before they are
    left to recovery at the next start (default 30)."""
    check_interval: timedelta | None = timedelta(hours=6)
    """COLIBRI_CHECK_INTERVAL: how often ``colibri serve`` checks every container (fresh
    ``GET /api/containers``, "update available" notifications), as ``30m``, ``6h`` or
    seconds; ``off`` never (default 6h; the first check runs at start)."""
    session_lifetime: timedelta = timedelta(hours=12)
    """COLIBRI_SESSION_LIFETIME: how long a web UI sign-in lasts, as ``30m``, ``12h`` or
    seconds (default 12h; never longer than the token it was made with)."""

    notify_urls: CommaList = ()
    """COLIBRI_NOTIFY_URLS: Apprise URLs (separated by spaces or commas) told of every event by
    ``colibri check``, ``colibri update`` and ``colibri serve`` (besides the targets made in
    the API). Secrets: never logged nor echoed."""
    cleanup: bool = True
    """COLIBRI_CLEANUP: ``colibri serve`` removes the old image after a committed update when
    nothing else uses it (default true; label ``colibri.cleanup=false`` keeps it)."""
    schedule: str = "0 3 * * *"
    """COLIBRI_SCHEDULE: when ``colibri serve`` updates the opted-in containers that have no
    setting nor ``colibri.schedule`` label (a five-field cron, default ``0 3 * * *``)."""
    timezone: str = ""
    """COLIBRI_TIMEZONE: the IANA time zone the label-driven crons are read in (default: the
    host's)."""
    scope: str = Field("", max_length=64, pattern=r"^[A-Za-z0-9_.-]*$")
    """COLIBRI_SCOPE: ``colibri serve`` plans only the containers labelled ``colibri.scope``
    with this value (default: only those without the label)."""

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str) -> str:
        from colibri.domain.cron import check_cron

        try:
            return check_cron(value)
        except Invalid as exc:
            raise ValueError(exc.reason) from None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if not value.strip():
            return ""
        from colibri.domain.settings import check_timezone

        try:
            return check_timezone(value.strip())
        except Invalid as exc:
            raise ValueError(exc.reason) from None

    @property
    def effective_timezone(self) -> str:
        """``COLIBRI_TIMEZONE``, else the host's zone (``TZ``, else ``/etc/localtime``), else
        ``UTC``."""
        return self.timezone or _host_timezone()

    @field_validator("notify_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part for part in re.split(r"[\s,]+", value) if part)
        return value

    history_days: int = Field(365, ge=1, le=36_500)
    """COLIBRI_HISTORY_DAYS: finished update runs older than this many days are deleted by
    ``colibri serve``, except each container's newest COLIBRI_HISTORY_RUNS (default 365)."""
    history_runs: int = Field(50, ge=0, le=1_000_000)
    """COLIBRI_HISTORY_RUNS: the newest runs of each container kept whatever their age
    (default 50)."""
    notify_dedup_days: int = Field(365, ge=1, le=36_500)
    """COLIBRI_NOTIFY_DEDUP_DAYS: how long an announced event (an update available for one
    digest of one container) is remembered so it is not announced again (default 365)."""

    api_max_body: int = Field(262_144, ge=1024, le=67_108_864)
    """COLIBRI_API_MAX_BODY: the largest request body the API reads, in bytes (default
    262144, 256 KiB); a larger one is refused with 413 before anything reads it."""
    api_streams_per_token: int = Field(10, ge=1, le=10_000)
    """COLIBRI_API_STREAMS_PER_TOKEN: event streams one token may hold open at once
    (default 10); one more is refused with 429."""
    api_auth_failures: int = Field(10, ge=1, le=1_000_000)
    """COLIBRI_API_AUTH_FAILURES: refused tokens one client may present in a minute before
    it gets 429 (default 10)."""
    trusted_proxies: CommaList = ()
    """COLIBRI_TRUSTED_PROXIES: addresses or networks (``10.0.0.0/8``) of reverse proxies
    whose ``X-Forwarded-For`` is believed; from any other peer it is ignored (default: none)."""
    tls_cert: Path | None = None
    """COLIBRI_TLS_CERT: a PEM certificate (chain) to serve the API over HTTPS; with
    COLIBRI_TLS_KEY."""
    tls_key: Path | None = None
    """COLIBRI_TLS_KEY: the PEM private key of COLIBRI_TLS_CERT."""
    environment_files: Path | None = None
    """COLIBRI_ENVIRONMENT_FILES: the only directory environments' TLS files and Docker
    ``config.json`` credentials are read from (default: ``environments`` in the data
    directory)."""
    notify_allow_private: bool = False
    """COLIBRI_NOTIFY_ALLOW_PRIVATE: let notification targets be on loopback and private
    addresses (default false: only public ones; link-local and cloud metadata addresses are
    refused always)."""

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        import ipaddress

        items = tuple(item.strip() for item in value.split(",") if item.strip())
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return items

    @field_validator("tls_key")
    @classmethod
    def _tls_pair(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        if (value is None) != (info.data.get("tls_cert") is None):
            raise ValueError("COLIBRI_TLS_CERT and COLIBRI_TLS_KEY go together")
        return value

    @property
    def environment_files_dir(self) -> Path:
        """``COLIBRI_ENVIRONMENT_FILES``, else ``environments`` in the data directory."""
        return self.environment_files or self.data_dir / "environments"

    @field_validator("insecure_registries", mode="before")
    @classmethod
    def _split_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip().lower() for item in value.split(",") if item.strip())
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("scanner", mode="before")
    @classmethod
    def _known_scanner(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text not in {"none", "trivy", "grype", "both"}:
            raise ValueError("must be one of none, trivy, grype, both")
        return text

    @field_validator("scan_source", mode="before")
    @classmethod
    def _known_source(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text not in {"docker", "remote"}:
            raise ValueError("must be docker or remote")
        return text

    @field_validator("criteria", "criteria_unknown_as", "scan_failure")
    @classmethod
    def _gate_choice(cls, value: str, info: ValidationInfo) -> str:
        """Checked against the gate's own vocabulary (imported only when a value is given)."""
        from colibri.domain.criteria import Level, OnFailure, UnknownAs

        parse = {
            "criteria": Level.parse,
            "criteria_unknown_as": UnknownAs.parse,
            "scan_failure": OnFailure.parse,
        }[str(info.field_name)]
        return str(parse(value).value)

    @field_validator("scan_db_max_age", "check_interval", "session_lifetime", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        from colibri.domain.gate_policy import parse_duration

        return parse_duration(value)

    @property
    def criteria_level(self) -> Level:
        """``COLIBRI_CRITERIA`` as the gate's type."""
        from colibri.domain.criteria import Level

        return Level(self.criteria)

    @property
    def unknown_as(self) -> UnknownAs:
        """``COLIBRI_CRITERIA_UNKNOWN_AS`` as the gate's type."""
        from colibri.domain.criteria import UnknownAs

        return UnknownAs(self.criteria_unknown_as)

    @property
    def on_scan_failure(self) -> OnFailure:
        """``COLIBRI_SCAN_FAILURE`` as the gate's type."""
        from colibri.domain.criteria import OnFailure

        return OnFailure(self.scan_failure)

    @field_validator("window")
    @classmethod
    def _window(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        from colibri.domain.windows import parse_windows

        try:
            return str(parse_windows(value))
        except Invalid as exc:
            raise ValueError(exc.reason) from None

    @field_validator("min_age")
    @classmethod
    def _min_age(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        from colibri.domain.image_age import parse_min_age

        try:
            parse_min_age(value)
        except Invalid as exc:
            raise ValueError(exc.reason) from None
        return value.strip()

    @field_validator("signature_repository")
    @classmethod
    def _repository(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            ref = parse_reference(value.strip())
        except BadReference as exc:
            raise ValueError(str(exc)) from None
        if ref.tag is not None or ref.digest is not None:
            raise ValueError("must name a repository, without tag or digest")
        return ref.name

    @field_validator("admin_token")
    @classmethod
    def _admin_token(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return check_secret(value)
        except Invalid as exc:
            raise ValueError(exc.reason) from None

    @property
    def effective_database_url(self) -> str:
        """``COLIBRI_DATABASE_URL``, else a SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'colibri.db'}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment (plus explicit overrides, e.g. from CLI options).

    Raises ``ConfigError`` naming each offending variable.
    """
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
            shown = "" if _secret(name) else f" (got {error.get('input')!r})"
            problems.append(f"{name}: {error['msg']}{shown}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from exc


def _host_timezone() -> str:
    """The IANA name of this machine's time zone, ``UTC`` when it cannot be told."""
    from zoneinfo import ZoneInfo

    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        target = os.path.realpath("/etc/localtime")
        candidates.append(target.partition("/zoneinfo/")[2])
    except OSError:
        pass
    for name in candidates:
        if not name:
            continue
        try:
            ZoneInfo(name)
        except (ValueError, OSError, KeyError):
            continue
        return name
    return "UTC"


def _secret(name: str) -> bool:
    """Values of these variables are never echoed back in error messages."""
    secrets = ("TOKEN", "PASSWORD", "SECRET", "DATABASE_URL", "KEY", "NOTIFY_URLS")
    return any(word in name for word in secrets)
