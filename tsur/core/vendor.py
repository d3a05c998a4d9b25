"""Front-end libraries from the npm registry, served locally under /static/vendor/.

Only the files listed in TSUR_VENDOR_FILES (glob patterns relative to node_modules) are found: the
rest of node_modules (package manifests, sources, test files of every dependency) is never served.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Warning as CheckWarning
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor/"


def _allowed(relative: str) -> bool:
    return any(fnmatch.fnmatchcase(relative, pattern) for pattern in settings.TSUR_VENDOR_FILES)


class VendorFinder(BaseFinder):
    """A staticfiles finder for the listed files of node_modules, under the "vendor/" prefix."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.root = Path(settings.TSUR_NODE_MODULES)
        self.storage = FileSystemStorage(location=str(self.root))
        self.storage.prefix = PREFIX.rstrip("/")

    def check(self, **kwargs) -> list:
        if not self.root.is_dir():
            return [CheckWarning(f"{self.root} is missing: run scripts/setup (npm ci) for the maps and HTMX.", id="tsur.W001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs) -> str | list[str]:
        # Not found is [] in both modes, as Django's own finders answer.
        if not path.startswith(PREFIX):
            return []
        relative = path[len(PREFIX) :]
        candidate = self.root / relative
        # Resolved inside node_modules and listed: "vendor/../settings.py" and unlisted files are not found.
        if ".." in Path(relative).parts or not _allowed(relative) or not candidate.is_file():
            return []
        return [str(candidate)] if find_all else str(candidate)

    def list(self, ignore_patterns) -> Iterator[tuple[str, FileSystemStorage]]:
        if not self.root.is_dir():
            return
        for pattern in settings.TSUR_VENDOR_FILES:
            for path in sorted(self.root.glob(pattern)):
                if path.is_file():
                    yield path.relative_to(self.root).as_posix(), self.storage
