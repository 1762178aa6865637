"""The row-by-row report of a bulk file import: one problem per (file, row, column), and the 422 that carries it.

Shared by every CSV import (stock: ``services.inventory.stock_import``; the network's nodes, SKUs,
carriers, rate cards, serviceability and channels: ``network_files`` / ``services.network.imports``),
so a person fixing a file reads the same report whatever the file was.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnialloc.domain.errors import FieldError, ValidationFailed

MAX_REPORTED = 1000


@dataclass
class RowError:
    row: int          # CSV line number (the header is line 1); 0 for the file as a whole
    column: str
    value: str
    message: str
    file: str = ""    # set when one import reads several files

    def as_dict(self) -> dict[str, str | int]:
        out: dict[str, str | int] = {"row": self.row, "column": self.column, "value": self.value, "message": self.message}
        if self.file:
            out["file"] = self.file
        return out

    def field_error(self) -> FieldError:
        """As a problem's field error: ``rows.<line>.<column>``, or ``<file>:<line>.<column>`` for a named file."""
        if self.file:
            where = f"{self.file}:{self.row}.{self.column}" if self.row else f"{self.file}.{self.column}"
            return FieldError(where, f"{self.file} line {self.row}: {self.message}" if self.row else
                              f"{self.file}: {self.message}")
        where = f"rows.{self.row}.{self.column}" if self.row else self.column
        return FieldError(where, f"{self.message} (got {self.value!r})" if self.value else self.message)


class ImportRejected(ValidationFailed):
    """422 with the row-by-row report; nothing was applied."""

    def __init__(self, errors: list[RowError], total: int | None = None, *, detail: str | None = None):
        total = len(errors) if total is None else total
        self.rows = errors[:MAX_REPORTED]
        self.total = total
        first = errors[0]
        where = f"line {first.row}" if first.row else "the file"
        if first.file:
            where = f"{first.file} {where}" if first.row else first.file
        super().__init__(
            detail or (f"nothing was imported: {total} problem(s), first at {where}: {first.message}"
                       + (f" (showing the first {MAX_REPORTED})" if total > MAX_REPORTED else "")),
            field_errors=[e.field_error() for e in self.rows])
