"""``RegistryClient``: the OCI distribution client behind ``colibri.domain.ports.Registry``.

One instance serves one check run (or is cleared with :meth:`RegistryClient.forget_tags`):

* each (registry, repository, tag) costs at most one request per instance, even when many
  threads ask at the same moment (single-flight); definitive errors are remembered too,
  transient ones are not;
* manifests and HEAD answers by digest are cached for the instance's lifetime (bounded LRU):
  they are content-addressed and never change;
* ``fetch`` of a tag already resolved by ``head`` fetches the digest ``head`` saw, so what was
  checked is what is parsed.

Every method raises only ``colibri.errors`` classes; the ``registry`` attribute of a
``RegistryError`` names the registry it came from.

Decisions worth knowing:

* The first request to a registry host is ``GET /v2/`` (as Docker does): its challenge lets
  every later request be authorised up front, so a reference costs exactly one HEAD.
* The quota reserve (``RetryPolicy.rate_limit_reserve``) refuses manifest GETs only: on Docker
  Hub those are what count as pulls; HEADs, tag lists, referrers and blobs go on.
* A failed TLS verification or handshake is a plain, non-transient ``RegistryError`` (a
  trust problem does not fix itself by waiting); network failures and 5xx are transient.
* Credential-helper failures surface as ``CredentialError`` (transient when it timed out).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from urllib.parse import quote

import httpx

from colibri import __version__
from colibri.domain.model import MANIFEST_ACCEPT, Descriptor, RemoteManifest
from colibri.domain.ports import Clock
from colibri.domain.refs import ImageRef
from colibri.errors import (
    DigestMismatch,
    ManifestUnknown,
    RegistryAuthError,
    RegistryError,
    RegistryProtocolError,
    RegistryUnavailable,
)
from colibri.registry.auth import Authenticator
from colibri.registry.cache import LRUCache, SingleFlight, fresh_copy
from colibri.registry.clock import SystemClock
from colibri.registry.credentials import CredentialSource, NoCredentials
from colibri.registry.exchange import Exchange, Outgoing, Reply
from colibri.registry.links import next_link
from colibri.registry.manifests import (
    OCI_INDEX,
    accepted_header_type,
    compute_digest,
    parse_manifest,
    parse_referrers,
    parse_tags,
    validate_digest,
    verify_digest,
)
from colibri.registry.ratelimits import RetryPolicy
from colibri.registry.session import Session
from colibri.registry.state import RegistryState, RegistryStats
from colibri.registry.tls import TLSPolicy

__all__ = ["RegistryClient"]

logger = logging.getLogger(__name__)

MANIFEST_MAX_BYTES = 4 * 1024 * 1024
LIST_PAGE_MAX_BYTES = 4 * 1024 * 1024
MAX_PAGES = 200
_BLOB_CACHE_MAX = 1024 * 1024
_MANIFEST_HEADERS = {"Accept": ", ".join(MANIFEST_ACCEPT)}

TagKey = tuple[str, str, str]
DigestKey = tuple[str, str, str]


class RegistryClient:
    """Talks to every registry; thread-safe (share one instance per check run).

    Keyword arguments: ``credentials`` (a ``CredentialSource``; anonymous by default), ``tls``
    (a ``TLSPolicy``: certs.d directory, insecure hosts), ``concurrency`` (simultaneous
    requests per registry), ``timeout``/``connect_timeout`` in seconds, ``retry`` (a
    ``RetryPolicy``), ``clock`` (every wait goes through it), ``transport`` (an
    ``httpx.BaseTransport`` replacing the network, for tests), ``user_agent``, ``trust_env``
    (honour ``HTTP(S)_PROXY``/``NO_PROXY``), and the manifest cache bounds.
    """

    def __init__(
        self,
        *,
        credentials: CredentialSource | None = None,
        tls: TLSPolicy | None = None,
        concurrency: int = 4,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        user_agent: str = f"colibri/{__version__}",
        trust_env: bool = True,
        manifest_cache_entries: int = 1024,
        manifest_cache_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._clock = clock or SystemClock()
        self._retry = retry or RetryPolicy()
        self._concurrency = concurrency
        self._exchange = Exchange(
            tls=tls or TLSPolicy(),
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            user_agent=user_agent,
            retry=self._retry,
            clock=self._clock,
            trust_env=trust_env,
        )
        authenticator = Authenticator(
            exchange=self._exchange, credentials=credentials or NoCredentials(), clock=self._clock
        )
        self._session = Session(self._exchange, authenticator)
        self._states: dict[str, RegistryState] = {}
        self._tags: dict[TagKey, RemoteManifest | RegistryError] = {}
        self._lock = threading.Lock()
        self._manifests, self._digest_heads, self._blobs = _caches(
            manifest_cache_entries, manifest_cache_bytes
        )
        self._flight: SingleFlight[Hashable, RemoteManifest] = SingleFlight()

    # -- the Registry port -------------------------------------------------------------------

    def head(self, ref: ImageRef) -> RemoteManifest:
        """What ``ref``'s tag (its digest when pinned) points at; see ``ports.Registry``."""
        registry = self._state(ref)
        with _errors_of(registry):
            tag = ref.tracked_tag
            if tag is None:
                assert ref.digest is not None
                return self._digest_answer(ref, ref.digest, registry, body=False)
            return self._tag_answer(ref, tag, registry, lambda: self._head(ref, tag, registry))

    def fetch(self, ref: ImageRef) -> RemoteManifest:
        """GET and verify the manifest ``ref`` names (its digest when it has one)."""
        registry = self._state(ref)
        with _errors_of(registry):
            if ref.digest is not None:
                return self._digest_answer(ref, ref.digest, registry, body=True)
            tag = ref.tracked_tag or "latest"
            answer = self._tag_answer(ref, tag, registry, lambda: self._get(ref, tag, registry))
            if answer.body is None:  # ``head`` resolved the tag: fetch exactly that digest
                answer = self._digest_answer(ref, answer.digest, registry, body=True)
            return answer

    def forget_tags(self) -> None:
        """Drop tag answers (digest answers stay: they never change)."""
        with self._lock:
            self._tags.clear()

    def list_tags(self, ref: ImageRef, *, page_size: int | None = None) -> list[str]:
        """Every tag of ``ref``'s repository, following ``Link`` pages (T1), server order."""
        registry = self._state(ref)
        with _errors_of(registry):
            first = f"{self._repository_url(ref)}/tags/list"
            if page_size:
                first += f"?n={page_size}"
            tags: dict[str, None] = {}
            for page, reply in self._pages(first, {"Accept": "application/json"}, registry):
                if reply.status == 404 and page == 0:
                    raise ManifestUnknown(f"repository {ref.name} not found ({reply.describe()})")
                _expect_ok(reply, f"tags of {ref.name}", registry)
                tags.update(dict.fromkeys(parse_tags(reply.body)))
            return list(tags)

    def get_blob(self, ref: ImageRef, digest: str, max_bytes: int) -> bytes:
        """The blob ``digest`` of ``ref``'s repository, at most ``max_bytes``, verified."""
        registry = self._state(ref)
        with _errors_of(registry):
            validate_digest(digest)
            key = (registry.key, ref.path, digest)
            cached = self._blobs.get(key)
            if cached is not None:
                return cached
            url = f"{self._repository_url(ref)}/blobs/{digest}"
            reply = self._session.request(Outgoing("GET", url, max_bytes=max_bytes), registry)
            if reply.status == 404:
                raise ManifestUnknown(f"blob {digest} not found in {ref.name}")
            _expect_ok(reply, f"blob {digest} of {ref.name}", registry)
            verify_digest(reply.body, digest, what=f"blob {digest} of {ref.name}")
            if len(reply.body) <= _BLOB_CACHE_MAX:
                self._blobs.put(key, reply.body)
            return reply.body

    def referrers(
        self, ref: ImageRef, digest: str, artifact_type: str | None = None
    ) -> list[Descriptor] | None:
        """Manifests that refer to ``digest`` (OCI referrers API), ``None`` without the API."""
        registry = self._state(ref)
        with _errors_of(registry):
            validate_digest(digest)
            url = f"{self._repository_url(ref)}/referrers/{digest}"
            if artifact_type:
                url += f"?artifactType={quote(artifact_type, safe='')}"
            found: list[Descriptor] = []
            for page, reply in self._pages(url, {"Accept": OCI_INDEX}, registry):
                if reply.status == 404 and page == 0:
                    return None
                _expect_ok(reply, f"referrers of {digest}", registry)
                entries = parse_referrers(reply.body)
                filtered = "artifacttype" in reply.headers.get("oci-filters-applied", "").lower()
                if artifact_type and not filtered:
                    entries = [e for e in entries if e.artifact_type == artifact_type]
                found.extend(entries)
            return found

    def stats(self) -> Mapping[str, RegistryStats]:
        """Counters per registry seen so far (requests by method, 429s, retries, quota)."""
        now = self._clock.monotonic()
        with self._lock:
            states = list(self._states.values())
        return {state.key: state.snapshot(now) for state in states}

    def close(self) -> None:
        self._exchange.close()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- manifests ---------------------------------------------------------------------------

    def _head(self, ref: ImageRef, reference: str, registry: RegistryState) -> RemoteManifest:
        url = f"{self._repository_url(ref)}/manifests/{reference}"
        reply = self._session.request(Outgoing("HEAD", url, _MANIFEST_HEADERS), registry)
        if reply.status == 200:
            digest = reply.headers.get("docker-content-digest")
            media_type = accepted_header_type(reply.headers.get("content-type"))
            if digest and media_type:
                return self._head_answer(ref, reference, digest, media_type)
            logger.debug("HEAD %s lacks digest or media type: GET instead", url)
        elif reply.status == 404 and ref.is_hub:
            raise ManifestUnknown(f"{ref.name}:{reference} not found (HTTP 404)")
        elif reply.status not in (404, 405, 501):
            _expect_ok(reply, f"manifest {ref.name}:{reference}", registry)
        return self._get(ref, reference, registry)

    def _head_answer(
        self, ref: ImageRef, reference: str, digest: str, media_type: str
    ) -> RemoteManifest:
        validate_digest(digest, what="Docker-Content-Digest")
        if ":" in reference and digest != reference:
            raise DigestMismatch(f"HEAD {ref.name}@{reference} answered digest {digest}")
        return RemoteManifest(digest=digest, media_type=media_type)

    def _get(self, ref: ImageRef, reference: str, registry: RegistryState) -> RemoteManifest:
        registry.check_reserve(self._retry.rate_limit_reserve)
        url = f"{self._repository_url(ref)}/manifests/{reference}"
        headers = {**_MANIFEST_HEADERS, "Accept-Encoding": "identity"}
        out = Outgoing("GET", url, headers, max_bytes=MANIFEST_MAX_BYTES)
        reply = self._session.request(out, registry)
        if reply.status == 404:
            raise ManifestUnknown(f"{ref.name}:{reference} not found ({reply.describe()})")
        _expect_ok(reply, f"manifest {ref.name}:{reference}", registry)
        digest = _verified_digest(reply, reference, f"manifest {ref.name}:{reference}")
        manifest = parse_manifest(reply.body, reply.headers.get("content-type"), digest)
        self._manifests.put((registry.key, ref.path, digest), manifest)
        return manifest

    def _digest_answer(
        self, ref: ImageRef, digest: str, registry: RegistryState, *, body: bool
    ) -> RemoteManifest:
        """A manifest by digest: from the caches, else one HEAD (or GET when ``body``)."""
        key = (registry.key, ref.path, digest)

        def cached() -> RemoteManifest | None:
            return self._manifests.get(key) or (None if body else self._digest_heads.get(key))

        def leader() -> RemoteManifest:
            known = cached()
            if known is not None:
                return known
            if body:
                return self._get(ref, digest, registry)
            answer = self._head(ref, digest, registry)
            self._digest_heads.put(key, answer)
            return answer

        known = cached()
        return known if known is not None else self._flight.run((body, *key), leader)

    def _tag_answer(
        self,
        ref: ImageRef,
        tag: str,
        registry: RegistryState,
        compute: Callable[[], RemoteManifest],
    ) -> RemoteManifest:
        key = (registry.key, ref.path, tag)

        def leader() -> RemoteManifest:
            with self._lock:
                known = self._tags.get(key)
            if known is None:
                known = self._remembered(key, compute)
            if isinstance(known, RegistryError):
                raise fresh_copy(known)
            return known

        return self._flight.run(("tag", *key), leader)

    def _remembered(
        self, key: TagKey, compute: Callable[[], RemoteManifest]
    ) -> RemoteManifest | RegistryError:
        try:
            answer: RemoteManifest | RegistryError = compute()
        except RegistryError as exc:
            if exc.transient:
                raise
            answer = exc
        with self._lock:
            self._tags[key] = answer
        return answer

    # -- plumbing ----------------------------------------------------------------------------

    def _pages(
        self, first: str, headers: Mapping[str, str], registry: RegistryState
    ) -> Iterator[tuple[int, Reply]]:
        """Each page of a paginated list; stops on a repeated URL or after ``MAX_PAGES``."""
        url: str | None = first
        seen: set[str] = set()
        page = 0
        while url is not None:
            if url in seen or page >= MAX_PAGES:
                logger.warning("stopping pagination at %s (repeated URL or page cap)", url)
                return
            seen.add(url)
            out = Outgoing("GET", url, headers, max_bytes=LIST_PAGE_MAX_BYTES)
            reply = self._session.request(out, registry)
            yield page, reply
            page += 1
            url = next_link(reply.header_list("link"), reply.url) or _last_page_url(first, reply)

    def _repository_url(self, ref: ImageRef) -> str:
        return f"{self._exchange.base_url(ref.registry_host.lower())}/v2/{ref.path}"

    def _state(self, ref: ImageRef) -> RegistryState:
        key = ref.registry_key
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = RegistryState(key, self._concurrency)
            return state


