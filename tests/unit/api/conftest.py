"""The API on in-memory fakes of its services, with an admin token."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI

from colibri.api import create_app
from colibri.config import Settings
from colibri.domain.tokens import Permission
from tests.support.api import ApiClient
from tests.unit.api.fakes import Fakes

ADMIN = "colibri_admin-secret-for-the-unit-tests"


@pytest.fixture
def fakes() -> Fakes:
    made = Fakes()
    made.tokens.add(ADMIN, Permission.ADMIN)
    return made


@pytest.fixture
def app(fakes: Fakes, api_settings: Settings) -> FastAPI:
    return create_app(fakes.services(), api_settings)


@pytest.fixture
def client(app: FastAPI, make_api_client: Callable[..., ApiClient]) -> ApiClient:
    """A client sending the admin token."""
    return make_api_client(app, ADMIN)
