"""Every page, API operation, export and file × every actor gives exactly the outcome written in
tests/security/access_matrix.py; a URL pattern or API operation without a row fails the test."""

from __future__ import annotations

from tests.security.access_matrix import ROWS, Row
from tests.security.matrix_runner import REFUSED, actors_of, fingerprint, missing_entries, normalised, outcome, request
from tests.security.scene import KEY_ACTORS, SESSION_ACTORS, build_scene


def _actual(scene, row: Row) -> list[str]:
    cells = []
    expected = row.cells if len(row.cells) == len(actors_of(row)) else ["?"] * len(actors_of(row))
    params = scene.params()
    for actor, want in zip(actors_of(row), expected, strict=True):
        if row.method == "GET" or row.api:
            got = outcome(request(scene, row, actor, row.method))
        elif want == "act":
            got = outcome(request(scene, row, actor, "GET"))
            got = "act" if got not in REFUSED else got
        else:
            got = outcome(request(scene, row, actor, "POST"))
        cells.append(normalised(got, params))
    return cells


def _line(row: Row, cells: list[str]) -> str:
    kind = "Api" if row.api else "Row"
    return f'{kind}("{row.method}", "{row.url}", "{" ".join(cells)}"),'


def test_it_gives_every_actor_the_outcome_of_the_matrix(db, settings):
    settings.AXES_ENABLED = False
    scene = build_scene()
    wrong, changed = [], []
    for row in ROWS:
        before = fingerprint() if row.method == "POST" else None
        cells = _actual(scene, row)
        if cells != row.cells:
            wrong.append(f"    {_line(row, cells)}  # matrix says: {row.spec}")
        if before is not None and fingerprint() != before:
            changed.append(f"{row.method} {row.url}")
    assert not wrong, "Outcomes differ from tests/security/access_matrix.py (columns: {}; API rows add {}):\n{}".format(
        " ".join(SESSION_ACTORS), " ".join(KEY_ACTORS), "\n".join(wrong)
    )
    assert not changed, f"a refused request changed stored data: {changed}"


def test_every_url_pattern_and_api_operation_has_a_row(db):
    scene = build_scene()
    missing = missing_entries(ROWS, scene.params())
    assert not missing, "Add a row to tests/security/access_matrix.py for:\n" + "\n".join(missing)
