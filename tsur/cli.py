"""The `tsur` console command (also `python -m tsur`): every shell task of an operator or an
administrator, e.g. `tsur deadline --regime message --urgency normal --received 2025-03-07T17:59`,
`tsur demo`, `tsur tick`, `tsur migrate`. It is Django's command line with our settings."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tsur.settings")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "tsur"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
