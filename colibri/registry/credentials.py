"""Registry credentials: Docker's ``config.json`` and its helpers (docs/registry.md A10, A11).

Lookup for one registry, as Docker and containers/image do it:

1. ``credHelpers[<registry>]``: run ``docker-credential-<name> get``; not found -> anonymous;
2. ``credsStore``: run that helper; not found -> go on;
3. ``auths[<registry>]``: ``auth`` is base64 of ``user:password`` split at the first ``:``,
   ``identitytoken`` is a refresh token; an empty ``{}`` entry only says a helper holds the
   secret, so it means anonymous here.

Keys are normalised (scheme and path stripped, lowercased) and Docker Hub's names
(``https://index.docker.io/v1/``, ``docker.io``, ``index.docker.io``, ``registry-1.docker.io``)
are one registry. Secrets never appear in ``repr``, logs or exception messages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from colibri.errors import CredentialError

__all__ = [
    "HUB_SERVER_ADDRESS",
    "ChainedCredentials",
    "Credential",
    "CredentialSource",
    "DockerConfigCredentials",
    "NoCredentials",
    "StaticCredentials",
    "normalise_registry_key",
    "run_credential_helper",
]

logger = logging.getLogger(__name__)

HUB_SERVER_ADDRESS = "https://index.docker.io/v1/"
HUB_KEY = "docker.io"
_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
_REFRESH_MARKER = "<token>"
#: ACR hands out refresh tokens as the password of this user (docs/registry.md S6).
NULL_GUID_USER = "00000000-0000-0000-0000-000000000000"
_NOT_FOUND = "credentials not found"
_MESSAGE_MAX = 200


@dataclass(frozen=True, slots=True)
class Credential:
    """A username and password, or an identity (refresh) token. Secrets are kept out of repr."""

    username: str = ""
    password: str = field(default="", repr=False)
    identity_token: str = field(default="", repr=False)

    @property
    def identity(self) -> str:
        """A stable, non-secret key for caches: the username and a hash of the secrets."""
        material = f"{self.username}\0{self.password}\0{self.identity_token}".encode()
        return f"{self.username}#{hashlib.sha256(material).hexdigest()[:16]}"

    @property
    def refresh_token(self) -> str:
        """The OAuth2 refresh token: an identity token, or ACR's null-GUID user's password."""
        if self.identity_token:
            return self.identity_token
        return self.password if self.username == NULL_GUID_USER else ""

    @property
    def basic_pair(self) -> tuple[str, str] | None:
        """``(username, password)`` for HTTP Basic, when this credential has a password."""
        if self.username and self.password:
            return self.username, self.password
        return None


class CredentialSource(Protocol):
    """Where credentials for a registry come from."""

    def lookup(self, registry: str) -> Credential | None:
        """Credentials for ``registry`` (``host[:port]``, Hub as ``docker.io``), or ``None``.

        Raise ``CredentialError`` when the source exists but cannot be read."""
        ...


def normalise_registry_key(key: str) -> str:
    """``https://Index.Docker.io/v1/`` -> ``docker.io``; ``http://r:5000/x`` -> ``r:5000``."""
    text = key.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].lower()
    return HUB_KEY if text in _HUB_NAMES else text


def server_address(registry: str) -> str:
    """What Docker passes to a credential helper for ``registry``."""
    key = normalise_registry_key(registry)
    return HUB_SERVER_ADDRESS if key == HUB_KEY else key


class NoCredentials:
    """Anonymous everywhere."""

    def lookup(self, registry: str) -> Credential | None:
        return None


class StaticCredentials:
    """Credentials given by configuration, keyed by registry (keys are normalised)."""

    def __init__(self, entries: Mapping[str, Credential]) -> None:
        self._entries = {normalise_registry_key(key): value for key, value in entries.items()}

    def lookup(self, registry: str) -> Credential | None:
        return self._entries.get(normalise_registry_key(registry))


class ChainedCredentials:
    """The first source that knows the registry wins (tool config, then Docker's)."""

    def __init__(self, *sources: CredentialSource) -> None:
        self._sources = sources

    def lookup(self, registry: str) -> Credential | None:
        for source in self._sources:
            found = source.lookup(registry)
            if found is not None:
                return found
        return None


