"""Write requirements.lock / requirements-dev.lock from the current .venv (after `pip install -r
requirements-dev.in`): runtime = what requirements.in pulls in (its dependency closure, read from
the installed distributions' metadata), dev = all."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from pip._vendor.packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> set[str]:
    """The canonical names of requirements.in's distributions and everything they require (with
    the extras asked for, markers evaluated for this interpreter)."""
    todo = []
    for line in (ROOT / "requirements.in").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            todo.append((req.name, frozenset(req.extras)))
    seen: set[str] = set()
    while todo:
        name, extras = todo.pop()
        key = canonical(name)
        if (key, extras) in seen:
            continue
        seen.add((key, extras))
        for spec in metadata.requires(name) or []:
            req = Requirement(spec)
            if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
                continue
            todo.append((req.name, frozenset(req.extras)))
    return {key for key, _ in seen}


def main() -> None:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    lines = [line for line in frozen if line and not line.startswith(("#", "-e", "tsur"))]
    needed = runtime_closure()
    runtime = [line for line in lines if canonical(line.split("==")[0]) in needed]
    head = "# Locked {} dependencies (pip freeze on Python 3.11; regenerate with scripts/lock).\n"
    (ROOT / "requirements.lock").write_text(head.format("runtime") + "\n".join(runtime) + "\n")
    (ROOT / "requirements-dev.lock").write_text(head.format("runtime + development") + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
