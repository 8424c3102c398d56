"""Files the platform keeps on disk: written private (mode 600), removed when their time is up."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIRECTORY_MODE = 0o700


def private_directory(path: Path) -> Path:
    """``path`` as a directory only the platform's user may enter (created when missing)."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY_MODE)
    path.chmod(PRIVATE_DIRECTORY_MODE)
    return path


def private_file_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by the platform's user only, atomically (a reader never sees
    half a file): a private temporary file beside it, then a rename."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:  # mkstemp creates it with mode 600
            stream.write(data)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def files_older_than(directory: Path, *, cutoff: dt.datetime) -> list[Path]:
    """Regular files directly in ``directory`` last modified before ``cutoff``."""
    if not directory.is_dir():
        return []
    limit = cutoff.timestamp()
    return sorted(path for path in directory.iterdir() if path.is_file() and path.stat().st_mtime < limit)
