"""Errors st_ad raises. Every message names the file, line and source text of the offending code."""

from __future__ import annotations

import linecache
import sys
from pathlib import Path

import numba
import numpy

_PACKAGE = str(Path(__file__).resolve().parent)


class StAdError(Exception):
    """Base class of every error st_ad raises on bad input."""

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        lineno: int | None = None,
        source_line: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.source_line = source_line
        self.hint = hint
        super().__init__(self._format())

    def _format(self) -> str:
        parts = [f"st_ad: {self.message}"]
        if self.filename is not None and self.lineno is not None:
            parts.append(f'  File "{self.filename}", line {self.lineno}')
        if self.source_line:
            parts.append(f"    {self.source_line.strip()}")
        if self.hint:
            parts.append(f"  What to do: {self.hint}")
        return "\n".join(parts)

    def located(self, filename: str, lineno: int, source_line: str | None = None) -> StAdError:
        """This error, placed at ``filename:lineno`` if it names no place yet."""
        if self.filename is None or self.lineno is None:
            self.filename, self.lineno = filename, lineno
            self.source_line = source_line or linecache.getline(filename, lineno).strip()
            self.args = (self._format(),)
        return self


class UnsupportedError(StAdError):
    """The function uses a construct outside the subset st_ad differentiates."""


class StAdWarning(UserWarning):
    """A warning from st_ad (e.g. a check it had to skip)."""


def caller_location() -> dict:
    """``filename``, ``lineno`` and ``source_line`` of the innermost frame outside st_ad: the
    user's line that called into st_ad (for an error about an object passed to it)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return {}
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    return dict(
        filename=filename,
        lineno=lineno,
        source_line=linecache.getline(filename, lineno).strip() or None,
    )


_LIBRARIES = tuple(Path(m.__file__).resolve().parent for m in (numba, numpy)) + (
    Path(__file__).resolve().parent,
)


def library_source(path: Path) -> bool:
    """A file of numba, numpy or st_ad itself (the generated modules are not in st_ad)."""
    return any(path.is_relative_to(root) for root in _LIBRARIES)
