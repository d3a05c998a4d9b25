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


def test_it_loads_the_views_and_templates_before_the_workers_fork(tmp_path):
    """tsur.wsgi (what gunicorn preloads in its master) imports the URL configuration's views and
    compiles our templates, so no worker pays for them on its first requests."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="tests.settings", TSUR_VAR_DIR=str(tmp_path), TSUR_DEBUG="false")
    code = (
        "import sys; import tsur.wsgi; from django.template import engines;"
        "loader = engines['django'].engine.template_loaders[0];"
        "print('tsur.workspace.views_queue' in sys.modules, 'workspace/_queue_results.html' in loader.get_template_cache)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split()[-2:] == ["True", "True"]
