"""Settings of the test suite: the platform's own settings, with what the tests need set
explicitly instead of left to the production defaults.

- A fixed secret key known only to the tests (production refuses to start without its own).
- Plain HTTP: the test client and the live server speak http://, so no HTTPS redirect and no
  secure-only cookies (tests/core/test_security_settings.py checks the production defaults).

Subprocesses the tests start (workers, servers) inherit these through the environment.
"""

import os

os.environ.setdefault("TSUR_SECRET_KEY", "tests-only-secret-key-not-for-any-deployment-000000")
os.environ.setdefault("TSUR_HTTPS", "false")
# part load: background tasks run inline, at once, so a test sees them done when its call returns
# (tests/load/test_background_runner.py turns the in-process runner on where it is the subject).
os.environ.setdefault("TSUR_TASKS_INLINE", "true")
# The situation center's figures recounted after every change (tests/analytics/test_recount_window.py
# sets the production window where it is the subject).
os.environ.setdefault("TSUR_ANALYTICS_RECOUNT_SECONDS", "0")

# Reference rows read afresh every time: a test that writes a category or a policy reads it back
# (tests/core/test_refcache.py keeps them where the cache is the subject).
os.environ.setdefault("TSUR_REFERENCE_CACHE_SECONDS", "0")
# Open311's list built on every request: a test that posts a request lists it at once
# (tests/intake/test_open311_list_cache.py keeps it where the cache is the subject).
os.environ.setdefault("TSUR_OPEN311_LIST_CACHE_SECONDS", "0")
# The queue's counters of finished appeals counted on every page: a test that closes an appeal sees
# it counted (tests/workspace/test_queue_counters.py keeps them where the cache is the subject).
os.environ.setdefault("TSUR_QUEUE_ARCHIVE_COUNT_SECONDS", "0")
# The situation center's figures computed on every view, for the same reason
# (tests/workspace/center/test_kept_figures.py keeps them).
os.environ.setdefault("TSUR_CENTER_FIGURES_SECONDS", "0")

from tsur.settings import *  # noqa: F403
