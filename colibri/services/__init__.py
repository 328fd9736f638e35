"""Use cases over ports only: check, update, history, settings."""

from colibri.services.check import CheckReport, CheckRequest, CheckService

__all__ = ["CheckReport", "CheckRequest", "CheckService"]