def _caches(
    entries: int, max_bytes: int
) -> tuple[
    LRUCache[DigestKey, RemoteManifest],
    LRUCache[DigestKey, RemoteManifest],
    LRUCache[DigestKey, bytes],
]:
    """Manifests fetched by digest, HEAD answers by digest, and small blobs (configs)."""
    manifests: LRUCache[DigestKey, RemoteManifest] = LRUCache(
        max_entries=entries, max_bytes=max_bytes, size=lambda manifest: len(manifest.body or b"")
    )
    heads: LRUCache[DigestKey, RemoteManifest] = LRUCache(max_entries=entries, max_bytes=max_bytes)
    blobs: LRUCache[DigestKey, bytes] = LRUCache(
        max_entries=256, max_bytes=16 * 1024 * 1024, size=len
    )
    return manifests, heads, blobs


@contextmanager
def _errors_of(registry: RegistryState) -> Iterator[None]:
    """Name the registry in every ``RegistryError`` leaving a public method."""
    try:
        yield
    except RegistryError as exc:
        if not exc.registry:
            exc.registry = registry.key
        raise


def _last_page_url(first: str, reply: Reply) -> str | None:
    """The ``last=`` continuation, only when no Link came and exactly ``n`` tags did."""
    if "?n=" not in first or reply.status != 200:
        return None
    size = int(first.rsplit("?n=", 1)[1])
    try:
        tags = parse_tags(reply.body)
    except RegistryProtocolError:
        return None
    if len(tags) != size or not tags:
        return None
    return f"{first}&last={quote(tags[-1], safe='')}"


def _verified_digest(reply: Reply, reference: str, what: str) -> str:
    """The digest of a GET body: checked against the digest asked for and the header (H3)."""
    header = reply.headers.get("docker-content-digest")
    if header:
        validate_digest(header, what="Docker-Content-Digest")
        verify_digest(reply.body, header, what=what)
    if ":" in reference:
        verify_digest(reply.body, reference, what=what)
        return reference
    return header or compute_digest(reply.body)


def _expect_ok(reply: Reply, what: str, registry: RegistryState) -> None:
    """Raise the error an unexpected status means (401 was handled by the session)."""
    if 200 <= reply.status < 300:
        return
    if reply.status == 403:
        raise RegistryAuthError(
            f"{registry.key} denied access to {what} ({reply.describe()})", registry=registry.key
        )
    if reply.status >= 500:
        raise RegistryUnavailable(f"{what}: {reply.describe()}", registry=registry.key)
    raise RegistryProtocolError(f"unexpected {reply.describe()} for {what}", registry=registry.key)
