"""One door for every state change: `changing` (and `step`, its in-memory form for batch writes)
in tsur/appeals/services/transitions.py is the only code that writes an appeal's status. Views,
the API, the admin, tasks, channels and other apps go through the services. This reads the code,
so a new side door fails here before it ships."""

from __future__ import annotations

import ast
from pathlib import Path

from tsur.appeals.access import ACTIONS
from tsur.appeals.lifecycle import KEEP, RECOMPUTE, RESTART, TRANSITIONS

PACKAGE = Path(__file__).resolve().parents[2] / "tsur"
THE_DOOR = PACKAGE / "appeals" / "services" / "transitions.py"
# Other objects with a `status` attribute that is not an appeal's (a report row, an exception).
NOT_APPEALS = {
    ("channels/pos_import/importer.py", "result"),
    ("intake/open311.py", "self"),
    ("monitoring/links.py", "lk"),
    ("polls/services/building.py", "poll"),  # a poll's own status, changed by its own services
}


def writes_of_status(path: Path, root: Path = PACKAGE) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        for target in targets:
            for t in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(t, ast.Attribute) and t.attr == "status":
                    owner = ast.unparse(t.value).split(".")[-1]
                    if (path.relative_to(root).as_posix(), owner) not in NOT_APPEALS:
                        found.append(f"{path.relative_to(root)}:{node.lineno} assigns {ast.unparse(t)}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("update", "bulk_update"):
            if any(k.arg == "status" for k in node.keywords):
                found.append(f"{path.relative_to(root)}:{node.lineno} updates status in the database")
    return found


def test_nothing_but_the_door_writes_an_appeals_status():
    side_doors = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts or path == THE_DOOR:
            continue
        side_doors += writes_of_status(path)
    assert side_doors == []


def test_the_check_sees_a_side_door(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text("def f(a):\n    a.status = 'closed'\n    A.objects.filter(pk=1).update(status='closed')\n")
    assert len(writes_of_status(sneaky, root=tmp_path)) == 2


def test_every_transition_names_who_may_take_it_and_its_clock():
    system_only = {"auto_triage", "deliver_problem_answer", "auto_close", "close_objective", "reopen_objective"}
    for name, t in TRANSITIONS.items():
        assert t.clock in (KEEP, RECOMPUTE, RESTART), name
        if name in system_only:
            assert t.permission == "", name
        else:
            assert t.permission in ACTIONS, (name, t.permission)
