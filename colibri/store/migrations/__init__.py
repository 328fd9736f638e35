"""Alembic migrations of the store (see README); loaded by Alembic, not imported."""
