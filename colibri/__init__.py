"""Colibri keeps running containers on their newest image, and never loses one."""

__all__ = ["__version__"]

__version__ = "0.1.0"
