"""Free text that can be stored and published safely. Pure Python, no Django.

Two kinds of characters break things downstream:
- lone UTF-16 surrogates (U+D800–U+DFFF, e.g. a JSON "\\ud800" without its pair): no UTF-8 encoding
  exists, so the database driver fails on them. They are refused: the sender has a broken text.
- control characters (other than tab and line breaks), which are invisible and make an XML feed
  malformed for every reader. They are removed: a resident pasting from a document did nothing wrong.
"""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")
_NUL = "\x00"
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What XML 1.0 cannot carry at all (its Char production), for output of text stored before.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

BROKEN_TEXT = "Текст содержит недопустимые символы (повреждённая кодировка): проверьте его и отправьте ещё раз."


class BrokenText(ValueError):
    """The text cannot be stored: it carries a lone surrogate or a NUL character."""

    def __init__(self) -> None:
        super().__init__(BROKEN_TEXT)


def is_broken(value: str) -> bool:
    """The text cannot be stored: a lone surrogate or a NUL."""
    return bool(_SURROGATE.search(value)) or _NUL in value


def clean_text(value: str) -> str:
    """`value` without control characters; BrokenText if it cannot be stored at all."""
    if is_broken(value):
        raise BrokenText()
    return _CONTROL.sub("", value)


def xml_safe(value: str) -> str:
    """`value` with every character XML 1.0 forbids removed."""
    return _NOT_XML.sub("", value)
