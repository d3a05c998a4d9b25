"""Write requirements.lock / requirements-dev.lock from the current .venv (after `pip install -r
requirements-dev.in`): runtime = everything the runtime requirements pull in, dev = all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Distributions only the development tools need (and their own dependencies).
DEV_ONLY = {
    "pytest", "pytest-django", "playwright", "ruff", "iniconfig", "pluggy", "greenlet", "pyee", "Pygments", "aiosmtpd", "atpublic",
    "import-linter", "grimp", "rich", "markdown-it-py", "mdurl",
}


def main() -> None:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    lines = [line for line in frozen if line and not line.startswith(("#", "-e", "tsur"))]
    runtime = [line for line in lines if line.split("==")[0] not in DEV_ONLY]
    head = "# Locked {} dependencies (pip freeze on Python 3.11; regenerate with scripts/lock).\n"
    (ROOT / "requirements.lock").write_text(head.format("runtime") + "\n".join(runtime) + "\n")
    (ROOT / "requirements-dev.lock").write_text(head.format("runtime + development") + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