class DockerConfigCredentials:
    """Docker's ``config.json``, read on every lookup (callers cache per check run).

    ``path`` defaults to ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``;
    ``environ`` (default ``os.environ``) supplies ``DOCKER_CONFIG``, ``HOME`` and the ``PATH``
    on which ``docker-credential-<name>`` helpers are looked up.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        helper_timeout: float = 10.0,
    ) -> None:
        self._path = path
        self._environ = environ
        self._helper_timeout = helper_timeout

    @property
    def path(self) -> Path:
        if self._path is not None:
            return self._path
        environ = self._env()
        if environ.get("DOCKER_CONFIG"):
            return Path(environ["DOCKER_CONFIG"]) / "config.json"
        home = environ.get("HOME") or str(Path.home())
        return Path(home) / ".docker" / "config.json"

    def lookup(self, registry: str) -> Credential | None:
        key = normalise_registry_key(registry)
        config = self._read()
        helpers = _normalised(config.get("credHelpers"), "credHelpers", self.path)
        if key in helpers:
            return self._helper(str(helpers[key]), key)
        store = config.get("credsStore")
        if isinstance(store, str) and store:
            found = self._helper(store, key)
            if found is not None:
                return found
        auths = _normalised(config.get("auths"), "auths", self.path)
        entry = auths.get(key)
        return _decode_entry(entry, key, self.path) if entry is not None else None

    def _helper(self, name: str, key: str) -> Credential | None:
        return run_credential_helper(
            name, server_address(key), timeout=self._helper_timeout, environ=self._env()
        )

    def _env(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def _read(self) -> dict[str, Any]:
        path = self.path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise CredentialError(f"cannot read {path}: {exc.strerror}") from None
        try:
            config = json.loads(text)
        except ValueError as exc:
            raise CredentialError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(config, dict):
            raise CredentialError(f"{path} is not a JSON object")
        return config


def _normalised(section: object, name: str, path: Path) -> dict[str, Any]:
    """A config section keyed by normalised registry; the canonical spelling wins ties."""
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise CredentialError(f"{path}: '{name}' is not an object")
    result: dict[str, Any] = {}
    for raw_key, value in section.items():
        key = normalise_registry_key(str(raw_key))
        canonical = str(raw_key) in (HUB_SERVER_ADDRESS, key)
        if key not in result or canonical:
            result[key] = value
    return result


def _decode_entry(entry: object, key: str, path: Path) -> Credential | None:
    if not isinstance(entry, dict):
        raise CredentialError(f"{path}: auths entry for {key} is not an object")
    username, password = "", ""
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        username, password = _decode_auth(encoded, key, path)
    elif isinstance(entry.get("username"), str):
        username, password = entry["username"], str(entry.get("password") or "")
    token = entry.get("identitytoken")
    token = token if isinstance(token, str) else ""
    if not (username or password or token):
        return None  # ``{}``: a helper holds the secret, and none answered
    return Credential(username=username, password=password, identity_token=token)


def _decode_auth(encoded: str, key: str, path: Path) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(encoded.strip(), validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise CredentialError(f"{path}: 'auth' for {key} is not base64 text") from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise CredentialError(f"{path}: 'auth' for {key} is not user:password")
    return username, password.strip("\x00")


def run_credential_helper(
    name: str, address: str, *, timeout: float, environ: Mapping[str, str]
) -> Credential | None:
    """``docker-credential-<name> get`` with ``address`` on stdin; ``None`` when not found.

    Username ``<token>`` means the secret is an identity token (used in the OAuth2 refresh
    flow, never as a password).
    """
    program = f"docker-credential-{name}"
    executable = shutil.which(program, path=environ.get("PATH"))
    if executable is None:
        raise CredentialError(f"credential helper {program} is not on PATH")
    completed = _run(executable, program, address, timeout, environ)
    if completed.returncode != 0:
        output = (completed.stdout + completed.stderr).decode("utf-8", "replace")
        if _NOT_FOUND in output.lower():
            return None
        raise CredentialError(
            f"{program} get failed for {address} (exit {completed.returncode}): "
            f"{_first_line(output)}"
        )
    return _parse_helper_output(completed.stdout, program, address)


def _run(
    executable: str, program: str, address: str, timeout: float, environ: Mapping[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """Run the helper in its own session (no TTY to prompt on); kill its group on timeout."""
    logger.debug("asking %s for %s", program, address)
    try:
        process = subprocess.Popen(
            [executable, "get"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(environ),
            start_new_session=True,
        )
    except OSError as exc:
        raise CredentialError(f"cannot run {program}: {exc.strerror}") from None
    try:
        stdout, stderr = process.communicate(address.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        error = CredentialError(f"{program} get timed out after {timeout:g} s for {address}")
        error.transient = True
        raise error from None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except OSError:
        process.kill()
    try:
        process.communicate(timeout=2)
    except subprocess.TimeoutExpired:  # a grandchild left its group and holds the pipes
        logger.warning("credential helper %s left processes behind", process.args)


def _parse_helper_output(stdout: bytes, program: str, address: str) -> Credential | None:
    try:
        answer = json.loads(stdout)
    except ValueError:
        raise CredentialError(f"{program} printed no valid JSON for {address}") from None
    if not isinstance(answer, dict):
        raise CredentialError(f"{program} printed no JSON object for {address}")
    username = answer.get("Username")
    secret = answer.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str):
        raise CredentialError(f"{program} answer for {address} lacks Username or Secret")
    if not secret:
        return None
    if username == _REFRESH_MARKER:
        return Credential(identity_token=secret)
    return Credential(username=username, password=secret)


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "no output"
    return "".join(char if char.isprintable() else "?" for char in line)[:_MESSAGE_MAX]
