"""Revisions, one file each (``NNNN_slug.py``); Alembic skips this file."""
