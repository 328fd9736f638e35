"""The data directory and the SQLite database: private to the user Colibri runs as.

The database holds notification URLs with their passwords, containers' environments and
token hashes. A data directory Colibri creates is made ``0700`` and a database file it
creates ``0600`` (whatever the umask says); ones that exist are left as the operator made
them, but a warning at start says when others can read them (group or other bits set).
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["prepare_data_dir", "sqlite_path", "warn_if_readable"]

log = logging.getLogger(__name__)

_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def prepare_data_dir(directory: Path, database: Path | None) -> None:
    """Create ``directory`` (``0700``) and the ``database`` file (``0600``) when missing,
    then warn about what others may read."""
    if not directory.exists():
        directory.mkdir(parents=True, mode=0o700)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask
    if database is not None and not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(database, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
        database.chmod(0o600)
    warn_if_readable(directory, "the data directory")
    if database is not None:
        warn_if_readable(database, "the database")


def warn_if_readable(path: Path, what: str) -> bool:
    """Warn (and say ``True``) when ``path`` is open to its group or to others."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    if not mode & _OTHERS:
        return False
    log.warning(
        "%s %s is readable by others (mode %o): it holds secrets; chmod %s %s",
        what,
        path,
        stat.S_IMODE(mode),
        "700" if path.is_dir() else "600",
        path,
    )
    return True


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (``None`` for another database or in memory)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url in (prefix, prefix + ":memory:"):
        return None
    return Path(url.removeprefix(prefix).partition("?")[0])
