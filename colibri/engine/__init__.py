"""Docker Engine adapter."""

from colibri.engine.client import DockerEngine, connect

__all__ = ["DockerEngine", "connect"]
