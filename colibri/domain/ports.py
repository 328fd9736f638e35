"""The seams between use cases and the outside world, as ``typing.Protocol`` classes.

Use cases (``colibri.services``, ``colibri.update``, ``colibri.scheduler``) see adapters only
through these protocols; ``colibri.bootstrap`` plugs in the concrete ones, tests plug in fakes.
Every method raises a subclass of ``colibri.errors.ColibriError`` on failure, never a library
exception.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # annotations only: importing a port costs nothing at run time
    from colibri.domain.container_status import ContainerStatus
    from colibri.domain.environments import Environment, NewEnvironment
    from colibri.domain.gate import GateRequest, GateVerdict
    from colibri.domain.health import Probe
    from colibri.domain.hooks import HookResult
    from colibri.domain.image_age import SeenImage
    from colibri.domain.journal import LockOwner, NewRun, RunRecord, RunStatus, Step
    from colibri.domain.messages import Message
    from colibri.domain.model import Container, Descriptor, LocalImage, RemoteManifest
    from colibri.domain.notifications import NewNotificationTarget, NotificationTarget
    from colibri.domain.refs import ImageRef
    from colibri.domain.scanning import ScanFailure, ScannerInfo, ScanReport
    from colibri.domain.sessions import IssuedSession
    from colibri.domain.settings import AutoUpdateConfig, AutoUpdateSetting, NewAutoUpdate
    from colibri.domain.signatures import SignatureResult
    from colibri.domain.skips import NewSkip, Skip
    from colibri.domain.tokens import ApiToken, IssuedToken, NewApiToken

__all__ = [
    "ApiTokens",
    "AutoUpdates",
    "Clock",
    "ContainerExec",
    "ContainerStatuses",
    "Engine",
    "Environments",
    "Gate",
    "Journal",
    "NotificationLog",
    "NotificationTargetStore",
    "NotificationTargets",
    "Notifier",
    "Prober",
    "Registry",
    "ScanStore",
    "Scanner",
    "SeenImages",
    "SignatureVerifier",
    "Skips",
    "StoredScan",
    "Units",
    "WebSessions",
]


class Engine(Protocol):
    """One Docker daemon, or podman's Docker-compatible service."""

    #: ``docker`` or ``podman``: which rules apply (units, pods).
    kind: str

    def list_containers(self, *, include_stopped: bool = False) -> list[Container]:
        """Every container (running ones only unless ``include_stopped``), with the reference
        each was created with (``Config.Image``) even when its tag has since moved."""
        ...

    def get_container(self, name_or_id: str) -> Container:
        """One container by name or ID. Raises ``EngineNotFound``."""
        ...

    def inspect_container(self, name_or_id: str) -> Mapping[str, Any]:
        """The raw ``docker inspect`` document. Raises ``EngineNotFound``."""
        ...

    def inspect_image(self, name_or_id: str) -> LocalImage | None:
        """The image by ID or reference, or ``None`` when the daemon has no such image."""
        ...

    def inspect_image_raw(self, name_or_id: str) -> Mapping[str, Any] | None:
        """The raw ``docker image inspect`` document, or ``None``."""
        ...

    def pull(
        self,
        repository: str,
        digest: str,
        *,
        platform: str | None = None,
        auth: Mapping[str, str] | None = None,
    ) -> None:
        """Pull ``repository@digest``, reading the whole stream. Raises ``PullFailed``."""
        ...

    def tag_image(self, image_id: str, repository: str, tag: str) -> None:
        """Point ``repository:tag`` at ``image_id``."""
        ...

    def create_container(self, body: Mapping[str, Any], name: str) -> str:
        """Create a container from a raw create body; return its ID."""
        ...

    def connect_network(self, network: str, container_id: str, endpoint: Mapping[str, Any]) -> None:
        """Connect a created container to one more network with its endpoint settings."""
        ...

    def rename_container(self, container_id: str, name: str) -> None: ...

    def stop_container(self, container_id: str, timeout: int | None = None) -> None:
        """Stop with the container's stop signal, waiting ``timeout`` seconds before SIGKILL."""
        ...

    def start_container(self, container_id: str) -> None: ...

    def restart_container(self, container_id: str, timeout: int | None = None) -> None: ...

    def remove_container(self, container_id: str, *, force: bool = False) -> None:
        """Remove a container, keeping its volumes."""
        ...

    def remove_image(self, image_id: str) -> None: ...

    def containers_using_image(self, image_id: str) -> list[str]:
        """IDs of the containers (any state) created from ``image_id``."""
        ...


