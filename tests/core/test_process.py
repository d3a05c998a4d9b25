"""The serving process keeps full garbage collections off its start-up objects (tsur.core.process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_it_freezes_the_objects_alive_when_the_wsgi_application_is_loaded(tmp_path):
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", TSUR_VAR_DIR=str(tmp_path))
    code = "import gc; before = gc.get_freeze_count(); import tsur.wsgi; print(before, gc.get_freeze_count())"
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120, check=True
    )
    before, after = (int(x) for x in out.stdout.split()[-2:])
    assert before == 0
    # The whole application (Django, the apps, their modules) is in the permanent generation.
    assert after > 50_000
