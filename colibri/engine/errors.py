"""Translation of Docker SDK and transport exceptions into ``colibri.errors``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import docker.errors
import requests

from colibri.errors import EngineConflict, EngineError, EngineNotFound, EngineUnavailable

__all__ = ["translate"]


@contextmanager
def translate(action: str) -> Iterator[None]:
    """Run a daemon call; re-raise its failure as an ``EngineError`` naming ``action``."""
    try:
        yield
    except docker.errors.NotFound as exc:
        raise EngineNotFound(f"{action}: {_explanation(exc)}") from exc
    except docker.errors.APIError as exc:
        raise _from_api_error(action, exc) from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout) as exc:
        raise EngineUnavailable(f"{action}: the Docker daemon did not answer ({exc})") from exc
    except docker.errors.DockerException as exc:
        raise EngineUnavailable(f"{action}: {exc}") from exc
    except requests.exceptions.RequestException as exc:
        raise EngineError(f"{action}: {exc}") from exc


def _from_api_error(action: str, exc: docker.errors.APIError) -> EngineError:
    message = f"{action}: {_explanation(exc)}"
    if exc.status_code == 409:
        return EngineConflict(message)
    if exc.status_code is not None and exc.status_code >= 500 and _daemon_gone(exc):
        return EngineUnavailable(message)
    return EngineError(message)


def _explanation(exc: docker.errors.APIError) -> str:
    explanation: object = exc.explanation
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    return str(explanation or exc).strip()


def _daemon_gone(exc: docker.errors.APIError) -> bool:
    text = _explanation(exc).lower()
    return "connection refused" in text or "daemon is not running" in text
