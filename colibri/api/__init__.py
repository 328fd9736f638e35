"""The REST API (FastAPI): :func:`create_app` builds it on the services it is given.

One router per resource in :mod:`colibri.api.routes`, request and response bodies in
:mod:`colibri.api.schemas`, authentication and permissions in :mod:`colibri.api.deps`, the
translation of failures into answers in :mod:`colibri.api.errors`.
"""

from colibri.api.app import create_app
from colibri.api.deps import ApiServices

__all__ = ["ApiServices", "create_app"]
