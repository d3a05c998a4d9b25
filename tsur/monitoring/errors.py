"""What intake refuses: the source's configuration (`MappingError`, the administrator's to fix) or
one item (`ItemError`: a stable code, a Russian message and the path of the field at fault)."""

from __future__ import annotations


class MappingError(ValueError):
    """The source's mapping itself is wrong (the administrator's mistake, not the item's)."""


class ItemError(Exception):
    """One item refused: a stable code, a Russian message, the path of the field at fault."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.field = code, message, field
