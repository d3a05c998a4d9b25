"""One pymorphy3 analyser per process (loading the dictionaries takes ~0.2 s and ~15 MB), shared
by place extraction and personal-data masking. Pure Python, no Django."""

from __future__ import annotations

import threading

_ANALYZER = None
_LOCK = threading.Lock()


def analyzer():
    """The process-wide `pymorphy3.MorphAnalyzer`, created on first use."""
    global _ANALYZER
    if _ANALYZER is None:
        with _LOCK:
            if _ANALYZER is None:
                import pymorphy3

                _ANALYZER = pymorphy3.MorphAnalyzer()
    return _ANALYZER
