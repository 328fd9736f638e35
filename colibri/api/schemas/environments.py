"""Environments (Docker hosts) as the API shows and takes them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import Field

from colibri.api.schemas.common import EnvironmentName, Path, RequestModel, ResponseModel, Text
from colibri.domain.environments import Endpoint, Environment, NewEnvironment, TlsFiles

__all__ = [
    "EndpointModel",
    "EnvironmentBase",
    "EnvironmentCreate",
    "EnvironmentPublic",
    "EnvironmentUpdate",
    "TlsModel",
]

Labels = Annotated[dict[Text, Path], Field(max_length=100, description="Free labels for people.")]


class TlsModel(RequestModel):
    """TLS material for a ``tcp://`` endpoint: absolute paths on the machine running Colibri."""

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

    def to_domain(self) -> Endpoint:
        """The domain's value; ``Invalid`` naming the field it refuses."""
        return Endpoint(self.url, None if self.tls is None else self.tls.to_domain())

    @classmethod
    def from_domain(cls, endpoint: Endpoint) -> EndpointModel:
        """The API's form of the domain's value."""
        tls = endpoint.tls
        return cls(
            url=endpoint.url,
            tls=None
            if tls is None
            else TlsModel(ca=tls.ca, cert=tls.cert, key=tls.key, verify=tls.verify),
        )


class EnvironmentBase(RequestModel):
    """An environment: its unique name, endpoint and labels."""

    name: EnvironmentName
    endpoint: EndpointModel
    labels: Labels = Field(default_factory=dict)

    def to_domain(self) -> NewEnvironment:
        """The domain's value; ``Invalid`` naming the field it refuses."""
        return NewEnvironment(self.name, self.endpoint.to_domain(), dict(self.labels))


class EnvironmentCreate(EnvironmentBase):
    """A new environment."""


class EnvironmentUpdate(RequestModel):
    """Fields to change; those left out (or ``null``) keep their value."""

    name: EnvironmentName | None = None
    endpoint: EndpointModel | None = None
    labels: Labels | None = None

    def applied_to(self, current: Environment) -> NewEnvironment:
        """``current`` with these changes; ``Invalid`` naming the field the domain refuses."""
        endpoint = current.endpoint if self.endpoint is None else self.endpoint.to_domain()
        labels = current.labels if self.labels is None else self.labels
        return NewEnvironment(self.name or current.name, endpoint, dict(labels))


class EnvironmentPublic(ResponseModel):
    """A stored environment."""

    id: int
    name: str
    endpoint: EndpointModel
    labels: Mapping[str, str]
    created_at: datetime

    @classmethod
    def from_domain(cls, environment: Environment) -> EnvironmentPublic:
        """The API's form of the domain's value."""
        return cls(
            id=environment.id,
            name=environment.name,
            endpoint=EndpointModel.from_domain(environment.endpoint),
            labels=dict(environment.labels),
            created_at=environment.created_at,
        )
