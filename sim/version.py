"""The package version, read once from the installed metadata (a source tree that is not installed says 0.1.0)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("belgium-rsom")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.1.0"
