"""Settings from ``COLIBRI_*`` environment variables, validated once at start.

Every error names the variable that was wrong and what it should look like. Settings are built
by :func:`load_settings` when a command starts, never at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from colibri.errors import ConfigError

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


def _secret(name: str) -> bool:
    """Values of these variables are never echoed back in error messages."""
    return any(word in name for word in ("TOKEN", "PASSWORD", "SECRET", "DATABASE_URL", "KEY"))
