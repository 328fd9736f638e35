"""Environments (Docker hosts) as the API shows and takes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import Field

from colibri.api.schemas.common import EnvironmentName, Path, RequestModel, ResponseModel, Text
from colibri.domain.environments import (
    NO_CREDENTIALS,
    Endpoint,
    Environment,
    NewEnvironment,
    TlsFiles,
)

__all__ = [
    "EndpointModel",
    "EnvironmentBase",
    "EnvironmentCreate",
    "EnvironmentPublic",
    "EnvironmentUpdate",
    "TlsModel",
]

Labels = Annotated[dict[Text, Path], Field(max_length=100, description="Free labels for people.")]
Credentials = Annotated[
    Path,
    Field(
        description="Registry credentials the daemon is given with a pull: `none`, `host` "
        "(this host's Docker config.json) or the name of a Docker config.json in the "
        "environment files directory. Anything but `none` needs an admin token."
    ),
]


class TlsModel(RequestModel):
    """TLS material for a ``tcp://`` endpoint: files in the environment files directory of
    the machine running Colibri (``COLIBRI_ENVIRONMENT_FILES``), by name or absolute path."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    verify: bool = Field(True, description="Check the daemon's certificate.")

    def to_domain(self) -> TlsFiles:
        """The domain's value; ``Invalid`` naming the field it refuses."""
        return TlsFiles(ca=self.ca, cert=self.cert, key=self.key, verify=self.verify)


class EndpointModel(RequestModel):
    """How to reach the daemon: ``unix:///var/run/docker.sock``, ``tcp://host:2376`` (with
    ``tls``) or ``ssh://user@host``."""

    url: Path
    tls: TlsModel | None = None
    insecure: bool = Field(
        False,
        description="Allow `tcp://` without TLS to another machine (the network between is "
        "trusted): whoever is on the path can then run anything on that host.",
    )

    def to_domain(self) -> Endpoint:
        """The domain's value; ``Invalid`` naming the field it refuses."""
        tls = None if self.tls is None else self.tls.to_domain()
        return Endpoint(self.url, tls, insecure=self.insecure)

    @classmethod
    def from_domain(cls, endpoint: Endpoint) -> EndpointModel:
        """The API's form of the domain's value."""
        tls = endpoint.tls
        return cls(
            url=endpoint.url,
            tls=None
            if tls is None
            else TlsModel(ca=tls.ca, cert=tls.cert, key=tls.key, verify=tls.verify),
            insecure=endpoint.insecure,
        )


class EnvironmentBase(RequestModel):
    """An environment: its unique name, endpoint and labels."""

    name: EnvironmentName
    endpoint: EndpointModel
    labels: Labels = Field(default_factory=dict)
    registry_credentials: Credentials = NO_CREDENTIALS

    def to_domain(self) -> NewEnvironment:
        """The domain's value; ``Invalid`` naming the field it refuses."""
        return NewEnvironment(
            self.name,
            self.endpoint.to_domain(),
            dict(self.labels),
            registry_credentials=self.registry_credentials,
        )


class EnvironmentCreate(EnvironmentBase):
    """A new environment."""


class EnvironmentUpdate(RequestModel):
    """Fields to change; those left out (or ``null``) keep their value."""

    name: EnvironmentName | None = None
    endpoint: EndpointModel | None = None
    labels: Labels | None = None
    registry_credentials: Credentials | None = None

    def applied_to(self, current: Environment) -> NewEnvironment:
        """``current`` with these changes; ``Invalid`` naming the field the domain refuses."""
        endpoint = current.endpoint if self.endpoint is None else self.endpoint.to_domain()
        labels = current.labels if self.labels is None else self.labels
        return NewEnvironment(
            self.name or current.name,
            endpoint,
            dict(labels),
            registry_credentials=self.registry_credentials or current.registry_credentials,
        )


class EnvironmentPublic(ResponseModel):
    """A stored environment."""

    id: int
    name: str
    endpoint: EndpointModel
    labels: Mapping[str, str]
    registry_credentials: str
    created_at: datetime

    @classmethod
    def from_domain(cls, environment: Environment) -> EnvironmentPublic:
        """The API's form of the domain's value."""
        return cls(
            id=environment.id,
            name=environment.name,
            endpoint=EndpointModel.from_domain(environment.endpoint),
            labels=dict(environment.labels),
            registry_credentials=environment.registry_credentials,
            created_at=environment.created_at,
        )
