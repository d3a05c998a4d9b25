"""Run every user of the scenario's task a few times, in order, against a server, and print what
was requested (JSON: name → [requests, failures]); exit 1 when a request failed.

    .venv/bin/python -m loadtest.smoke --host http://127.0.0.1:8000 [--rounds 3]

No timing, no concurrency: each user signs in (staff) and runs its task `rounds` times, so the
scenario is checked against the real pages without the noise of a load test (tests/load uses it
against a live test server). Runs Locust's own classes, so import it in a process of its own:
Locust patches the standard library with gevent on import.
"""

from __future__ import annotations

import argparse
import json
import sys

from locust.env import Environment

from loadtest import locustfile

USERS = [
    (locustfile.WidgetResident, "submit_widget"),
    (locustfile.AppResident, "submit_api"),
    (locustfile.Open311Client, "report"),
    (locustfile.Operator, "work_the_queue"),
    (locustfile.Analyst, "open_dashboard"),
]


def run(host: str, rounds: int) -> tuple[dict[str, list[int]], list[str]]:
    env = Environment(user_classes=[cls for cls, _ in USERS], host=host)
    env.create_local_runner()  # never started: it only hooks the request statistics up
    for cls, task_name in USERS:
        cls.host = host  # as Locust's runner does when it spawns users
        user = cls(env)
        user.on_start()
        for _ in range(rounds):
            getattr(user, task_name)()
    counts = {name: [entry.num_requests, entry.num_failures] for (name, _method), entry in sorted(env.stats.entries.items())}
    errors = [f"{e.method} {e.name}: {e.error} ({e.occurrences}×)" for e in env.stats.errors.values()]
    return counts, errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    counts, errors = run(args.host, args.rounds)
    print(json.dumps(counts, ensure_ascii=False))
    for error in errors:
        print(error, file=sys.stderr)
    return 1 if any(failures for _, failures in counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