class Units(Protocol):
    """systemd's unit manager (its D-Bus API), for containers their units run."""

    def restart(self, unit: str) -> str:
        """Restart ``unit`` (job mode ``replace``), wait for the job to end and return its
        result (``done`` on success). Raises ``UnitError``."""
        ...

    def active_state(self, unit: str) -> str:
        """The unit's ``ActiveState``. Raises ``UnitError``."""
        ...


class Registry(Protocol):
    """The OCI distribution API of every registry, behind one client.

    Implementations authenticate, retry, rate-limit and cache on their own; callers only see
    answers or ``RegistryError`` subclasses (``RegistryUnavailable`` ones, ``RateLimited``
    included, are transient: report ``deferred``), or ``CredentialError`` when configured
    credentials cannot be read (``transient`` when a helper timed out). Safe to call from
    several threads.
    """

    def head(self, ref: ImageRef) -> RemoteManifest:
        """What ``ref``'s tag (or digest) points at: digest and media type.

        Uses HEAD, and GET only when the registry sends no digest header (then ``body`` and
        ``children`` are filled in). At most one request per reference per instance lifetime
        for tags answered within the same check run (callers create one client per run or
        call :meth:`forget_tags` between runs); concurrent callers share one request. A
        ``name:tag@digest`` reference is looked up by its tag. Raises ``ManifestUnknown``
        (confirmed 404), ``UnsupportedManifest`` (schema1), ``DigestMismatch``,
        ``RegistryAuthError``, ``RateLimited``, ``RegistryUnavailable``,
        ``RegistryProtocolError``."""
        ...

    def fetch(self, ref: ImageRef) -> RemoteManifest:
        """GET the manifest ``ref`` names, verify its digest, parse an index's children.

        By digest when ``ref`` has one (the body must hash to it), else by tag (the body must
        match the digest header; a tag already resolved by :meth:`head` is fetched by the
        digest ``head`` saw). Manifests fetched by digest are cached for the instance's
        lifetime. Malformed manifests raise ``RegistryProtocolError`` naming the field."""
        ...

    def forget_tags(self) -> None:
        """Drop what was learnt about tags (digests stay cached: they never change)."""
        ...

    def list_tags(self, ref: ImageRef, *, page_size: int | None = None) -> list[str]:
        """Every tag of ``ref``'s repository in server order, all pages followed.

        Pages follow ``Link: <url>; rel="next"`` (relative URLs resolved, used verbatim);
        only without Link and with exactly ``page_size`` tags returned does it continue with
        ``last=``. Stops on a repeated URL or a page cap. A missing repository raises
        ``ManifestUnknown``. Callers sort and filter: server order is not trusted."""
        ...

    def get_blob(self, ref: ImageRef, digest: str, max_bytes: int) -> bytes:
        """The blob ``digest`` of ``ref``'s repository (an image config, say), verified
        against its digest. Larger than ``max_bytes`` raises ``RegistryProtocolError``; a
        missing blob ``ManifestUnknown``."""
        ...

    def referrers(
        self, ref: ImageRef, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor] | None:
        """The manifests whose ``subject`` is ``digest`` (OCI referrers API), all pages,
        filtered by ``artifact_type`` when given (by the client if the registry did not
        apply the filter). ``None`` when the registry has no referrers API (404): then look
        for the ``<alg>-<hex>`` referrers tag instead. Entries may carry an
        ``artifact_type`` attribute (``colibri.registry.Referrer``)."""
        ...


class Scanner(Protocol):
    """A vulnerability scanner (Trivy, Grype, or both combined) run on one image digest.

    Failures (scanner missing, crash, timeout, unparsable output, the report naming another
    digest) raise ``ScanError``; the caller turns that into a ``ScanFailure`` for the gate,
    which fails closed. The scanner's own pass/fail exit code is never the verdict: the gate in
    ``colibri.domain.criteria`` decides from the findings.
    """

    @property
    def name(self) -> str:
        """``trivy``, ``grype`` or ``trivy+grype``."""
        ...

    def describe(self) -> tuple[ScannerInfo, ...]:
        """Version and vulnerability-DB build of each scanner behind this one, asked now.

        Cheap (no scan): lets a caller refuse a stale DB before scanning, or tell whether a
        stored report is still current."""
        ...

    def scan(self, image: str, digest: str) -> ScanReport:
        """Scan exactly ``<repository of image>@<digest>`` and report every finding.

        ``image`` is any reference to the repository (``nginx``, ``nginx:1.25``,
        ``localhost:5000/app``); only its repository is used, ``digest`` is what is scanned.
        The report keeps every severity and fix state and records the scanners' versions and DB
        builds as they were for this scan."""
        ...


