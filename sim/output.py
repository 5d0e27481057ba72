"""Writing results to disk: every file is written whole or not at all (through a temporary file in the same
folder, renamed over the target), and every failure of the file system (an output path that is a file, a
folder that cannot be written, a full disk) becomes an `OutputError` naming the path, which the command
line reports in one line with exit code 1."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


class OutputError(Exception):
    """An output that could not be written: `path` and why."""

    def __init__(self, path: Path | str, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"error: {path}: cannot write: {reason}")


def _reason(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__


def folder(path: Path | str) -> Path:
    """The output folder, made if missing; an OutputError if it is a file, lies under a file or cannot be made."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OutputError(out, "a file of that name exists (name a folder)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(out, _reason(exc)) from None
    return out


def _fsync_dir(where: Path) -> None:
    try:
        fd = os.open(where, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _umask() -> int:
    """The process's file mode mask (read by setting it, then setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write: Callable[[IO[Any]], object], mode: str = "w") -> None:
    """Write `path` through a temporary file in the same folder, flushed and synced, then renamed over it;
    on any failure the temporary file is removed and the old `path` (if any) stays as it was."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(path, _reason(exc)) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # as a plain open() would make it (mkstemp makes it private)
        with os.fdopen(fd, mode, encoding=None if "b" in mode else "utf-8") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(path, _reason(exc)) from None
        raise
    _fsync_dir(path.parent)


def write_text(path: Path, text: str) -> None:
    """A text file (UTF-8), written whole or not at all."""
    atomic_write(path, lambda fh: fh.write(text))
