"""Paths and loaders for the scanner report fixtures in ``tests/data/scan``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "scan"
FIXTURE_DIGEST = "sha256:e4f1c8b2a7d35c9f0b6e2a1d4c7f8e9b0a3d6c5f2e1b4a7d8c9e0f1a2b3c4d5e"


def raw(name: str) -> bytes:
    """A fixture's bytes, exactly as a scanner would print them."""
    return (DATA / name).read_bytes()


def document(name: str) -> Any:
    """A fixture parsed, for tests that damage one field and re-serialise it."""
    return json.loads(raw(name))


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
