"""`.env.example` documents every setting: each TSUR_* name that settings.py (with tsur/envvars.py),
scripts/production or deploy/gunicorn.conf.py reads has an entry, and no entry names a setting nothing reads."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
READERS = ("tsur/settings.py", "tsur/envvars.py", "scripts/production", "deploy/gunicorn.conf.py")
NAME = re.compile(r"\bTSUR_[A-Z0-9_]+\b")
# Names that are not settings: settings.py's own module constants spelled like them.
NOT_SETTINGS = frozenset({"TSUR_NODE_MODULES", "TSUR_VENDOR_FILES"})


def _read_names() -> set[str]:
    names: set[str] = set()
    for rel in READERS:
        text = (REPO / rel).read_text(encoding="utf-8")
        if rel.endswith(".py"):
            # Read from the environment: the helpers' and os.environ's first argument.
            names |= set(re.findall(r"""(?:env_\w+|environ\.get|environ\[|getenv)\(?\s*["'](TSUR_[A-Z0-9_]+)["']""", text))
        else:
            names |= set(re.findall(r"\$\{?(TSUR_[A-Z0-9_]+)", text))
    return names - NOT_SETTINGS


def _documented() -> set[str]:
    names = set()
    for line in (REPO / ".env.example").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^#?\s?(TSUR_[A-Z0-9_]+)=", line)
        if m:
            names.add(m.group(1))
    return names


def test_it_documents_every_setting_that_is_read():
    missing = sorted(_read_names() - _documented())
    assert not missing, f"settings read but not in .env.example: {missing}"


def test_it_documents_nothing_that_is_not_read():
    stale = sorted(_documented() - _read_names())
    assert not stale, f".env.example lists settings nothing reads: {stale}"


def test_it_reads_the_names_it_should():
    """The scan itself works: known settings of each reader are found."""
    names = _read_names()
    assert {"TSUR_SECRET_KEY", "TSUR_DATABASE_URL", "TSUR_METRICS_TOKEN", "TSUR_WEB_SERVER", "TSUR_WEB_TIMEOUT"} <= names
