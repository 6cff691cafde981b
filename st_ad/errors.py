"""Errors st_ad raises. Every message names the file, line and source text of the offending code."""

from __future__ import annotations


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


class UnsupportedError(StAdError):
    """The function uses a construct outside the subset st_ad differentiates."""