class Clock(Protocol):
    """Time, injectable so schedules and backoffs are testable."""

    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait."""
        ...


class Journal(Protocol):
    """Durable record of update runs, and the per-container update locks.

    Every method commits before it returns: a step row must be on disk before the step's
    effect happens. Times are timezone-aware UTC.
    """

    def start_run(self, run: NewRun) -> RunRecord:
        """Create a run in status ``running`` and return it (with its new ``id``)."""
        ...

    def record_step(self, run_id: str, step: Step, data: Mapping[str, Any] | None = None) -> None:
        """Append a step row (written before the step's effect)."""
        ...

    def update_run(self, run_id: str, **fields: Any) -> None:
        """Set columns of a running run (``new_image_id``, ``new_digest``, ``reason``...)."""
        ...

    def finish_run(
        self,
        run_id: str,
        status: RunStatus,
        *,
        reason: str = "",
        downtime_ms: int | None = None,
        new_image_id: str | None = None,
    ) -> None:
        """Set the outcome and ``finished_at``."""
        ...

    def log(self, run_id: str, level: str, message: str) -> None:
        """Append a log line to the run (shown by ``history`` and the API)."""
        ...

    def get_run(self, run_id: str) -> RunRecord:
        """One run with its steps and logs. Raises ``StoreError`` if unknown."""
        ...

    def list_runs(
        self,
        *,
        container_name: str | None = None,
        environment: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RunRecord]:
        """Runs, newest first, without steps and logs."""
        ...

    def unfinished_runs(self, environment: str | None = None) -> list[RunRecord]:
        """Runs still ``running``, oldest first, with their steps."""
        ...

    def acquire_lock(self, key: str, owner: LockOwner, ttl_seconds: float) -> None:
        """Take ``key``'s lock, or raise ``LockHeld`` naming the holder. An expired lock, or
        one whose owner is this same (hostname, pid), may be taken over."""
        ...

    def refresh_lock(self, key: str, owner: LockOwner, ttl_seconds: float) -> None:
        """Extend a lock we hold; raise ``LockHeld`` if it was taken over."""
        ...

    def release_lock(self, key: str, owner: LockOwner) -> None:
        """Release ``key`` if ``owner`` holds it (no error otherwise)."""
        ...

    def lock_holder(self, key: str) -> LockOwner | None:
        """The current holder of a live lock, if any."""
        ...


class Gate(Protocol):
    """Decides whether a pulled candidate image may replace the running one."""

    def evaluate(self, request: GateRequest) -> GateVerdict:
        """Never raises for a scanner or signature failure: that is a verdict (fail closed
        unless configured otherwise)."""
        ...


class Prober(Protocol):
    """Checks a started container from outside (``colibri.probe`` label)."""

    def probe(self, address: str, probe: Probe, timeout: float) -> str | None:
        """Try ``probe`` against ``address`` (the container's IP); ``None`` on success, else
        what went wrong."""
        ...


class Notifier(Protocol):
    """Delivers rendered messages to notification targets (Apprise URLs)."""

    def send(self, target_url: str, message: Message) -> None:
        """Deliver ``message`` to the one target ``target_url`` names.

        The URL holds credentials: implementations never log it or put it in an error except
        in redacted form. Raises ``NotifyError``, ``permanent`` when another attempt cannot
        help (an invalid URL), otherwise transient."""
        ...


class NotificationTargets(Protocol):
    """Where notifications go."""

    def list_targets(self) -> Sequence[NotificationTarget]:
        """Every configured target, enabled or not (``NotificationTarget.wants`` tells which
        to use). Raises ``StoreError``."""
        ...


class NotificationLog(Protocol):
    """What was already announced, for events that must not repeat."""

    def first_time(self, key: str) -> bool:
        """Record ``key``; ``True`` only for the first caller ever to record it (atomic across
        processes sharing the store). Raises ``StoreError``."""
        ...


class SignatureVerifier(Protocol):
    """Checks an image digest's signatures against the configured trust (cosign keys)."""

    def verify(self, ref: ImageRef, digest: str) -> SignatureResult:
        """Look up and verify the signatures of ``<ref's repository>@<digest>``.

        Never raises for a missing, invalid or unreachable signature: the result's status says
        ``unsigned``, ``invalid`` or ``error`` (lookup failed) with the detail. Safe to call
        from several threads."""
        ...


class StoredScan(Protocol):
    """A saved scan record, as far as the gate cares: its id, for the decision's details."""

    @property
    def id(self) -> int | None: ...


class ScanStore(Protocol):
    """Scan reports per image digest, keyed by the scanners' versions and DB builds.

    ``colibri.store.ScanReports`` implements it. Methods raise ``StoreError``."""

    def save_report(self, report: ScanReport, *, at: datetime) -> StoredScan:
        """Store a good report (``at`` when it has no ``scanned_at``)."""
        ...

    def save_failure(
        self, failure: ScanFailure, scanners: Sequence[ScannerInfo], *, at: datetime
    ) -> StoredScan:
        """Store a failed scan; it never hides a good report of the same digest."""
        ...

    def reusable_report(self, digest: str, scanners: Sequence[ScannerInfo]) -> ScanReport | None:
        """The newest good report of ``digest`` made by exactly ``scanners`` (same versions,
        same DB builds), or ``None`` when the image must be scanned."""
        ...


class Environments(Protocol):
    """The Docker hosts Colibri manages (``colibri.store.SqlEnvironments``).

    Unknown ids are not errors: ``get``/``find``/``update`` return ``None``, ``delete``
    ``False``. A duplicate name, or deleting an environment that settings still use, raises a
    ``StoreError`` with ``kind == "conflict"`` and a ``field`` attribute naming the field."""

    def create(self, new: NewEnvironment) -> Environment:
        """Add an environment."""
        ...

    def ensure(self, new: NewEnvironment) -> Environment:
        """The environment named ``new.name``, created as ``new`` when missing (atomic)."""
        ...

    def get(self, environment_id: int) -> Environment | None: ...

    def find(self, name: str) -> Environment | None: ...

    def list_environments(self) -> list[Environment]:
        """Every environment, by name."""
        ...

    def update(self, environment_id: int, new: NewEnvironment) -> Environment | None:
        """Replace name, endpoint and labels."""
        ...

    def delete(self, environment_id: int) -> bool:
        """Delete an environment (and its container statuses)."""
        ...


class AutoUpdates(Protocol):
    """Per-container auto-update settings and the scheduler's claims on them
    (``colibri.store.SqlAutoUpdates``).

    Unknown ids give ``None``/``False``. A second setting for one container, or an unknown
    environment, raises a ``StoreError`` with ``kind == "conflict"`` and a ``field``. Run times
    are computed by the caller (croniter); a disabled setting is stored without one."""

    def create(self, new: NewAutoUpdate) -> AutoUpdateSetting: ...

    def get(self, setting_id: int) -> AutoUpdateSetting | None: ...

    def find(self, environment_id: int, container_name: str) -> AutoUpdateSetting | None: ...

    def list_settings(
        self, *, environment_id: int | None = None, limit: int = 100, offset: int = 0
    ) -> list[AutoUpdateSetting]:
        """Settings by environment and container name."""
        ...

    def update(
        self, setting_id: int, config: AutoUpdateConfig, *, next_run_at: datetime | None
    ) -> AutoUpdateSetting | None:
        """Replace what the user chose and the next run time; history is kept."""
        ...

    def delete(self, setting_id: int) -> bool: ...

    def due(self, now: datetime, limit: int) -> list[AutoUpdateSetting]:
        """Enabled settings whose ``next_run_at`` is at or before ``now``, oldest first; cheap
        however many settings exist."""
        ...

    def claim(
        self, setting_id: int, expected_next_run_at: datetime, new_next_run_at: datetime | None
    ) -> bool:
        """Move the next run from ``expected_next_run_at`` (as read from ``due``) to
        ``new_next_run_at``; ``True`` for exactly one caller per slot, across processes. Run
        the setting only then."""
        ...

    def record_result(
        self,
        setting_id: int,
        status: RunStatus,
        *,
        run_id: str | None = None,
        finished_at: datetime | None = None,
        next_run_at: datetime | None = None,
    ) -> AutoUpdateSetting | None:
        """Store a run's outcome and count consecutive failures; ``next_run_at`` can push the
        next run later (a backoff), never earlier."""
        ...


class ApiTokens(Protocol):
    """API tokens, stored as hashes (``colibri.store.SqlApiTokens``). A duplicate name raises
    a ``StoreError`` with ``kind == "conflict"``; unknown ids give ``None``."""

    def create(self, new: NewApiToken, *, secret: str | None = None) -> IssuedToken:
        """Add a token; the returned ``IssuedToken`` is the only place its secret appears."""
        ...

    def create_first(self, new: NewApiToken, *, secret: str | None = None) -> IssuedToken | None:
        """Create ``new`` only when no token exists at all (atomic across processes)."""
        ...

    def get(self, token_id: int) -> ApiToken | None: ...

    def find_active(self, presented: str) -> ApiToken | None:
        """The token whose secret is ``presented``, unless unknown, revoked or expired."""
        ...

    def list_tokens(self) -> list[ApiToken]: ...

    def revoke(self, token_id: int) -> ApiToken | None: ...

    def touch(self, token_id: int) -> None:
        """Record a use now (cheap: writes at most once a minute per token)."""
        ...


class WebSessions(Protocol):
    """Browser sessions, stored as hashes of their secrets (``colibri.store.SqlWebSessions``).

    A session is only as good as its token: ``find_active`` gives ``None`` once the token is
    revoked or expired, as once the session itself has expired."""

    def create(self, token_id: int, expires_at: datetime) -> IssuedSession:
        """A new session for the token; the only place its secret appears."""
        ...

    def find_active(self, presented: str) -> tuple[IssuedSession, ApiToken] | None:
        """The session whose secret is ``presented`` and its token, while both are active."""
        ...

    def delete(self, presented: str) -> bool:
        """End the session whose secret is ``presented``; ``False`` if there is none."""
        ...

    def purge_expired(self) -> int:
        """Delete the sessions past their expiry; how many."""
        ...


class NotificationTargetStore(NotificationTargets, Protocol):
    """Notification targets as the API manages them (``colibri.store.SqlNotificationTargets``).
    A duplicate name raises a ``StoreError`` with ``kind == "conflict"``; unknown ids give
    ``None``/``False``."""

    def create(self, new: NewNotificationTarget) -> NotificationTarget: ...

    def get(self, target_id: int) -> NotificationTarget | None: ...

    def update(self, target_id: int, new: NewNotificationTarget) -> NotificationTarget | None: ...

    def delete(self, target_id: int) -> bool: ...


class ContainerStatuses(Protocol):
    """The last check of each container (``colibri.store.SqlContainerStatuses``)."""

    def record(self, statuses: Iterable[ContainerStatus]) -> int:
        """Insert or replace each container's status in one transaction; how many."""
        ...

    def get(self, environment_id: int, container_name: str) -> ContainerStatus | None: ...

    def list_statuses(self, environment_id: int | None = None) -> list[ContainerStatus]:
        """Every status (of one environment when given), in one query."""
        ...

    def forget_unchecked(self, environment_id: int, before: datetime) -> int:
        """Drop the environment's statuses last checked before ``before``; how many."""
        ...


class Skips(Protocol):
    """Skipped versions and snoozes, per container (:mod:`colibri.domain.skips`)."""

    def add(self, new: NewSkip) -> Skip:
        """Record a skip (the older skips of the container stay)."""
        ...

    def list_skips(
        self, environment: str | None = None, container_name: str | None = None
    ) -> list[Skip]:
        """Skips, ended ones included, oldest first (of one environment/container if given)."""
        ...

    def clear(self, environment: str, container_name: str) -> int:
        """Remove every skip of the container; how many there were."""
        ...

    def delete(self, skip_id: int) -> bool:
        """Remove one skip; ``False`` when there is none with that id."""
        ...


class SeenImages(Protocol):
    """Candidate digests as first seen (:class:`colibri.domain.image_age.SeenImage`)."""

    def get(self, digest: str) -> SeenImage | None: ...

    def remember(self, image: SeenImage) -> SeenImage:
        """Record ``image`` unless its digest is known; the stored one (the first) either way."""
        ...


@runtime_checkable
class ContainerExec(Protocol):
    """Runs a command inside a running container (the engine's exec)."""

    def exec_in(self, container_id: str, argv: Sequence[str], timeout: float) -> HookResult:
        """Run ``argv``; its exit code and combined output, ``timed_out`` when it did not end
        within ``timeout`` seconds. Raises ``EngineError`` when it cannot be started."""
        ...
